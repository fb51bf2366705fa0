//! Channel health end to end (issue 13), the service run in process from its settings against
//! sandboxes: refused credentials pause a channel (zero parked, one alert at a receiver) and it
//! resumes by itself; a hanging marketplace never slows another channel; three instances on one
//! PostgreSQL keep a FeedAMP account's rate limit together.

use std::time::{Duration, Instant};

use orderbridge::config::Config;
use orderbridge::settings::Loaded;
use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig, FeedampSandbox, FeedampSandboxConfig};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::process::api::{WAREHOUSE_KEY, http_client};
use crate::process::{Api, TempDir, TestDb, eventually};

const PATIENCE: Duration = Duration::from_secs(30);

/// A service run in process from `settings` (TOML); stops when dropped.
struct Running {
    api: Api,
    base: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn start(settings: &str) -> Self {
        let config = Config::from_settings(
            &Loaded::load(Some(("health.toml", settings)), Vec::new()).unwrap(),
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let ran = orderbridge::run(config, listener, None, async {
                let _ = stopped.await;
            })
            .await;
            assert!(ran.is_ok(), "the service failed: {ran:?}");
        });
        Self {
            api: Api::new(&base),
            base,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(15), &mut self.task).await;
    }

    async fn channel(&self, id: &str) -> Value {
        let (status, list) = self.api.get("/v1/channels").await;
        assert_eq!(status, 200, "{list}");
        list["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("channel {id} listed: {list}"))
    }
}

fn common(database: &str) -> String {
    format!(
        "[database]\n{database}\n[warehouse]\napi_keys = [\"{WAREHOUSE_KEY}\"]\n\
         [dispatch]\nretry_base_secs = 1\nretry_cap_secs = 2\nidle_poll_ms = 20\nlease_secs = 30\n\
         [shutdown]\ntimeout_secs = 5\n"
    )
}

fn adm_account(channel: &str, sandbox: &AdmSandbox, key: &str) -> String {
    format!(
        "[[adm]]\nchannel = \"{channel}\"\nwebhook_keys = [\"{channel}-in\"]\nbase_url = \"{}\"\n\
         api_key = \"{key}\"\n",
        sandbox.base_url()
    )
}

/// ADM sends order `id` with `units` units of one SKU to the account `channel`.
async fn adm_order(service: &Running, channel: &str, id: &str, units: u32) -> String {
    let body = json!({
        "id": id,
        "created_at": "2026-12-01T10:00:00Z",
        "line_items": [{"sku": "RED", "quantity": units, "price": "5.00"}],
    });
    let status = http_client()
        .post(format!("{}/webhooks/adm/{channel}/orders", service.base))
        .bearer_auth(format!("{channel}-in"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let (_, page) = service
        .api
        .get(&format!("/v1/orders?channel={channel}&external_id={id}"))
        .await;
    page["orders"][0]["id"].as_str().unwrap().to_owned()
}

/// Ships `n` one-unit packages of `order`.
async fn ship(service: &Running, order: &str, prefix: &str, n: u32) {
    for i in 0..n {
        let (status, reply) = service
            .api
            .ship(order, &format!("{prefix}-{i}"), &[("RED", 1)])
            .await;
        assert_eq!(status, 201, "{reply}");
    }
}

async fn refused_credentials_pause_the_channel_and_it_resumes_by_itself(database: &str) {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new("adm-out").with_accept_unknown_orders(true))
        .await
        .unwrap();
    adm.faults()
        .refuse_credentials(orderbridge_sandbox::Refusal::Unauthorized);
    let settings = format!(
        "{}{}[channels]\nprobe_secs = 1\n[alerts]\nwebhook_url = \"{}/alerts\"\n\
         signing_secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n",
        common(database),
        adm_account("adm", &adm, "adm-out"),
        receiver.uri()
    );
    let service = Running::start(&settings).await;
    let order = adm_order(&service, "adm", "5001", 3).await;
    ship(&service, &order, "T", 3).await;
    let paused = eventually(PATIENCE, async || {
        service.channel("adm").await["state"] == "paused"
    })
    .await;
    assert!(paused, "{}", service.channel("adm").await);
    let channel = service.channel("adm").await;
    assert_eq!(channel["paused_by"], "credentials");
    assert!(
        channel["state_reason"]
            .as_str()
            .unwrap()
            .contains("Unauthorized")
    );
    // Probes come and are refused too (probe_secs = 1): still paused, still nothing parked.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(service.channel("adm").await["state"], "paused");
    let (_, dead) = service.api.get("/v1/deliveries?state=dead").await;
    assert_eq!(dead["deliveries"], json!([]), "zero rows parked");
    assert_eq!(service.channel("adm").await["pending"], 3);
    let alerts = received(&receiver).await;
    assert_eq!(
        alerts.iter().map(|a| a["kind"].clone()).collect::<Vec<_>>(),
        [json!("channel_paused")],
        "one alert"
    );
    assert_eq!(adm.accepted_count(), 0);

    // The credentials work again: the next probe resumes the channel; every row goes once.
    adm.faults().accept_credentials();
    assert!(
        adm.wait_for_accepted(3, PATIENCE).await,
        "all three delivered"
    );
    let active = eventually(PATIENCE, async || {
        let channel = service.channel("adm").await;
        channel["state"] == "active" && channel["pending"] == 0
    })
    .await;
    assert!(active, "{}", service.channel("adm").await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(adm.accepted_count(), 3, "each once");
    assert_eq!(adm.duplicates(), 0);
    let resumed = eventually(PATIENCE, async || received(&receiver).await.len() == 2).await;
    assert!(resumed, "{:?}", received(&receiver).await);
    assert_eq!(received(&receiver).await[1]["kind"], "channel_resumed");
    service.stop().await;
}

/// The alerts the receiver took, in order.
async fn received(receiver: &MockServer) -> Vec<Value> {
    receiver
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            assert!(r.headers.get("webhook-signature").is_some(), "signed");
            serde_json::from_slice(&r.body).unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_pause_the_channel_and_it_resumes_by_itself_on_sqlite() {
    let dir = TempDir::new();
    let file = dir.path().join("health.sqlite");
    refused_credentials_pause_the_channel_and_it_resumes_by_itself(&format!(
        "sqlite_path = \"{}\"",
        file.display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_pause_the_channel_and_it_resumes_by_itself_on_postgres() {
    let db = TestDb::create().await;
    refused_credentials_pause_the_channel_and_it_resumes_by_itself(&format!(
        "url = \"{}\"",
        db.url()
    ))
    .await;
    db.drop_now().await;
}

/// How long `n` one-unit shipments of a new order on `channel` take to reach `sandbox`.
async fn time_to_deliver(
    service: &Running,
    sandbox: &AdmSandbox,
    channel: &str,
    order: &str,
    n: u32,
) -> Duration {
    let before = sandbox.accepted_count();
    let id = adm_order(service, channel, order, n).await;
    let started = Instant::now();
    ship(service, &id, order, n).await;
    assert!(
        sandbox
            .wait_for_accepted(before + u64::from(n), PATIENCE)
            .await,
        "{n} delivered to {channel}"
    );
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_marketplace_never_slows_another_channel_on_sqlite() {
    let dir = TempDir::new();
    let file = dir.path().join("hang.sqlite");
    a_hanging_marketplace_never_slows_another_channel(&format!(
        "sqlite_path = \"{}\"",
        file.display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_marketplace_never_slows_another_channel_on_postgres() {
    let db = TestDb::create().await;
    a_hanging_marketplace_never_slows_another_channel(&format!("url = \"{}\"", db.url())).await;
    db.drop_now().await;
}

async fn a_hanging_marketplace_never_slows_another_channel(database: &str) {
    let stuck = AdmSandbox::start(AdmSandboxConfig::new("a-out").with_accept_unknown_orders(true))
        .await
        .unwrap();
    let busy = AdmSandbox::start(AdmSandboxConfig::new("b-out").with_accept_unknown_orders(true))
        .await
        .unwrap();
    // The other channel's marketplace answers in 50 ms: its rate is set by that, not by CPU.
    busy.faults().delay_all(Duration::from_millis(50));
    let settings = format!(
        "{}{}{}",
        common(database).replace("[dispatch]\n", "[dispatch]\nconcurrency = 2\n"),
        adm_account("adm-a", &stuck, "a-out"),
        adm_account("adm-b", &busy, "b-out"),
    );
    let service = Running::start(&settings).await;
    const N: u32 = 60;
    // A warm-up (connections, caches), then the run without the hang.
    time_to_deliver(&service, &busy, "adm-b", "B0", 10).await;
    let alone = time_to_deliver(&service, &busy, "adm-b", "B1", N).await;
    // adm-a's marketplace accepts connections and never answers.
    stuck.faults().hang();
    let id = adm_order(&service, "adm-a", "A1", 6).await;
    ship(&service, &id, "A1", 6).await;
    let hung = eventually(PATIENCE, async || stuck.faults().held() >= 2).await;
    assert!(hung, "adm-a's calls hang");
    let beside = time_to_deliver(&service, &busy, "adm-b", "B2", N).await;
    let ratio = beside.as_secs_f64() / alone.as_secs_f64();
    eprintln!(
        "adm-b: {N} deliveries in {alone:.2?} alone, {beside:.2?} beside a hanging adm-a \
         (ratio {ratio:.2})"
    );
    // Without isolation adm-b stalls behind the hung calls, each held until ADM's 15 s request
    // timeout: far beyond 3. The margin is for a machine busy with other tests, where up to
    // 1.74 was seen; the speed itself is the benchmark's business, not this test's.
    assert!(
        ratio <= 3.0,
        "adm-b's deliveries took {beside:?} beside a hanging channel against {alone:?} alone"
    );
    assert_eq!(stuck.accepted_count(), 0);
    stuck.faults().release();
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_keep_a_feedamp_accounts_rate_limit_together() {
    let db = TestDb::create().await;
    let feedamp = FeedampSandbox::start(FeedampSandboxConfig::new("user", "pw", "client"))
        .await
        .unwrap();
    let ids = feedamp.add_generated(8, 3).unwrap();
    let settings = format!(
        "{}[[feedamp]]\nchannel = \"feedamp\"\nbase_url = \"{}\"\nusername = \"user\"\n\
         password = \"pw\"\nclient_id = \"client\"\npoll_interval_secs = 1\n\
         requests_per_second = 2\n",
        common(&format!("url = \"{}\"", db.url())),
        feedamp.base_url()
    );
    let instances = vec![
        Running::start(&settings).await,
        Running::start(&settings).await,
        Running::start(&settings).await,
    ];
    let confirmed = eventually(Duration::from_secs(60), async || {
        ids.iter().all(|id| feedamp.confirm_count(id) == 1)
    })
    .await;
    assert!(confirmed, "every order confirmed once");
    // The confirmations went out while every instance could claim them: only the one polling
    // the account sent them. 950 ms windows allow for the jitter of requests 500 ms apart.
    let busiest = feedamp.max_requests_in_window(Duration::from_millis(950));
    let requests = feedamp.requests().len();
    eprintln!("three instances, 2 requests/s: {requests} requests, at most {busiest} in 950 ms");
    assert!(busiest <= 2, "{busiest} FeedAMP requests within 950 ms");
    for instance in instances {
        instance.stop().await;
    }
    db.drop_now().await;
}
