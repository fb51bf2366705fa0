//! PostgreSQL restarted under load (issue 15 item 6), on a cluster of the test's own: 100 ADM
//! orders and their fulfillments go in while PostgreSQL stops and starts again. Every request
//! answered 200/201 is stored and delivered, every other one got 503 with `Retry-After`, and
//! `/readyz` answers 200 within 10 s of PostgreSQL being back, with no restart of orderbridge.

use std::sync::Arc;
use std::time::{Duration, Instant};

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use tokio::sync::Mutex;

use crate::e2e_lifecycle::seed_order;
use crate::process::api::{ADM_KEY, WAREHOUSE_KEY, WEBHOOK_KEY, fulfillment, http_client};
use crate::process::cluster::Cluster;
use crate::process::{Api, Launch, eventually, with_adm};

const ORDERS: usize = 100;

/// What each request got.
#[derive(Debug, Default)]
struct Answers {
    created: Vec<String>,
    shipped: Vec<String>,
    /// (what, status, retry-after)
    others: Vec<(String, u16, bool)>,
}

/// One answer: its status and whether it carried `Retry-After`.
async fn answer(response: reqwest::Response) -> (u16, bool, serde_json::Value) {
    let status = response.status().as_u16();
    let retry = response.headers().contains_key("retry-after");
    (status, retry, response.json().await.unwrap_or_default())
}

/// Sends orders (and then ships each one stored) until `next` passes `ORDERS`.
async fn client(
    answers: Arc<Mutex<Answers>>,
    base: String,
    http: reqwest::Client,
    next: Arc<std::sync::atomic::AtomicUsize>,
) {
    let api = Api::new(&base);
    loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if i >= ORDERS {
            break;
        }
        let external = format!("77{i:05}");
        let sent = http
            .post(format!("{base}/webhooks/adm/orders"))
            .bearer_auth(WEBHOOK_KEY)
            .json(&seed_order(&external))
            .send()
            .await
            .expect("the webhook is answered");
        let (status, retry, _) = answer(sent).await;
        if status != 200 {
            let what = format!("webhook {external}");
            answers.lock().await.others.push((what, status, retry));
            continue;
        }
        answers.lock().await.created.push(external.clone());
        // The order's id (a read: tried again through the outage).
        let path = format!("/v1/orders?channel=adm&external_id={external}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let order = loop {
            if let Ok((200, page)) = api.try_call(reqwest::Method::GET, &path, None).await
                && let Some(id) = page["orders"][0]["id"].as_str()
            {
                break id.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "order {external} answered 200 is listed"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let tracking = format!("1Z-OUT-{i:05}");
        let shipped = http
            .post(format!("{base}/v1/orders/{order}/fulfillments"))
            .bearer_auth(WAREHOUSE_KEY)
            .json(&fulfillment(&tracking, &[("ABC-123", 4)]))
            .send()
            .await
            .expect("the fulfillment is answered");
        let (status, retry, body) = answer(shipped).await;
        let mut answers = answers.lock().await;
        if status == 201 {
            answers.shipped.push(tracking);
        } else {
            answers
                .others
                .push((format!("fulfillment {tracking}: {body}"), status, retry));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_mid_run_loses_nothing_answered_and_the_service_recovers_by_itself() {
    let cluster = Arc::new(Cluster::start());
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let service = with_adm(Launch::new(), &adm)
        .env("DATABASE_URL", &cluster.url())
        .serve("orderbridge")
        .await;
    let base = service.base_url();
    let api = Api::new(&base);
    let answers = Arc::new(Mutex::new(Answers::default()));
    let http = http_client();

    // Eight clients at a time; PostgreSQL goes away a third of the way in.
    let run = {
        let (answers, base, http) = (answers.clone(), base.clone(), http.clone());
        tokio::spawn(async move {
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut clients = Vec::new();
            for _ in 0..8 {
                let (answers, base, http, next) =
                    (answers.clone(), base.clone(), http.clone(), next.clone());
                clients.push(tokio::spawn(client(answers, base, http, next)));
            }
            for client in clients {
                client.await.unwrap();
            }
        })
    };
    while answers.lock().await.created.len() < ORDERS / 3 && !run.is_finished() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopper = cluster.clone();
    tokio::task::spawn_blocking(move || stopper.stop())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let starter = cluster.clone();
    tokio::task::spawn_blocking(move || starter.start_again())
        .await
        .unwrap();
    let back = Instant::now();
    let ready = eventually(Duration::from_secs(10), async || {
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(
        ready,
        "/readyz is 200 within 10 s of PostgreSQL: {:?}",
        back.elapsed()
    );
    run.await.unwrap();

    let answers = answers.lock().await;
    for (what, status, retry) in &answers.others {
        assert_eq!(*status, 503, "{what}: only 503 besides 200/201");
        assert!(*retry, "{what}: 503 with Retry-After");
    }
    assert!(
        !answers.others.is_empty(),
        "the outage was felt (else this test proves nothing)"
    );
    // Every order answered 200 is stored.
    let stored: Vec<String> = api
        .all_orders()
        .await
        .iter()
        .filter_map(|o| o["external_id"].as_str().map(str::to_owned))
        .collect();
    for external in &answers.created {
        assert!(
            stored.contains(external),
            "order {external} answered 200 is stored"
        );
    }
    // Every fulfillment answered 201 reaches ADM.
    let delivered = eventually(Duration::from_secs(60), async || {
        let accepted: Vec<String> = adm
            .accepted()
            .iter()
            .map(|f| f.tracking_number.clone())
            .collect();
        answers.shipped.iter().all(|t| accepted.contains(t))
    })
    .await;
    assert!(delivered, "every fulfillment answered 201 is delivered");
    // The same process throughout: it still answers, and logged its start once.
    assert_eq!(
        service.logs().count("orderbridge is listening"),
        1,
        "no restart"
    );
    let (status, _) = api.get("/healthz").await;
    assert_eq!(status, 200);
}
