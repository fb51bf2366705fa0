//! ADM cancels orders (issue 14; design section 11), against the real binary on PostgreSQL and
//! on SQLite: a cancellation after one of two units shipped cancels the other, the order reads
//! `fulfilled`, a later shipment gets 409 naming the marketplace, nothing is sent back to ADM,
//! and one `marketplace_cancelled_after_shipment` alert arrives however often ADM says it; a
//! cancellation before its order is kept and the order arrives cancelled.

use std::time::Duration;

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::e2e_lifecycle::seed_order;
use crate::process::api::{ADM_KEY, webhook_sender};
use crate::process::{Api, Launch, TempDir, TestDb, eventually, with_adm};

const PATIENCE: Duration = Duration::from_secs(30);

/// The kinds of the alerts the receiver got.
async fn alert_kinds(receiver: &MockServer) -> Vec<String> {
    receiver
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body["kind"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The seed's order with one line of two units, due in a month (the seed's own deadline is
/// past, and an overdue order would raise an `order_overdue` alert as well).
fn two_units(id: &str) -> Value {
    let mut order = seed_order(id);
    order["line_items"] = json!([
        {"price": "12.34", "quantity": 2, "sku": "ABC-123", "total_discount": "0", "total_tax": "0"}
    ]);
    order["deliver_by"] = json!((chrono::Utc::now() + chrono::TimeDelta::days(30)).to_rfc3339());
    order
}

async fn adm_cancels_orders(launch: Launch) {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let launch = with_adm(launch, &adm).env(
        "ORDERBRIDGE_ALERTS_WEBHOOK_URL",
        &format!("{}/alerts", receiver.uri()),
    );
    let mut service = launch.serve("cancellations").await;
    let api = Api::new(&service.base_url());
    let sender = webhook_sender(&service.base_url());

    // One of two units shipped and delivered, then ADM cancels the order.
    adm.register_order("8101", &[("ABC-123", 2)]);
    let reply = sender.send(&two_units("8101")).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let order = api.order_id("8101").await;
    let (status, shipped) = api.ship(&order, "1Z-CANCEL-1", &[("ABC-123", 1)]).await;
    assert_eq!(status, 201, "{shipped}");
    assert!(
        adm.wait_for_accepted(1, PATIENCE).await,
        "the shipment reached ADM"
    );
    for _ in 0..2 {
        let reply = sender.send_cancellation("8101", "customer").await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        let body: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(body, json!({"order_id": 8101, "status": "cancelled"}));
    }
    let (_, detail) = api.get(&format!("/v1/orders/{order}")).await;
    assert_eq!(detail["status"], "fulfilled", "{detail}");
    assert_eq!(detail["units"]["shipped"], 1);
    assert_eq!(detail["units"]["cancelled"], 1);
    assert!(detail["cancelled_by_marketplace_at"].is_string());
    let cancellations = detail["cancellations"].as_array().unwrap();
    assert_eq!(
        cancellations.len(),
        1,
        "one cancellation however often ADM says it"
    );
    assert_eq!(cancellations[0]["by"], "marketplace");
    assert_eq!(cancellations[0]["reason"], "customer");
    let (status, refused) = api.ship(&order, "1Z-CANCEL-2", &[("ABC-123", 1)]).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"], "Cancelled By Marketplace");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("marketplace of channel adm"),
        "{refused}"
    );
    let alerted = eventually(PATIENCE, async || !alert_kinds(&receiver).await.is_empty()).await;
    assert!(alerted, "an alert arrives");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        alert_kinds(&receiver).await,
        ["marketplace_cancelled_after_shipment"],
        "exactly one alert"
    );
    assert_eq!(
        adm.accepted_count(),
        1,
        "nothing but the shipment was sent to ADM"
    );

    // ADM cancels an order before its create webhook: it arrives cancelled.
    let reply = sender.send_cancellation("8102", "fraud").await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = sender.send(&two_units("8102")).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let early = api.order_id("8102").await;
    let (_, detail) = api.get(&format!("/v1/orders/{early}")).await;
    assert_eq!(detail["status"], "cancelled", "{detail}");
    assert_eq!(detail["cancellations"][0]["by"], "marketplace");
    assert_eq!(detail["cancellations"][0]["reason"], "fraud");
    let (status, _) = api.ship(&early, "1Z-CANCEL-3", &[("ABC-123", 1)]).await;
    assert_eq!(status, 409);
    service.kill_hard().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adm_cancels_orders_on_postgres() {
    let db = TestDb::create().await;
    adm_cancels_orders(Launch::new().env("DATABASE_URL", db.url())).await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adm_cancels_orders_on_sqlite() {
    let dir = TempDir::new();
    adm_cancels_orders(Launch::new().cwd(dir.path())).await;
}
