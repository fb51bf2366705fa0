//! Ship-by with the real binary: two instances share one database and check overdue orders
//! every second; an order past its deadline raises exactly one `order_overdue` alert to the
//! alerts webhook, the gauge `orderbridge_orders_overdue` counts it, `?overdue=true` lists it,
//! and once it ships the gauge falls back to 0. On PostgreSQL and on SQLite.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::e2e_alerts::seen;
use crate::e2e_lifecycle::seed_order;
use crate::process::api::{ADM_KEY, http_client, webhook_sender};
use crate::process::{Api, Launch, TempDir, TestDb, eventually, with_adm};

const PATIENCE: Duration = Duration::from_secs(30);

/// The `order_overdue` alerts the receiver saw.
async fn overdue_alerts(receiver: &MockServer) -> Vec<Value> {
    seen(receiver)
        .await
        .into_iter()
        .map(|(_, body)| body)
        .filter(|body| body["kind"] == "order_overdue")
        .collect()
}

/// The process's `/metrics` text holds `line`, within the patience.
async fn metrics_show(base_url: &str, line: &str) -> bool {
    let url = format!("{base_url}/metrics");
    eventually(PATIENCE, async || {
        let text = http_client()
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines().any(|l| l == line)
    })
    .await
}

async fn an_overdue_order_is_alerted_once_and_gauged(launch: Launch) {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let launch = with_adm(launch, &adm)
        .env(
            "ORDERBRIDGE_ALERTS_WEBHOOK_URL",
            &format!("{}/alerts", receiver.uri()),
        )
        .env("ORDERBRIDGE_ORDERS_OVERDUE_CHECK_SECS", "1");
    let mut first = launch.serve("first").await;
    let mut second = launch.serve("second").await;
    let api = Api::new(&first.base_url());
    let webhook = webhook_sender(&first.base_url());
    // The seed order was due 2023-12-27; the other is due in a year.
    let reply = webhook.send(&seed_order("8001")).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut later = seed_order("8002");
    later["deliver_by"] = (Utc::now() + TimeDelta::days(365)).to_rfc3339().into();
    let reply = webhook.send(&later).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let late = api.order_id("8001").await;

    let alerted = eventually(PATIENCE, async || {
        !overdue_alerts(&receiver).await.is_empty()
    })
    .await;
    assert!(alerted, "the overdue order raises an alert");
    // Both instances check every second: a few more rounds raise nothing more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let alerts = overdue_alerts(&receiver).await;
    assert_eq!(alerts.len(), 1, "once: {alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["channel"], "adm");
    assert_eq!(alert["order_id"], late.as_str());
    let message = alert["message"].as_str().unwrap();
    assert!(
        message.contains("8001") && message.contains("2023-12-27T00:00:00Z"),
        "{message}"
    );
    for personal in [
        "Jane",
        "Doe",
        "customer@example.com",
        "Main Street",
        "456-7890",
    ] {
        assert!(!alert.to_string().contains(personal), "{alert}");
    }
    let (status, page) = api.get("/v1/orders?overdue=true").await;
    assert_eq!(status, 200, "{page}");
    let listed: Vec<&str> = page["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["8001"]);
    for service in [&first, &second] {
        assert!(
            metrics_show(
                &service.base_url(),
                "orderbridge_orders_overdue{channel=\"adm\"} 1"
            )
            .await,
            "the gauge counts the overdue order"
        );
    }

    // Shipped, it is no longer overdue: the gauge falls back, and no alert follows.
    let (status, shipped) = api.ship(&late, "1Z-LATE", &[("ABC-123", 4)]).await;
    assert_eq!(status, 201, "{shipped}");
    assert!(
        metrics_show(
            &second.base_url(),
            "orderbridge_orders_overdue{channel=\"adm\"} 0"
        )
        .await,
        "the gauge falls back once the order ships"
    );
    assert_eq!(overdue_alerts(&receiver).await.len(), 1);
    first.kill_hard().await;
    second.kill_hard().await;
    adm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_order_is_alerted_once_and_gauged_on_postgres() {
    let db = TestDb::create().await;
    an_overdue_order_is_alerted_once_and_gauged(Launch::new().env("DATABASE_URL", db.url())).await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_order_is_alerted_once_and_gauged_on_sqlite() {
    let dir = TempDir::new();
    an_overdue_order_is_alerted_once_and_gauged(Launch::new().cwd(dir.path())).await;
}
