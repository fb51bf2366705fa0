//! The real `orderbridge` binary driving an ADM order through its life (issue 7 §3): on
//! PostgreSQL with a graceful stop at the end, and on the embedded SQLite default.

use std::time::{Duration, Instant};

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::{Value, json};

use crate::process::api::{ADM_KEY, SHUTDOWN_SECS, webhook_sender};
use crate::process::{Api, Launch, TempDir, TestDb, eventually, with_adm};

const PATIENCE: Duration = Duration::from_secs(30);

/// An `orders/create` payload in seed 001's shape: two lines of the same SKU.
pub fn seed_order(id: &str) -> Value {
    json!({
        "created_at": "2023-12-20T10:15:30Z",
        "deliver_by": "2023-12-27T00:00:00Z",
        "email": "customer@example.com",
        "id": id,
        "line_items": [
            {"price": "12.34", "quantity": 2, "sku": "ABC-123", "total_discount": "2.34", "total_tax": "0.65"},
            {"price": "43.21", "quantity": 2, "sku": "ABC-123", "total_discount": "3.21", "total_tax": "3.65"}
        ],
        "shipping_address": {
            "address1": "123 Main Street", "address2": null, "city": "Anytown", "company": null,
            "country_code": "US", "first_name": "Jane", "last_name": "Doe",
            "phone": "(123) 456-7890", "province_code": "CA", "zip": "12345"
        },
        "shipping_service": "Standard Ground",
        "subtotal_price": "79.98",
        "total_discounts": "5.00",
        "total_price": "85.97",
        "total_shipping_price": "10.99",
        "total_tax": "0.00"
    })
}

/// The delivery states of the order's fulfillments, in order.
async fn delivery_states(api: &Api, order: &str) -> Vec<String> {
    let (status, body) = api.get(&format!("/v1/orders/{order}")).await;
    assert_eq!(status, 200, "{body}");
    body["fulfillments"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|f| f["delivery"]["state"].as_str().unwrap_or("none").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adm_order_goes_from_webhook_to_delivered_then_the_process_stops_cleanly_on_postgres() {
    let began = Instant::now();
    let db = TestDb::create().await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let mut service = with_adm(Launch::new(), &adm)
        .env("DATABASE_URL", db.url())
        .serve("orderbridge")
        .await;
    let up = began.elapsed();
    let api = Api::new(&service.base_url());
    let webhook = webhook_sender(&service.base_url());

    // ADM sends the order: stored, then answered as seed 001 shows.
    let payload = seed_order("987654321");
    let reply = webhook.send(&payload).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({
            "line_items": [{"quantity": 2, "sku": "ABC-123"}, {"quantity": 2, "sku": "ABC-123"}],
            "order_id": 987_654_321,
            "status": "created"
        })
    );
    let order = api.order_id("987654321").await;

    // Two packages: one unit, then the other three.
    let (status, body) = api.ship(&order, "1Z-E2E-A", &[("ABC-123", 1)]).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["order_status"], "partially_fulfilled", "{body}");
    let (status, body) = api.ship(&order, "1Z-E2E-B", &[("ABC-123", 3)]).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["order_status"], "fulfilled", "{body}");

    assert!(adm.wait_for_accepted(2, PATIENCE).await, "both reach ADM");
    let delivered = eventually(PATIENCE, async || {
        delivery_states(&api, &order).await == ["delivered", "delivered"]
    })
    .await;
    assert!(
        delivered,
        "both marked delivered: {:?}",
        delivery_states(&api, &order).await
    );
    let delivered_at = began.elapsed();
    let (_, detail) = api.get(&format!("/v1/orders/{order}")).await;
    assert_eq!(detail["status"], "fulfilled", "{detail}");
    let accepted = adm.accepted();
    let mut sent: Vec<(&str, &str, u64)> = accepted
        .iter()
        .map(|f| {
            (
                f.order_id.as_str(),
                f.tracking_number.as_str(),
                f.line_items.iter().map(|l| l.quantity).sum(),
            )
        })
        .collect();
    // The two shipments wait for nothing of each other: either may arrive first.
    sent.sort_unstable();
    assert_eq!(
        sent,
        [("987654321", "1Z-E2E-A", 1), ("987654321", "1Z-E2E-B", 3)],
        "exactly the two"
    );
    assert_eq!(adm.duplicates(), 0);

    // ADM sends it again.
    let reply = webhook.send(&payload).await.unwrap();
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert_eq!(
        reply.json()["error"],
        "Order Already Created",
        "{}",
        reply.body
    );
    assert!(reply.json()["message"].is_string(), "{}", reply.body);

    // SIGTERM: exit 0 within the shutdown timeout, leases given back.
    let asked = Instant::now();
    let status = service
        .terminate(Duration::from_secs(SHUTDOWN_SECS + 10))
        .await
        .expect("orderbridge exits after SIGTERM");
    let took = asked.elapsed();
    let logs = service.logs();
    assert!(status.success(), "{status}; output:\n{}", logs.text());
    assert!(
        took <= Duration::from_secs(SHUTDOWN_SECS),
        "stopping took {took:?}, more than the {SHUTDOWN_SECS} s shutdown timeout"
    );
    assert_eq!(
        logs.count("dispatcher stopped; leases given back"),
        1,
        "{}",
        logs.text()
    );
    assert_eq!(logs.count("orderbridge stopped"), 1, "{}", logs.text());
    assert_eq!(adm.accepted_count(), 2, "nothing more was sent");
    eprintln!(
        "lifecycle: listening after {up:.1?}, both delivered after {delivered_at:.1?}, stopped in {took:.1?}"
    );
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_database_url_serve_runs_on_a_sqlite_file_in_the_working_directory() {
    let dir = TempDir::new();
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let mut service = with_adm(Launch::new(), &adm)
        .without("DATABASE_URL")
        .cwd(dir.path())
        .serve("orderbridge on SQLite")
        .await;
    assert!(
        dir.path().join("orderbridge.sqlite").is_file(),
        "orderbridge.sqlite in the working directory"
    );
    let logs = service.logs();
    assert!(
        logs.events()
            .iter()
            .any(|e| e["message"] == "store ready" && e["store"] == "sqlite"),
        "{}",
        logs.text()
    );
    let api = Api::new(&service.base_url());
    let (status, _) = api.get("/readyz").await;
    assert_eq!(status, 200);

    let reply = webhook_sender(&service.base_url())
        .send(&seed_order("555000111"))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let order = api.order_id("555000111").await;
    let (status, body) = api.ship(&order, "1Z-SQLITE", &[("ABC-123", 4)]).await;
    assert_eq!(status, 201, "{body}");
    assert!(adm.wait_for_accepted(1, PATIENCE).await, "reaches ADM");
    let delivered = eventually(PATIENCE, async || {
        delivery_states(&api, &order).await == ["delivered"]
    })
    .await;
    assert!(delivered, "marked delivered");
    let accepted = adm.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(
        (
            accepted[0].order_id.as_str(),
            accepted[0].tracking_number.as_str()
        ),
        ("555000111", "1Z-SQLITE")
    );
    let status = service
        .terminate(Duration::from_secs(SHUTDOWN_SECS + 10))
        .await
        .expect("orderbridge exits after SIGTERM");
    assert!(status.success(), "{status}; output:\n{}", logs.text());
}
