//! Issue 14's replay after a settings fix, with the real binary and the sandbox ADM: an ADM
//! account set to the wrong currency (JPY, which has no minor units, for a shop whose prices
//! are in cents) cannot read ADM's orders. The seed's 400 is answered and the body kept in
//! quarantine; restarted with the right currency on the same database, the entry is replayed
//! into a real order, the warehouse ships it, and ADM receives the fulfillment. On PostgreSQL
//! and on SQLite.

use std::time::Duration;

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::Value;

use crate::e2e_lifecycle::seed_order;
use crate::process::api::{ADM_KEY, SHUTDOWN_SECS, webhook_sender};
use crate::process::{Api, Launch, TempDir, TestDb, eventually, with_adm};

const PATIENCE: Duration = Duration::from_secs(30);

/// The quarantined entries, newest first.
async fn rejected(api: &Api) -> Vec<Value> {
    let (status, page) = api.get("/v1/inbound?state=rejected").await;
    assert_eq!(status, 200, "{page}");
    page["entries"].as_array().cloned().unwrap_or_default()
}

async fn a_quarantined_order_replays_after_a_settings_fix_and_is_delivered(launch: Launch) {
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    adm.register_order("9001", &[("ABC-123", 4)]);
    let launch = with_adm(launch, &adm);

    // The account set to JPY: the seed order's cents cannot be yen.
    let misconfigured = launch.clone().env("ORDERBRIDGE_ADM_CURRENCY", "JPY");
    let mut service = misconfigured.serve("currency JPY").await;
    let api = Api::new(&service.base_url());
    let reply = webhook_sender(&service.base_url())
        .send(&seed_order("9001"))
        .await
        .unwrap();
    assert_eq!(reply.status, 400, "the seed's 400: {}", reply.body);
    let answer: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(answer["error"], "Invalid Order", "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.starts_with("line_items[0].price has a fraction, which JPY"),
        "{message}"
    );
    let entries = rejected(&api).await;
    assert_eq!(entries.len(), 1, "kept in quarantine: {entries:?}");
    let entry = &entries[0];
    assert_eq!(
        (&entry["channel"], &entry["external_id"]),
        (&Value::from("adm"), &Value::from("9001"))
    );
    assert_eq!(entry["error"], message);
    assert!(api.all_orders().await.is_empty(), "no order was stored");
    let entry_id = entry["id"].as_str().unwrap().to_owned();
    let stopped = service
        .terminate(Duration::from_secs(SHUTDOWN_SECS + 5))
        .await;
    assert!(stopped.is_some_and(|s| s.success()), "stopped cleanly");

    // Fixed: the same database, the account's currency back to USD.
    let mut service = launch
        .env("ORDERBRIDGE_ADM_CURRENCY", "USD")
        .serve("currency USD")
        .await;
    let api = Api::new(&service.base_url());
    let (status, replay) = api
        .post(&format!("/v1/inbound/{entry_id}/replay"), &Value::Null)
        .await;
    assert_eq!(status, 200, "{replay}");
    assert_eq!(replay["outcome"], "created", "{replay}");
    assert_eq!(replay["entry"]["state"], "replayed", "{replay}");
    let order = replay["order_id"].as_str().unwrap().to_owned();
    assert_eq!(replay["entry"]["order_id"], order.as_str());
    assert!(rejected(&api).await.is_empty());
    let (status, detail) = api.get(&format!("/v1/orders/{order}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["external_id"], "9001");
    assert_eq!(detail["currency"], "USD");
    assert_eq!(detail["lines"][0]["unit_price"], "12.34");
    assert_eq!(detail["totals"]["total"], "85.97");

    // The warehouse ships it, and ADM receives the fulfillment.
    let (status, shipped) = api.ship(&order, "1Z-REPLAYED", &[("ABC-123", 4)]).await;
    assert_eq!(status, 201, "{shipped}");
    assert!(
        adm.wait_for_accepted(1, PATIENCE).await,
        "ADM received the fulfillment"
    );
    let accepted = adm.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].order_id, "9001");
    assert_eq!(accepted[0].tracking_number, "1Z-REPLAYED");
    assert_eq!(adm.shipped_units("9001", "ABC-123"), Some(4));
    let delivered = eventually(PATIENCE, async || {
        let (_, detail) = api.get(&format!("/v1/orders/{order}")).await;
        detail["fulfillments"][0]["delivery"]["state"] == "delivered"
    })
    .await;
    assert!(
        delivered,
        "the fulfillment's delivery is recorded as delivered"
    );
    let (_, detail) = api.get(&format!("/v1/orders/{order}")).await;
    assert_eq!(detail["status"], "fulfilled");
    service.kill_hard().await;
    adm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quarantined_order_replays_after_a_settings_fix_and_is_delivered_on_postgres() {
    let db = TestDb::create().await;
    a_quarantined_order_replays_after_a_settings_fix_and_is_delivered(
        Launch::new().env("DATABASE_URL", db.url()),
    )
    .await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quarantined_order_replays_after_a_settings_fix_and_is_delivered_on_sqlite() {
    let dir = TempDir::new();
    a_quarantined_order_replays_after_a_settings_fix_and_is_delivered(
        Launch::new().cwd(dir.path()),
    )
    .await;
}
