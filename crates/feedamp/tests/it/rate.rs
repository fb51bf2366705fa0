//! The request spacing: every call of one client, token call included and clones alike, at
//! most `requests_per_second`, evenly spaced.

use std::time::{Duration, Instant};

use orderbridge_domain::ports::marketplace::{Marketplace, Outcome};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN_PATH, client, config, count, key, order, token_route};

#[tokio::test]
async fn five_calls_at_two_per_second_take_at_least_two_seconds() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let client = client(config(&server).with_requests_per_second(2));
    let order = order(&[("1", "SKU-A", 1)]);
    let started = Instant::now();
    // One token call and four confirmations, two of them from a clone, two concurrently.
    assert_eq!(
        client.confirm(&order, key()).await,
        Outcome::Delivered { remote_ref: None }
    );
    assert_eq!(
        client.confirm(&order, key()).await,
        Outcome::Delivered { remote_ref: None }
    );
    let clone = client.clone();
    let (a, b) = tokio::join!(client.confirm(&order, key()), clone.confirm(&order, key()));
    assert_eq!(
        (a, b),
        (
            Outcome::Delivered { remote_ref: None },
            Outcome::Delivered { remote_ref: None }
        )
    );
    let elapsed = started.elapsed();
    assert_eq!(count(&server, TOKEN_PATH).await, 1);
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        5
    );
    assert!(elapsed >= Duration::from_millis(2000), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}
