//! The token: fetched once and shared, sent with `client` and Basic on every data call,
//! renewed once (single flight) on 401, and auth failures for refused credentials and client
//! ids.

use orderbridge_domain::ports::marketplace::{Marketplace, Outcome};
use orderbridge_domain::ports::source::{OrderSource, SourceError};
use serde_json::json;
use wiremock::matchers::{basic_auth, header, method, path};
use wiremock::{Match, Mock, MockServer, ResponseTemplate};

use crate::support::{
    CLIENT_ID, PASSWORD, TOKEN_PATH, USER, client, config, count, key, order, order_path,
    token_route,
};

#[tokio::test]
async fn the_token_is_fetched_once_and_reused_by_every_call() {
    let server = MockServer::start().await;
    token_route(&server, "tok-1").await;
    Mock::given(method("PUT"))
        .and(path(order_path("confirm")))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let client = client(config(&server));
    let order = order(&[("1", "SKU-A", 1)]);
    for _ in 0..3 {
        assert_eq!(
            client.confirm(&order, key()).await,
            Outcome::Delivered { remote_ref: None }
        );
    }
    let clone = client.clone();
    assert_eq!(
        clone.confirm(&order, key()).await,
        Outcome::Delivered { remote_ref: None }
    );
    assert_eq!(count(&server, TOKEN_PATH).await, 1);
    assert_eq!(count(&server, &order_path("confirm")).await, 4);
}

#[tokio::test]
async fn every_data_call_carries_basic_auth_the_token_and_the_client_id() {
    let server = MockServer::start().await;
    token_route(&server, "53bf15c-this-is-an-example-token").await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/orders/new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"orders": []})))
        .mount(&server)
        .await;
    let client = client(config(&server));
    let order = order(&[("1", "SKU-A", 1)]);
    client.confirm(&order, key()).await;
    let page = client.fetch_page(None).await;
    assert!(page.is_ok(), "{page:?}");
    client.send_order_fulfillment(&order, key()).await;

    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 4, "{requests:?}");
    let basic = basic_auth(USER, PASSWORD);
    let header_of = |r: &wiremock::Request, name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let key = key().to_string();
    for request in &requests {
        assert!(basic.matches(request), "{}: no Basic auth", request.url);
        // Only the marketplace calls (the PUTs here) carry the delivery's id.
        let expected_key = (request.method.as_str() == "PUT").then_some(key.as_str());
        assert_eq!(
            header_of(request, "idempotency-key").as_deref(),
            expected_key,
            "{}",
            request.url
        );
        if request.url.path() == TOKEN_PATH {
            assert_eq!(header_of(request, "token"), None);
        } else {
            assert_eq!(
                header_of(request, "token").as_deref(),
                Some("53bf15c-this-is-an-example-token"),
                "{}",
                request.url
            );
            assert_eq!(header_of(request, "client").as_deref(), Some(CLIENT_ID));
        }
    }
}

/// Token calls answer `tok-1` the first time and `tok-2` after; data calls refuse `tok-1`.
async fn server_that_expires_the_first_token() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "tok-1"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "tok-2"})))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(header("token", "tok-1"))
        .respond_with(ResponseTemplate::new(401).set_body_string("token expired"))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(header("token", "tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"order": {"id": "1", "cp_order_number": "1234", "state": "PLACED"}}),
        ))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_401_fetches_a_new_token_once_and_the_call_is_repeated() {
    let server = server_that_expires_the_first_token().await;
    let client = client(config(&server));
    let order = order(&[("1", "SKU-A", 1)]);
    let outcome = client.confirm(&order, key()).await;
    assert_eq!(
        outcome,
        Outcome::Delivered {
            remote_ref: Some("1234".to_owned())
        }
    );
    assert_eq!(count(&server, TOKEN_PATH).await, 2);
    assert_eq!(count(&server, &order_path("confirm")).await, 2);
    let keys: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == order_path("confirm"))
        .map(|r| {
            let value = r.headers.get("idempotency-key");
            value.and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
        })
        .collect();
    assert_eq!(
        keys,
        [key().to_string(), key().to_string()],
        "the repeat with the new token is the same delivery"
    );
    // The new token is cached: no further token call.
    client.confirm(&order, key()).await;
    assert_eq!(count(&server, TOKEN_PATH).await, 2);
}

#[tokio::test]
async fn eight_concurrent_calls_refused_at_once_cause_a_single_token_fetch() {
    let server = server_that_expires_the_first_token().await;
    let client = client(config(&server));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.confirm(&order(&[("1", "SKU-A", 1)]), key()).await })
        })
        .collect();
    for task in tasks {
        let outcome = task.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(outcome, Outcome::Delivered { .. }), "{outcome:?}");
    }
    assert_eq!(
        count(&server, TOKEN_PATH).await,
        2,
        "one first fetch, one renewal"
    );
    assert_eq!(count(&server, &order_path("confirm")).await, 16);
}

#[tokio::test]
async fn a_second_401_is_an_auth_failure_after_exactly_one_renewal() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let client = client(config(&server));
    let outcome = client.confirm(&order(&[("1", "SKU-A", 1)]), key()).await;
    assert!(
        matches!(&outcome, Outcome::AuthFailed { reason } if reason.starts_with("401 Unauthorized")),
        "{outcome:?}"
    );
    assert_eq!(count(&server, TOKEN_PATH).await, 2);
    assert_eq!(count(&server, &order_path("confirm")).await, 2);
}

#[tokio::test]
async fn a_401_on_the_token_route_is_an_auth_failure_without_a_data_call() {
    let server = MockServer::start().await;
    Mock::given(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let client = client(config(&server));
    let outcome = client.confirm(&order(&[("1", "SKU-A", 1)]), key()).await;
    assert!(
        matches!(&outcome, Outcome::AuthFailed { reason } if reason.contains("username or password")),
        "{outcome:?}"
    );
    let page = client.fetch_page(None).await;
    assert!(
        matches!(page, Err(SourceError::AuthFailed { .. })),
        "{page:?}"
    );
    assert_eq!(count(&server, &order_path("confirm")).await, 0);
}

#[tokio::test]
async fn a_403_is_an_auth_failure_naming_the_client_id() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(403).set_body_string("Forbidden"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/orders/new"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let client = client(config(&server));
    let outcome = client.confirm(&order(&[("1", "SKU-A", 1)]), key()).await;
    assert!(
        matches!(&outcome, Outcome::AuthFailed { reason }
            if reason.starts_with("403 Forbidden") && reason.contains("client id 4711")),
        "{outcome:?}"
    );
    let page = client.fetch_page(None).await;
    assert!(
        matches!(&page, Err(SourceError::AuthFailed { reason }) if reason.contains("not authorise")),
        "{page:?}"
    );
    // A 403 is not a token problem: no renewal.
    assert_eq!(count(&server, TOKEN_PATH).await, 1);
}

#[tokio::test]
async fn a_403_on_the_token_route_is_an_auth_failure_too() {
    let server = MockServer::start().await;
    Mock::given(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let outcome = client(config(&server))
        .confirm(&order(&[("1", "SKU-A", 1)]), key())
        .await;
    assert!(
        matches!(&outcome, Outcome::AuthFailed { reason } if reason.contains("client id 4711")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_failing_token_route_is_retried_later() {
    let server = MockServer::start().await;
    Mock::given(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "9"))
        .mount(&server)
        .await;
    let outcome = client(config(&server))
        .confirm(&order(&[("1", "SKU-A", 1)]), key())
        .await;
    assert!(
        matches!(outcome, Outcome::Retry { retry_after: Some(wait), .. } if wait.as_secs() == 9),
        "{outcome:?}"
    );
}
