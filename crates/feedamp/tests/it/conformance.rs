//! The `Marketplace` conformance kit, run against the FeedAMP client. Its fake serves the token
//! route normally, so a 401 on a data call is retried once with a fresh token before it counts.

use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::ports::marketplace::Marketplace;
use orderbridge_domain::values::ChannelId;
use orderbridge_feedamp::{FeedampClient, FeedampConfig, Secret};
use orderbridge_marketplace_contract::{MockServer, Subject};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

struct Feedamp;

impl Subject for Feedamp {
    fn channel(&self) -> &str {
        "feedamp"
    }

    fn adapter(&self, base_url: &str, timeout: Duration) -> Arc<dyn Marketplace> {
        let config = FeedampConfig::new(
            ChannelId::parse("feedamp").unwrap(),
            base_url,
            "kit-user",
            Secret::new("kit-password"),
            "1234",
        )
        .with_min_interval(Duration::from_millis(1))
        .with_request_timeout(timeout);
        Arc::new(FeedampClient::new(config).unwrap())
    }

    async fn prepare(&self, server: &MockServer) {
        Mock::given(method("GET"))
            .and(path(FeedampConfig::DEFAULT_TOKEN_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "kit-token"})))
            .with_priority(1)
            .mount(server)
            .await;
    }
}

orderbridge_marketplace_contract::marketplace_contract!(Feedamp);
