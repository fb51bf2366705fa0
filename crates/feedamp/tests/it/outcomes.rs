//! Every class of FeedAMP answer (2xx, 4xx, 5xx, timeouts, refused connections) mapped to its
//! `Outcome`, on the confirm call.

use std::time::{Duration, Instant};

use orderbridge_domain::ports::marketplace::{Marketplace, Outcome};
use orderbridge_feedamp::{FeedampConfig, Secret};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    TOKEN_PATH, channel, client, config, count, key, order, order_path, token_route,
};

/// Confirms an order against a FeedAMP answering `response` to the confirm call.
async fn outcome_for(response: ResponseTemplate) -> (Outcome, MockServer) {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("PUT"))
        .and(path(order_path("confirm")))
        .respond_with(response)
        .mount(&server)
        .await;
    let outcome = client(config(&server).with_request_timeout(Duration::from_millis(500)))
        .confirm(&order(&[("1", "SKU-A", 1)]), key())
        .await;
    (outcome, server)
}

fn retry_after(outcome: &Outcome) -> Option<Duration> {
    match outcome {
        Outcome::Retry { retry_after, .. } => *retry_after,
        _ => None,
    }
}

#[tokio::test]
async fn each_status_is_classified() {
    let cases: [(u16, &str); 9] = [
        (200, "delivered"),
        (201, "delivered"),
        (400, "rejected"),
        (401, "auth"),
        (403, "auth"),
        (404, "rejected"),
        (409, "rejected"),
        (500, "retry"),
        (503, "retry"),
    ];
    for (status, expected) in cases {
        let (outcome, server) =
            outcome_for(ResponseTemplate::new(status).set_body_string("no")).await;
        let class = match &outcome {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Rejected { .. } => "rejected",
            Outcome::AuthFailed { .. } => "auth",
            Outcome::Retry { .. } => "retry",
        };
        assert_eq!(class, expected, "{status}: {outcome:?}");
        // Only a 401 renews the token.
        let tokens = if status == 401 { 2 } else { 1 };
        assert_eq!(count(&server, TOKEN_PATH).await, tokens, "{status}");
    }
}

#[tokio::test]
async fn a_rejection_carries_feedamps_body_text() {
    let (outcome, _server) =
        outcome_for(ResponseTemplate::new(404).set_body_string("{\"error\": \"order not found\"}"))
            .await;
    assert_eq!(
        outcome,
        Outcome::Rejected {
            reason: "404 Not Found: {\"error\": \"order not found\"}".to_owned()
        }
    );
}

#[tokio::test]
async fn a_429_is_retried_after_the_wait_feedamp_asks_for() {
    let (outcome, _server) =
        outcome_for(ResponseTemplate::new(429).insert_header("Retry-After", "12")).await;
    assert_eq!(
        retry_after(&outcome),
        Some(Duration::from_secs(12)),
        "{outcome:?}"
    );
    let (outcome, _server) = outcome_for(ResponseTemplate::new(503)).await;
    assert_eq!(
        outcome,
        Outcome::Retry {
            reason: "503 Service Unavailable".to_owned(),
            retry_after: None
        }
    );
}

#[tokio::test]
async fn an_answer_slower_than_the_request_timeout_is_retried() {
    let started = Instant::now();
    let (outcome, _server) =
        outcome_for(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
    assert!(
        matches!(&outcome, Outcome::Retry { reason, .. } if reason.contains("in time")),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_refused_connection_is_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    drop(listener);
    let config = FeedampConfig::new(
        channel(),
        format!("http://{address}"),
        "u",
        Secret::new("p"),
        "1",
    );
    let outcome = client(config)
        .confirm(&order(&[("1", "SKU-A", 1)]), key())
        .await;
    assert!(
        matches!(&outcome, Outcome::Retry { reason, .. } if reason.contains("connect")),
        "{outcome:?}"
    );
}
