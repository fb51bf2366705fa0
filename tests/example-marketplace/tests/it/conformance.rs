//! The `Marketplace` conformance kit, run against the Bazaar client.

use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::ports::clock::SystemClock;
use orderbridge_domain::ports::marketplace::Marketplace;
use orderbridge_domain::values::{ApiKeys, ChannelId, DeliveryId, Secret};
use orderbridge_example_marketplace::{BazaarClient, BazaarConfig};
use orderbridge_marketplace_contract::{MockServer, Subject};

struct Bazaar;

impl Subject for Bazaar {
    fn channel(&self) -> &str {
        "bazaar"
    }

    fn adapter(&self, base_url: &str, timeout: Duration) -> Arc<dyn Marketplace> {
        let config = BazaarConfig::new(
            ChannelId::parse("bazaar").unwrap(),
            base_url,
            Secret::new("kit-key"),
            ApiKeys::new([Secret::new("hook-key")]),
        )
        .with_request_timeout(timeout);
        Arc::new(BazaarClient::new(&config, Arc::new(SystemClock)).unwrap())
    }

    async fn prepare(&self, _server: &MockServer) {}
}

orderbridge_marketplace_contract::marketplace_contract!(Bazaar);

#[tokio::test]
async fn a_shipment_is_one_post_to_shipments_with_the_bearer_key_and_the_delivery_id() {
    use orderbridge_marketplace_contract::sample_order;
    use wiremock::matchers::{body_json, header, method, path};
    use wiremock::{Mock, ResponseTemplate};

    let server = MockServer::start().await;
    let order = sample_order("bazaar");
    let key = DeliveryId::parse("0190f00d-0000-7000-8000-00000000ba2a").unwrap();
    let shipment = &order.fulfillments()[0];
    let expected = serde_json::json!({
        "order_id": "450789469",
        "shipment_id": shipment.id().to_string(),
        "tracking_number": "1ZKIT0001",
        "carrier": "UPS",
        "lines": [{ "sku": "SKU-A", "quantity": 2 }],
    });
    Mock::given(method("POST"))
        .and(path("/shipments"))
        .and(header("authorization", "Bearer kit-key"))
        .and(header("idempotency-key", key.to_string().as_str()))
        .and(body_json(expected))
        .respond_with(
            ResponseTemplate::new(201).set_body_raw(r#"{"id":"S-9"}"#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = Bazaar.adapter(&server.uri(), Duration::from_secs(2));
    let outcome = client.send_fulfillment(&order, shipment, key).await;
    assert_eq!(
        outcome,
        orderbridge_domain::ports::marketplace::Outcome::Delivered {
            remote_ref: Some("S-9".to_owned())
        }
    );
}
