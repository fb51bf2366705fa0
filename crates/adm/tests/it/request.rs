//! The Create Fulfillment request: seed 002's flat body, the key header, the idempotency key,
//! the order id as an integer or a string, the tracking URL and units summed per SKU.

use orderbridge_domain::ports::marketplace::{Marketplace, Outcome};
use orderbridge_domain::values::DeliveryId;
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{KEY, TRACKING, client, config, key, order, seed_shipment, ship};

#[tokio::test]
async fn the_request_is_seed_002s_flat_body_with_a_bearer_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/fulfillments"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .and(header("idempotency-key", key().to_string().as_str()))
        .and(body_json(json!({
            "order_id": 987_654_321,
            "line_items": [{"sku": "ABC-123", "quantity": 3}],
            "tracking_number": TRACKING,
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "order_id": 987_654_321,
            "status": "created",
            "tracking_number": TRACKING,
            "created_at": "2024-04-30T12:00:00Z",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (order, fulfillment) = seed_shipment();
    let outcome = client(config(&server))
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    assert_eq!(
        outcome,
        Outcome::Delivered {
            remote_ref: Some("2024-04-30T12:00:00Z".to_owned())
        }
    );
    let requests = server.received_requests().await.unwrap_or_default();
    let body = requests.first().map(|r| r.body.clone()).unwrap_or_default();
    assert_eq!(
        String::from_utf8_lossy(&body),
        r#"{"order_id":987654321,"line_items":[{"sku":"ABC-123","quantity":3}],"tracking_number":"1ZE356F8YW01937117"}"#
    );
}

#[tokio::test]
async fn the_key_goes_in_the_configured_header_and_nowhere_else() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/fulfillments"))
        .and(header("x-adm-key", KEY))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let (order, fulfillment) = seed_shipment();
    let config = config(&server)
        .with_api_key_header("X-ADM-Key")
        .with_fulfillment_path("/v2/fulfillments");
    let outcome = client(config)
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    assert_eq!(outcome, Outcome::Delivered { remote_ref: None });
    let requests = server.received_requests().await.unwrap_or_default();
    let headers = requests
        .first()
        .map(|r| r.headers.clone())
        .unwrap_or_default();
    assert!(headers.get("authorization").is_none(), "{headers:?}");
}

#[tokio::test]
async fn an_id_that_is_not_all_digits_is_sent_as_a_string_with_the_tracking_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_json(json!({
            "order_id": "A-1",
            "line_items": [{"sku": "SKU-1", "quantity": 1}],
            "tracking_number": TRACKING,
            "tracking_url": "https://www.ups.com/track?tracknum=1ZE356F8YW01937117",
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut order = order(&json!("A-1"), &[("SKU-1", 1)]);
    let fulfillment = ship(
        &mut order,
        &[("SKU-1", 1)],
        Some("https://www.ups.com/track?tracknum=1ZE356F8YW01937117"),
    );
    let outcome = client(config(&server))
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    assert_eq!(outcome, Outcome::Delivered { remote_ref: None });
}

#[tokio::test]
async fn an_id_beyond_u64_is_sent_as_a_string() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_json(json!({
            "order_id": "123456789012345678901234",
            "line_items": [{"sku": "SKU-1", "quantity": 1}],
            "tracking_number": TRACKING,
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut order = order(&json!("123456789012345678901234"), &[("SKU-1", 1)]);
    let fulfillment = ship(&mut order, &[("SKU-1", 1)], None);
    let outcome = client(config(&server))
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    assert_eq!(outcome, Outcome::Delivered { remote_ref: None });
}

#[tokio::test]
async fn units_are_summed_per_sku_in_the_order_skus_first_appear() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_json(json!({
            "order_id": 42,
            "line_items": [
                {"sku": "B", "quantity": 2},
                {"sku": "A", "quantity": 4},
            ],
            "tracking_number": TRACKING,
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    // Lines A, B, A: shipping 4 A spans lines 1 and 3, sent as one entry.
    let mut order = order(&json!(42), &[("A", 3), ("B", 2), ("A", 3)]);
    let fulfillment = ship(&mut order, &[("B", 1), ("A", 4), ("B", 1)], None);
    assert_eq!(fulfillment.lines().len(), 3);
    let outcome = client(config(&server))
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    assert_eq!(outcome, Outcome::Delivered { remote_ref: None });
}

#[tokio::test]
async fn the_tracking_url_is_left_out_when_unknown() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let (order, fulfillment) = seed_shipment();
    let outcome = client(config(&server))
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    assert_eq!(outcome, Outcome::Delivered { remote_ref: None });
    let requests = server.received_requests().await.unwrap_or_default();
    let body: serde_json::Value = requests
        .first()
        .and_then(|r| r.body_json().ok())
        .unwrap_or_default();
    assert!(body.get("tracking_url").is_none(), "{body}");
    assert!(body.get("carrier").is_none(), "{body}");
}

#[tokio::test]
async fn every_attempt_of_a_delivery_sends_its_id_as_the_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let (order, fulfillment) = seed_shipment();
    let client = client(config(&server));
    let retried = client.send_fulfillment(&order, &fulfillment, key()).await;
    assert!(matches!(retried, Outcome::Retry { .. }), "{retried:?}");
    let delivered = client.send_fulfillment(&order, &fulfillment, key()).await;
    assert_eq!(delivered, Outcome::Delivered { remote_ref: None });
    let other = DeliveryId::from_uuid(Uuid::from_u128(7));
    client.send_fulfillment(&order, &fulfillment, other).await;
    let requests = server.received_requests().await.unwrap_or_default();
    let keys: Vec<&str> = requests
        .iter()
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .map_or("", |v| v.to_str().unwrap_or(""))
        })
        .collect();
    let (first, second) = (key().to_string(), other.to_string());
    assert_eq!(keys, [first.as_str(), first.as_str(), second.as_str()]);
    assert_eq!(Uuid::parse_str(&first).ok(), Some(key().as_uuid()));
}
