//! Re-reading one order's state: `GET /api/v1/orders/{id}` with the account's token, client
//! and Basic, read for `paused` and a cancelled state; a 404 is its own case; failures are
//! classified as for pages, a 429 as a rate limit; the call shares the account's spacing.

use std::time::{Duration, Instant};

use orderbridge_domain::order::CancelReason;
use orderbridge_domain::ports::marketplace::{Marketplace, Outcome};
use orderbridge_domain::ports::source::{OrderSource, SourceError, StateRead};
use orderbridge_domain::values::ExternalOrderId;
use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    CLIENT_ID, ORDER_ID, PASSWORD, TOKEN_PATH, USER, client, config, count, key, order, token_route,
};

fn id() -> ExternalOrderId {
    ExternalOrderId::parse(ORDER_ID).unwrap_or_else(|e| panic!("{e}"))
}

fn order_path() -> String {
    format!("/api/v1/orders/{ORDER_ID}")
}

/// The documented answer: the order wrapped in an array.
fn answer(state: &str, marketplace_state: &str, paused: Value) -> Value {
    json!({"order": [{
        "id": ORDER_ID,
        "state": state,
        "marketplace_state": marketplace_state,
        "integration_name": "amazon",
        "paused": paused,
        "acknowledged": 1,
        "order_info": {"currency": "USD", "order_lines": []}
    }]})
}

async fn state_for(response: ResponseTemplate) -> Result<StateRead, SourceError> {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path(order_path()))
        .respond_with(response)
        .mount(&server)
        .await;
    client(config(&server)).order_state(&id()).await
}

#[tokio::test]
async fn a_paused_order_is_read_as_held_with_the_accounts_credentials() {
    let server = MockServer::start().await;
    token_route(&server, "tok-7").await;
    Mock::given(method("GET"))
        .and(path(order_path()))
        .and(header("token", "tok-7"))
        .and(header("client", CLIENT_ID))
        .and(basic_auth(USER, PASSWORD))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(
            "PLACED",
            "AWAITING_SHIPMENT",
            json!(1),
        )))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(config(&server));
    for _ in 0..2 {
        let StateRead::Known(state) = client.order_state(&id()).await.unwrap() else {
            panic!("not read");
        };
        assert_eq!((state.on_hold, state.cancelled), (Some(true), None));
    }
    assert_eq!(count(&server, TOKEN_PATH).await, 1, "the token is shared");
}

#[tokio::test]
async fn a_cancelled_order_is_a_cancellation_by_the_marketplace_with_its_states_as_the_note() {
    let read = state_for(ResponseTemplate::new(200).set_body_json(answer(
        "CANCELLED",
        "Canceled",
        json!(0),
    )))
    .await;
    let Ok(StateRead::Known(state)) = read else {
        panic!("{read:?}");
    };
    assert_eq!(state.on_hold, Some(false));
    let cancel = state.cancelled.expect("cancelled");
    assert_eq!(cancel.reason, CancelReason::Other);
    assert_eq!(
        cancel.note.as_deref(),
        Some("FeedAMP state CANCELLED, marketplace state Canceled")
    );
    let open = state_for(ResponseTemplate::new(200).set_body_json(answer(
        "PLACED",
        "AWAITING_SHIPMENT",
        json!(0),
    )))
    .await;
    assert!(
        matches!(&open, Ok(StateRead::Known(s)) if s.cancelled.is_none() && s.on_hold == Some(false)),
        "{open:?}"
    );
}

#[tokio::test]
async fn an_unknown_order_is_not_found_not_cancelled() {
    let read =
        state_for(ResponseTemplate::new(404).set_body_json(json!({"error": "order not found"})))
            .await;
    assert_eq!(read, Ok(StateRead::NotFound));
}

#[tokio::test]
async fn failed_reads_are_classified_and_a_429_is_a_rate_limit() {
    let read = state_for(ResponseTemplate::new(429).insert_header("Retry-After", "3")).await;
    assert!(
        matches!(read, Err(SourceError::RateLimited { retry_after: Some(wait), .. }) if wait.as_secs() == 3),
        "{read:?}"
    );
    let read = state_for(ResponseTemplate::new(503)).await;
    assert!(matches!(read, Err(SourceError::Retry { .. })), "{read:?}");
    let read = state_for(ResponseTemplate::new(403)).await;
    assert!(
        matches!(&read, Err(SourceError::AuthFailed { reason }) if reason.contains("client id")),
        "{read:?}"
    );
    let read = state_for(ResponseTemplate::new(400).set_body_string("bad id")).await;
    assert_eq!(
        read,
        Err(SourceError::Rejected {
            reason: "400 Bad Request: bad id".to_owned()
        })
    );
    let read = state_for(ResponseTemplate::new(200).set_body_string("<html>")).await;
    assert!(
        matches!(&read, Err(SourceError::Rejected { reason }) if reason.starts_with("the order answer is not JSON")),
        "{read:?}"
    );
    let read = state_for(
        ResponseTemplate::new(200)
            .set_body_json(json!({"order": [{"id": "1", "state": "CANCELLED"}]})),
    )
    .await;
    assert!(
        matches!(&read, Err(SourceError::Rejected { reason }) if reason.contains("about order 1")),
        "{read:?}"
    );
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_a_second_refusal_is_an_auth_failure() {
    let read = state_for(ResponseTemplate::new(401)).await;
    assert!(
        matches!(&read, Err(SourceError::AuthFailed { reason }) if reason.starts_with("401")),
        "{read:?}"
    );
}

#[tokio::test]
async fn state_reads_share_the_accounts_request_spacing_with_every_other_call() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path(order_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(
            "PLACED",
            "AWAITING_SHIPMENT",
            json!(0),
        )))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let client = client(config(&server).with_requests_per_second(2));
    let clone = client.clone();
    let (id, order) = (id(), order(&[("1", "SKU-A", 1)]));
    let started = Instant::now();
    // The token, two reads and two confirmations, a read and a confirmation at once.
    client.order_state(&id).await.unwrap();
    let (read, confirmed) = tokio::join!(clone.order_state(&id), client.confirm(&order, key()));
    assert!(read.is_ok(), "{read:?}");
    assert_eq!(confirmed, Outcome::Delivered { remote_ref: None });
    client.confirm(&order, key()).await;
    let elapsed = started.elapsed();
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        5
    );
    assert!(elapsed >= Duration::from_millis(2000), "{elapsed:?}");
}
