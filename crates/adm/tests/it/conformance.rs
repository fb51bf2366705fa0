//! The `Marketplace` conformance kit, run against the ADM client.

use std::sync::Arc;
use std::time::Duration;

use orderbridge_adm::{AdmClient, AdmConfig, Secret};
use orderbridge_domain::ports::marketplace::Marketplace;
use orderbridge_marketplace_contract::{MockServer, Subject};

struct Adm;

impl Subject for Adm {
    fn channel(&self) -> &str {
        "adm"
    }

    fn adapter(&self, base_url: &str, timeout: Duration) -> Arc<dyn Marketplace> {
        let config = AdmConfig::new(base_url, Secret::new("kit-key")).with_request_timeout(timeout);
        Arc::new(AdmClient::new(config).unwrap())
    }

    async fn prepare(&self, _server: &MockServer) {}
}

orderbridge_marketplace_contract::marketplace_contract!(Adm);
