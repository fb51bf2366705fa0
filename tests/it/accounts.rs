//! Two ADM accounts and two FeedAMP accounts in one orderbridge process, each against a sandbox
//! of its own, on PostgreSQL and on SQLite: every order is stored under its own account's
//! channel (the same marketplace id in two accounts makes two orders), every account's webhook
//! takes only its own key, each FeedAMP account is polled and confirmed with its own
//! credentials, and every shipment reaches its own account's marketplace and no other.

use std::time::Duration;

use orderbridge::config::Config;
use orderbridge::settings::Loaded;
use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig, FeedampSandbox, FeedampSandboxConfig};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::process::api::{WAREHOUSE_KEY, http_client};
use crate::process::{Api, TempDir, TestDb, eventually};

const PATIENCE: Duration = Duration::from_secs(30);

/// One account's sandbox and credentials.
struct AdmAccount {
    channel: &'static str,
    webhook_key: &'static str,
    api_key: &'static str,
    sandbox: AdmSandbox,
}

struct FeedampAccount {
    channel: &'static str,
    user: &'static str,
    sandbox: FeedampSandbox,
    order_ids: Vec<String>,
}

async fn adm(
    channel: &'static str,
    webhook_key: &'static str,
    api_key: &'static str,
) -> AdmAccount {
    let sandbox =
        AdmSandbox::start(AdmSandboxConfig::new(api_key).with_accept_unknown_orders(true))
            .await
            .unwrap();
    AdmAccount {
        channel,
        webhook_key,
        api_key,
        sandbox,
    }
}

async fn feedamp(channel: &'static str, user: &'static str) -> FeedampAccount {
    let sandbox = FeedampSandbox::start(FeedampSandboxConfig::new(user, "pw", user))
        .await
        .unwrap();
    // The same seed for both accounts: the same marketplace ids arrive on two channels.
    let order_ids = sandbox.add_generated(2, 7).unwrap();
    FeedampAccount {
        channel,
        user,
        sandbox,
        order_ids,
    }
}

fn settings(database: &str, adm: &[&AdmAccount], feedamp: &[&FeedampAccount]) -> String {
    let mut text = format!(
        "[database]\n{database}\n[warehouse]\napi_keys = [\"{WAREHOUSE_KEY}\"]\n\
         [dispatch]\nretry_base_secs = 1\nretry_cap_secs = 2\nidle_poll_ms = 20\nlease_secs = 30\n\
         [shutdown]\ntimeout_secs = 5\n"
    );
    for a in adm {
        text.push_str(&format!(
            "[[adm]]\nchannel = \"{}\"\nwebhook_keys = [\"{}\"]\nbase_url = \"{}\"\napi_key = \"{}\"\n",
            a.channel,
            a.webhook_key,
            a.sandbox.base_url(),
            a.api_key
        ));
    }
    for f in feedamp {
        text.push_str(&format!(
            "[[feedamp]]\nchannel = \"{}\"\nbase_url = \"{}\"\nusername = \"{}\"\npassword = \"pw\"\n\
             client_id = \"{}\"\npoll_interval_secs = 1\nrequests_per_second = 20\n",
            f.channel,
            f.sandbox.base_url(),
            f.user,
            f.user
        ));
    }
    text
}

/// An ADM `orders/create` body with one line.
fn adm_order(id: &str, sku: &str) -> Value {
    json!({
        "id": id,
        "created_at": "2026-12-01T10:00:00Z",
        "line_items": [{"sku": sku, "quantity": 2, "price": "5.00"}],
    })
}

async fn webhook(base: &str, path: &str, key: &str, body: &Value) -> u16 {
    http_client()
        .post(format!("{base}{path}"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn orders_of(api: &Api, channel: &str) -> Vec<Value> {
    let (status, page) = api
        .get(&format!("/v1/orders?channel={channel}&limit=500"))
        .await;
    assert_eq!(status, 200, "{page}");
    page["orders"].as_array().cloned().unwrap_or_default()
}

/// Ships every unit of `order` in one package.
async fn ship_all(api: &Api, order: &Value, tracking: &str) {
    let mut units: Vec<(String, u64)> = Vec::new();
    for line in order["lines"].as_array().unwrap() {
        let sku = line["sku"].as_str().unwrap().to_owned();
        let quantity = line["quantity"].as_u64().unwrap();
        match units.iter_mut().find(|(s, _)| *s == sku) {
            Some((_, n)) => *n += quantity,
            None => units.push((sku, quantity)),
        }
    }
    let items: Vec<Value> = units
        .iter()
        .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity}))
        .collect();
    let body = json!({"tracking_number": tracking, "carrier": "UPS", "line_items": items});
    let id = order["id"].as_str().unwrap();
    let (status, reply) = api
        .post(&format!("/v1/orders/{id}/fulfillments"), &body)
        .await;
    assert_eq!(status, 201, "{reply}");
}

async fn two_accounts_of_each_marketplace_never_cross(database: &str) {
    let us = adm("adm-us", "us-in", "us-out").await;
    let eu = adm("adm-eu", "eu-in", "eu-out").await;
    let fa = feedamp("feedamp-a", "user-a").await;
    let fb = feedamp("feedamp-b", "user-b").await;
    let text = settings(database, &[&us, &eu], &[&fa, &fb]);
    let config =
        Config::from_settings(&Loaded::load(Some(("accounts.toml", &text)), Vec::new()).unwrap())
            .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let service = tokio::spawn(orderbridge::run(config, listener, None, async {
        let _ = stopped.await;
    }));
    let api = Api::new(&base);

    // Each ADM account's webhook takes its own key only; the same id makes two orders.
    let order = adm_order("1001", "RED");
    assert_eq!(
        webhook(&base, "/webhooks/adm/adm-us/orders", "us-in", &order).await,
        200
    );
    assert_eq!(
        webhook(&base, "/webhooks/adm/adm-eu/orders", "eu-in", &order).await,
        200
    );
    assert_eq!(
        webhook(&base, "/webhooks/adm/adm-eu/orders", "us-in", &order).await,
        401
    );
    assert_eq!(
        webhook(&base, "/webhooks/adm/adm-us/orders", "eu-in", &order).await,
        401
    );
    assert_eq!(
        webhook(&base, "/webhooks/adm/adm-us/orders", "us-in", &order).await,
        409
    );
    assert_eq!(
        webhook(&base, "/webhooks/adm/orders", "us-in", &order).await,
        404,
        "with two ADM accounts there is no sole-account route"
    );

    // Each FeedAMP account is polled and confirmed with its own credentials.
    for account in [&fa, &fb] {
        let polled = eventually(PATIENCE, async || {
            orders_of(&api, account.channel).await.len() == account.order_ids.len()
                && account
                    .order_ids
                    .iter()
                    .all(|id| account.sandbox.confirm_count(id) == 1)
        })
        .await;
        assert!(polled, "{} polled and confirmed", account.channel);
    }
    for account in [&fa, &fb] {
        // Each sandbox issues tokens to its own user only: a token fetched is one asked with
        // this account's credentials, and none was refused.
        assert!(account.sandbox.token_fetches() >= 1, "{}", account.channel);
        assert_eq!(account.sandbox.token_refusals(), 0, "{}", account.channel);
    }

    // Shipments reach their own account's marketplace only.
    for (account, tracking) in [(&us, "1ZUS"), (&eu, "1ZEU")] {
        let orders = orders_of(&api, account.channel).await;
        assert_eq!(orders.len(), 1, "{}: {orders:?}", account.channel);
        assert_eq!(orders[0]["external_id"], "1001");
        ship_all(&api, &orders[0], tracking).await;
    }
    for account in [&fa, &fb] {
        let orders = orders_of(&api, account.channel).await;
        ship_all(&api, &orders[0], &format!("1Z{}", account.channel)).await;
    }
    for (account, tracking) in [(&us, "1ZUS"), (&eu, "1ZEU")] {
        assert!(
            account.sandbox.wait_for_accepted(1, PATIENCE).await,
            "{} received its shipment",
            account.channel
        );
        let received: Vec<String> = account
            .sandbox
            .accepted()
            .iter()
            .map(|f| f.tracking_number.clone())
            .collect();
        assert_eq!(received, [tracking], "{}", account.channel);
    }
    for (account, other) in [(&fa, &fb), (&fb, &fa)] {
        let delivered = eventually(PATIENCE, async || {
            account
                .order_ids
                .iter()
                .any(|id| !account.sandbox.fulfil_calls(id).is_empty())
        })
        .await;
        assert!(delivered, "{} received its fulfil call", account.channel);
        let calls: Vec<Value> = account
            .order_ids
            .iter()
            .flat_map(|id| account.sandbox.fulfil_calls(id))
            .collect();
        let text = serde_json::to_string(&calls).unwrap();
        assert!(text.contains(&format!("1Z{}", account.channel)), "{text}");
        assert!(!text.contains(&format!("1Z{}", other.channel)), "{text}");
    }

    let _ = stop.send(());
    service.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_of_each_marketplace_never_cross_on_postgres() {
    let db = TestDb::create().await;
    two_accounts_of_each_marketplace_never_cross(&format!("url = \"{}\"", db.url())).await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_of_each_marketplace_never_cross_on_sqlite() {
    let dir = TempDir::new();
    let path = dir.path().join("accounts.sqlite");
    two_accounts_of_each_marketplace_never_cross(&format!("sqlite_path = \"{}\"", path.display()))
        .await;
}
