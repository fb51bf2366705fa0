//! Every class of ADM answer (2xx, 4xx, 5xx, redirects, timeouts, refused connections) mapped
//! to its `Outcome`.

use std::time::Duration;

use chrono::Utc;
use orderbridge_adm::{AdmConfig, Secret};
use orderbridge_domain::ports::marketplace::{Marketplace, Outcome};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{KEY, adm_error, client, config, key, outcome_for, seed_shipment};

#[tokio::test]
async fn a_400_is_rejected_with_adms_error_and_message() {
    let body = adm_error(
        "Invalid SKU or Quantity",
        "One or more line items have an invalid SKU or quantity specified.",
    );
    let outcome = outcome_for(ResponseTemplate::new(400).set_body_json(body)).await;
    assert_eq!(
        outcome,
        Outcome::Rejected {
            reason: "400 Invalid SKU or Quantity: One or more line items have an invalid SKU \
                     or quantity specified."
                .to_owned()
        }
    );
}

#[tokio::test]
async fn a_404_is_rejected_with_adms_error_and_message() {
    let body = adm_error(
        "Order Not Found",
        "The order with the specified ID was not found.",
    );
    let outcome = outcome_for(ResponseTemplate::new(404).set_body_json(body)).await;
    assert_eq!(
        outcome,
        Outcome::Rejected {
            reason: "404 Order Not Found: The order with the specified ID was not found."
                .to_owned()
        }
    );
}

#[tokio::test]
async fn a_422_or_a_400_without_json_is_rejected_too() {
    let outcome = outcome_for(ResponseTemplate::new(400).set_body_string("bad request\n")).await;
    assert_eq!(
        outcome,
        Outcome::Rejected {
            reason: "400 Bad Request: bad request".to_owned()
        }
    );
    let outcome = outcome_for(ResponseTemplate::new(422)).await;
    assert!(matches!(outcome, Outcome::Rejected { .. }), "{outcome:?}");
}

#[tokio::test]
async fn a_401_or_403_is_an_auth_failure() {
    let body = adm_error("Unauthorized Request", "The key provided is invalid.");
    let outcome = outcome_for(ResponseTemplate::new(401).set_body_json(body)).await;
    assert_eq!(
        outcome,
        Outcome::AuthFailed {
            reason: "401 Unauthorized Request: The key provided is invalid.".to_owned()
        }
    );
    let outcome = outcome_for(ResponseTemplate::new(403)).await;
    assert_eq!(
        outcome,
        Outcome::AuthFailed {
            reason: "403 Forbidden".to_owned()
        }
    );
}

#[tokio::test]
async fn a_408_or_429_is_retried_after_the_seconds_adm_asks_for() {
    for status in [408, 429] {
        let response = ResponseTemplate::new(status).insert_header("Retry-After", "7");
        let outcome = outcome_for(response).await;
        assert!(
            matches!(
                outcome,
                Outcome::Retry { retry_after: Some(wait), .. } if wait == Duration::from_secs(7)
            ),
            "{status}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_retry_after_http_date_is_honoured() {
    let later = Utc::now() + chrono::TimeDelta::seconds(120);
    let date = later.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let outcome = outcome_for(ResponseTemplate::new(503).insert_header("Retry-After", date)).await;
    let Outcome::Retry {
        retry_after: Some(wait),
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_500_or_503_is_retried() {
    let body = adm_error(
        "Server Error",
        "An error occurred on our server. Please try again later.",
    );
    let outcome = outcome_for(ResponseTemplate::new(500).set_body_json(body)).await;
    assert_eq!(
        outcome,
        Outcome::Retry {
            reason: "500 Server Error: An error occurred on our server. Please try again later."
                .to_owned(),
            retry_after: None,
        }
    );
    let outcome = outcome_for(ResponseTemplate::new(503)).await;
    assert_eq!(
        outcome,
        Outcome::Retry {
            reason: "503 Service Unavailable".to_owned(),
            retry_after: None,
        }
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_but_rejected() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/fulfillments"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/elsewhere"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let (order, fulfillment) = seed_shipment();
    let outcome = client(config(&server))
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    assert_eq!(
        outcome,
        Outcome::Rejected {
            reason: "302 Found".to_owned()
        }
    );
}

#[tokio::test]
async fn an_answer_slower_than_the_request_timeout_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let (order, fulfillment) = seed_shipment();
    let config = config(&server).with_request_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let outcome = client(config)
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    assert!(
        matches!(outcome, Outcome::Retry { ref reason, .. } if reason.contains("in time")),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_closed_port_is_retried() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let config = AdmConfig::new(format!("http://127.0.0.1:{port}"), Secret::new(KEY))
        .with_connect_timeout(Duration::from_secs(2));
    let (order, fulfillment) = seed_shipment();
    let outcome = client(config)
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    let Outcome::Retry {
        reason,
        retry_after: None,
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert!(reason.starts_with("could not connect to ADM"), "{reason}");
    assert!(!reason.contains(KEY), "{reason}");
}

#[tokio::test]
async fn an_unknown_host_is_retried() {
    let config = AdmConfig::new("https://adm.invalid", Secret::new(KEY))
        .with_connect_timeout(Duration::from_secs(2))
        .with_request_timeout(Duration::from_secs(5));
    let (order, fulfillment) = seed_shipment();
    let outcome = client(config)
        .send_fulfillment(&order, &fulfillment, key())
        .await;
    assert!(matches!(outcome, Outcome::Retry { .. }), "{outcome:?}");
}
