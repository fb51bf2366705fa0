//! The real binary killed with SIGKILL after a change whose alert it had not delivered yet (the
//! alerts receiver was down): restarted on the same database, it delivers the alert, once, with
//! the same `webhook-id` it tried before. On PostgreSQL and on SQLite.

use std::time::Duration;

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::e2e_lifecycle::seed_order;
use crate::process::api::{ADM_KEY, http_client, webhook_sender};
use crate::process::{Api, Launch, TempDir, TestDb, eventually, with_adm};

const PATIENCE: Duration = Duration::from_secs(30);

async fn answering(receiver: &MockServer, status: u16) {
    receiver.reset().await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(status))
        .mount(receiver)
        .await;
}

/// (`webhook-id`, body) of every alert request the receiver saw.
pub async fn seen(receiver: &MockServer) -> Vec<(String, Value)> {
    receiver
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let id = r
                .headers
                .get("webhook-id")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            (id, serde_json::from_slice(&r.body).unwrap())
        })
        .collect()
}

/// The `delivery_parked` alerts the receiver saw (the seed order is past its deadline, so its
/// `order_overdue` alert comes too).
async fn parked(receiver: &MockServer) -> Vec<(String, Value)> {
    let mut alerts = seen(receiver).await;
    alerts.retain(|(_, body)| body["kind"] == "delivery_parked");
    alerts
}

async fn an_alert_survives_a_kill_and_arrives_once(launch: Launch) {
    let receiver = MockServer::start().await;
    answering(&receiver, 503).await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let launch = with_adm(launch, &adm).env(
        "ORDERBRIDGE_ALERTS_WEBHOOK_URL",
        &format!("{}/alerts", receiver.uri()),
    );
    let mut service = launch.serve("first").await;
    let api = Api::new(&service.base_url());
    // ADM knows the order with one unit only: the shipment of two is refused and parked.
    adm.register_order("7001", &[("ABC-123", 1)]);
    let reply = webhook_sender(&service.base_url())
        .send(&seed_order("7001"))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let order = api.order_id("7001").await;
    let (status, shipped) = api.ship(&order, "1Z-ALERT", &[("ABC-123", 2)]).await;
    assert_eq!(status, 201, "{shipped}");
    let tried = eventually(PATIENCE, async || !parked(&receiver).await.is_empty()).await;
    assert!(tried, "the alert was tried while the receiver was down");
    let (_, dead) = api.get("/v1/deliveries?state=dead").await;
    assert_eq!(dead["deliveries"].as_array().unwrap().len(), 1);
    let first_try = parked(&receiver).await[0].0.clone();
    service.kill_hard().await;

    answering(&receiver, 200).await;
    let mut again = launch.serve("restarted").await;
    let delivered = eventually(PATIENCE, async || !parked(&receiver).await.is_empty()).await;
    assert!(delivered, "the alert arrives after the restart");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let alerts = parked(&receiver).await;
    assert_eq!(alerts.len(), 1, "once: {alerts:?}");
    let (id, body) = &alerts[0];
    assert_eq!(*id, first_try, "the same alert, by its webhook-id");
    assert_eq!(body["kind"], "delivery_parked");
    assert_eq!(body["order_id"], order.as_str());
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Invalid SKU or Quantity"),
        "{body}"
    );
    // The gauges show the channel's state and its parked delivery.
    let metrics = format!("{}/metrics", again.base_url());
    let gauged = eventually(PATIENCE, async || {
        let text = http_client()
            .get(&metrics)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.contains("orderbridge_channel_state{channel=\"adm\",state=\"active\"} 1")
            && text.contains("orderbridge_channel_state{channel=\"adm\",state=\"paused\"} 0")
            && text.contains("orderbridge_channel_parked{channel=\"adm\"} 1")
    })
    .await;
    assert!(gauged, "channel gauges on /metrics");
    again.kill_hard().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_survives_a_kill_and_arrives_once_on_postgres() {
    let db = TestDb::create().await;
    an_alert_survives_a_kill_and_arrives_once(Launch::new().env("DATABASE_URL", db.url())).await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_survives_a_kill_and_arrives_once_on_sqlite() {
    let dir = TempDir::new();
    an_alert_survives_a_kill_and_arrives_once(Launch::new().cwd(dir.path())).await;
}
