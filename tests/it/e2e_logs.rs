//! Logs carry no customer PII (issue 7 §3): an ADM order's whole life through the real binary
//! at `debug` level, rejections and repeats included, and not one name, email, phone or
//! address of the customer in any line it wrote.

use std::time::Duration;

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::{Value, json};

use crate::process::api::{ADM_KEY, SHUTDOWN_SECS, webhook_sender};
use crate::process::{Api, Launch, TestDb, eventually, with_adm};

const FIRST_NAME: &str = "Zebediah";
const LAST_NAME: &str = "Quixote-Snarf";
const EMAIL: &str = "zq.customer@example.org";
const PHONE: &str = "(555) 867-5309";
const STREET: &str = "742 Evergreen Terrace";
const CITY: &str = "Springfieldshire";
const ZIP: &str = "90210-4242";
const COMPANY: &str = "Snarfworks Unlimited";
const ADDRESS2: &str = "Flat 9 3/4";

/// An order with distinctive customer details; `quantity` of the first line.
fn order(id: &str, quantity: i64) -> Value {
    json!({
        "created_at": "2024-05-01T08:30:00Z",
        "deliver_by": "2024-05-08T00:00:00Z",
        "email": EMAIL,
        "id": id,
        "line_items": [
            {"price": "19.99", "quantity": quantity, "sku": "PII-MUG", "total_discount": "0.00", "total_tax": "1.60"},
            {"price": "5.00", "quantity": 3, "sku": "PII-PEN", "total_discount": "0.50", "total_tax": "0.36"}
        ],
        "shipping_address": {
            "address1": STREET, "address2": ADDRESS2, "city": CITY, "company": COMPANY,
            "country_code": "US", "first_name": FIRST_NAME, "last_name": LAST_NAME,
            "phone": PHONE, "province_code": "CA", "zip": ZIP
        },
        "shipping_service": "Overnight",
        "subtotal_price": "54.48",
        "total_discounts": "0.50",
        "total_price": "79.43",
        "total_shipping_price": "24.99",
        "total_tax": "2.96"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_of_a_whole_order_life_carry_no_customer_pii() {
    let db = TestDb::create().await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    // The child's environment is clean: RUST_LOG is not passed on, so this filter applies.
    let mut service = with_adm(Launch::new(), &adm)
        .env("DATABASE_URL", db.url())
        .env("ORDERBRIDGE_LOG_FILTER", "debug")
        .serve("orderbridge at debug")
        .await;
    let api = Api::new(&service.base_url());
    let webhook = webhook_sender(&service.base_url());

    // Refused: a bad quantity, then a body that is not JSON (cut off mid-way).
    let reply = webhook.send(&order("424242001", 0)).await.unwrap();
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.json()["error"], "Invalid SKU or Quantity");
    let text = order("424242002", 1).to_string();
    let reply = webhook
        .send_raw(text.as_bytes()[..text.len() / 2].to_vec())
        .await
        .unwrap();
    assert_eq!(reply.status, 400, "{}", reply.body);
    // Fields that only inform, of the wrong type or unreadable: the order is stored (design
    // section 11) and flagged, and neither its answer nor its log line shows them.
    let mut wrong_type = order("424242004", 1);
    wrong_type["email"] = json!([EMAIL]);
    wrong_type["shipping_address"]["phone"] = json!({ "home": PHONE });
    wrong_type["shipping_address"]["country_code"] = json!(CITY);
    let reply = webhook.send(&wrong_type).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(!reply.body.contains(EMAIL), "{}", reply.body);
    let tolerated = api.order_id("424242004").await;
    let (_, detail) = api.get(&format!("/v1/orders/{tolerated}")).await;
    assert_eq!(
        detail["flags"],
        json!(["email_unreadable", "address_unreadable", "country_unknown"]),
        "{detail}"
    );

    // Stored, then repeated.
    let payload = order("424242003", 2);
    let reply = webhook.send(&payload).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = webhook.send(&payload).await.unwrap();
    assert_eq!(reply.status, 409, "{}", reply.body);
    let id = api.order_id("424242003").await;

    // One package, the rest cancelled, one line refunded.
    let (status, body) = api
        .ship(&id, "1Z-PII-1", &[("PII-MUG", 2), ("PII-PEN", 1)])
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api
        .post(
            &format!("/v1/orders/{id}/cancellations"),
            &json!({"reason": "out_of_stock", "note": "two pens short"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["order_status"], "fulfilled", "{body}");
    let (status, body) = api
        .post(
            &format!("/v1/orders/{id}/refunds"),
            &json!({"reason": "damaged", "reference": "RF-PII-1", "lines": [{"line": 1, "quantity": 1, "amount": "19.99"}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(adm.wait_for_accepted(1, Duration::from_secs(30)).await);
    let settled = eventually(Duration::from_secs(30), async || {
        let (_, page) = api.get("/v1/deliveries?state=pending&limit=1").await;
        page["deliveries"].as_array().is_some_and(Vec::is_empty)
    })
    .await;
    assert!(settled, "deliveries still pending");
    // The warehouse reads the order back (with its address) too.
    let (status, detail) = api.get(&format!("/v1/orders/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["shipping_address"]["city"], CITY, "{detail}");

    let status = service
        .terminate(Duration::from_secs(SHUTDOWN_SECS + 10))
        .await
        .expect("orderbridge exits after SIGTERM");
    assert!(status.success(), "{status}");
    let logs = service.logs();
    let text = logs.text();

    // The logs say what happened, with the order's ids and the rejection's reason...
    for expected in [
        "order received",
        "webhook rejected",
        "order already created",
        "fulfillment recorded",
        "cancellation recorded",
        "refund recorded",
        "delivered",
        "line_items[0].quantity",
        "424242003",
        id.as_str(),
    ] {
        assert!(text.contains(expected), "the logs lack {expected:?}");
    }
    assert!(
        logs.events().iter().any(|e| e["level"] == "DEBUG"),
        "debug events were written"
    );
    // ...and nothing about the customer.
    let mut leaks = Vec::new();
    for pii in [
        FIRST_NAME,
        LAST_NAME,
        EMAIL,
        PHONE,
        "867-5309",
        STREET,
        "Evergreen",
        CITY,
        ZIP,
        COMPANY,
        ADDRESS2,
    ] {
        for line in logs.lines() {
            if line.to_lowercase().contains(&pii.to_lowercase()) {
                leaks.push(format!("{pii:?} in: {line}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} log lines of {} carry PII:\n{}",
        leaks.len(),
        logs.lines().len(),
        leaks.join("\n")
    );
    eprintln!("logs: {} lines at debug, no PII", logs.lines().len());
    db.drop_now().await;
}
