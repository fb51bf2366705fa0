//! Client settings, capabilities and the calls ADM does not have.

use std::time::Duration;

use orderbridge_adm::{AdmClient, AdmConfig, AdmConfigError, Secret};
use orderbridge_domain::ports::marketplace::{
    CancellationSupport, FulfillmentMode, Marketplace, Outcome, RefundSupport,
};
use wiremock::MockServer;

use crate::support::{KEY, client, config, key, seed_shipment};

#[test]
fn adm_confirms_nothing_and_takes_one_call_per_shipment() {
    let client = client(AdmConfig::new("https://adm.example", Secret::new(KEY)));
    let capabilities = client.capabilities();
    assert!(!capabilities.confirms_orders);
    assert_eq!(capabilities.fulfillment, FulfillmentMode::PerShipment);
    assert_eq!(capabilities.cancellations, CancellationSupport::None);
    assert_eq!(capabilities.refunds, RefundSupport::None);
    assert!(!capabilities.requires_carrier);
}

#[tokio::test]
async fn calls_adm_does_not_have_are_rejected_without_a_request() {
    let server = MockServer::start().await;
    let (order, _) = seed_shipment();
    let client = client(config(&server));
    assert!(matches!(
        client.confirm(&order, key()).await,
        Outcome::Rejected { .. }
    ));
    assert!(matches!(
        client.send_order_fulfillment(&order, key()).await,
        Outcome::Rejected { .. }
    ));
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(0));
}

#[test]
fn the_client_never_shows_its_key() {
    for config in [
        AdmConfig::new("https://adm.example", Secret::new(KEY)),
        AdmConfig::new("https://adm.example", Secret::new(KEY)).with_api_key_header("X-Key"),
    ] {
        let printed = format!("{:?}", client(config));
        assert!(!printed.contains(KEY), "{printed}");
    }
}

#[test]
fn bad_settings_are_refused_by_name() {
    let base = || AdmConfig::new("https://adm.example", Secret::new(KEY));
    let err = |config: AdmConfig| AdmClient::new(config).err();
    assert!(matches!(
        err(AdmConfig::new("adm.example", Secret::new(KEY))),
        Some(AdmConfigError::InvalidUrl { .. })
    ));
    assert!(matches!(
        err(AdmConfig::new("https://adm.example", Secret::new("  "))),
        Some(AdmConfigError::EmptyApiKey)
    ));
    let bad_key = err(AdmConfig::new(
        "https://adm.example",
        Secret::new("line\nbreak"),
    ));
    assert!(matches!(bad_key, Some(AdmConfigError::InvalidApiKey)));
    assert!(!format!("{bad_key:?}").contains("break"));
    assert!(matches!(
        err(base().with_api_key_header("bad header")),
        Some(AdmConfigError::InvalidHeaderName(_))
    ));
    assert!(matches!(
        err(base().with_request_timeout(Duration::ZERO)),
        Some(AdmConfigError::ZeroTimeout("request"))
    ));
}
