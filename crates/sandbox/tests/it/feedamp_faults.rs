//! The fake FeedAMP's faults (each kind, on the data routes and separately on the token route,
//! never on the control paths), its request log with the busiest-second count, and its
//! control paths.

use std::time::{Duration, Instant};

use orderbridge_sandbox::feedamp::max_in_window;
use orderbridge_sandbox::{Fault, FeedampOrderGenerator};
use reqwest::StatusCode;
use serde_json::json;

use crate::feedamp_support::{
    Api, PASSWORD, USER, error_of, feedamp, fetch_token, ids, two_line_order,
};
use crate::support::{client, client_with_timeout, post, reply};

#[tokio::test]
async fn the_next_three_data_calls_get_500_and_the_token_route_is_not_faulted() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    sandbox.faults().fail_next(3);
    // The token route has its own faults: fetching a token uses none of these.
    let token = fetch_token(&api.http, &api.base, USER, PASSWORD).await;
    assert_eq!(token.status, StatusCode::OK);
    for _ in 0..3 {
        let failed = api.get("/api/v1/orders").await;
        assert_eq!(error_of(&failed, 500), "internal server error");
    }
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    let faults: Vec<Option<Fault>> = sandbox
        .requests()
        .iter()
        .filter(|entry| entry.path == "/api/v1/orders")
        .map(|entry| entry.fault)
        .collect();
    assert_eq!(
        faults,
        [
            Some(Fault::ServerError),
            Some(Fault::ServerError),
            Some(Fault::ServerError),
            None
        ]
    );
}

#[tokio::test]
async fn a_faulted_confirm_changes_nothing() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    sandbox.faults().fail_next(1);
    assert_eq!(
        api.confirm(&id).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(sandbox.confirm_count(&id), 0);
    assert_eq!(ids(&api.get("/api/v1/orders").await), [id.as_str()]);
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_and_the_next_call_works() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    sandbox.faults().drop_next(1);
    let error = api.try_get("/api/v1/orders").await.unwrap_err();
    assert!(error.status().is_none() && !error.is_timeout(), "{error:?}");
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    sandbox.faults().drop_next(1);
    assert!(api.try_get(&format!("/api/v1/orders/{id}")).await.is_err());
    let log = sandbox.requests();
    let dropped: Vec<_> = log
        .iter()
        .filter(|entry| entry.fault == Some(Fault::DropConnection))
        .collect();
    assert_eq!(dropped.len(), 2);
    assert!(dropped.iter().all(|entry| entry.status.is_none()));
    assert_eq!(dropped[1].order_id.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn rate_limiting_answers_429_with_retry_after() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    sandbox.faults().rate_limit_next(2, Duration::from_secs(5));
    for _ in 0..2 {
        let limited = api.get("/api/v1/orders/new").await;
        assert!(error_of(&limited, 429).contains("2 requests per second"));
        assert_eq!(limited.headers["retry-after"], "5");
    }
    assert_eq!(api.get("/api/v1/orders/new").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_injected_401_looks_like_a_rejected_token() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    sandbox.faults().unauthorized_next(1);
    assert_eq!(
        error_of(&api.get("/api/v1/orders").await, 401),
        "invalid token"
    );
    // The token itself is still good.
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    assert_eq!(sandbox.live_tokens(), 1);
}

#[tokio::test]
async fn a_delay_makes_an_impatient_client_time_out_and_then_passes() {
    let sandbox = feedamp().await;
    let mut api = Api::new(&sandbox).await;
    sandbox.faults().delay_next(1, Duration::from_millis(800));
    api.http = client_with_timeout(Duration::from_millis(150));
    let error = api.try_get("/api/v1/orders").await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let delayed: Vec<_> = sandbox
        .requests()
        .into_iter()
        .filter(|entry| entry.delay.is_some())
        .collect();
    assert_eq!(delayed.len(), 1);
    assert_eq!(delayed[0].status, None, "the client left during the delay");

    sandbox.faults().delay_all(Duration::from_millis(200));
    api.http = client();
    let started = Instant::now();
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn the_token_route_has_its_own_faults() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    sandbox.token_faults().fail_next(1);
    sandbox.token_faults().unauthorized_next(1);
    let http = client();
    let base = sandbox.base_url();
    assert_eq!(
        error_of(&fetch_token(&http, &base, USER, PASSWORD).await, 401),
        "invalid username or password"
    );
    assert_eq!(fetch_token(&http, &base, USER, PASSWORD).await.status, 500);
    // Data calls were never faulted.
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    assert_eq!(
        fetch_token(&http, &base, USER, PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(sandbox.token_fetches(), 2);
}

#[tokio::test]
async fn faults_are_set_over_the_control_paths_and_never_hit_them() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    let http = client();
    let base = sandbox.base_url();
    let set = post(
        &http,
        &format!("{base}/_sandbox/faults"),
        None,
        &json!({"server_errors": 1, "too_many_requests": 1, "retry_after_secs": 9}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let token_set = post(
        &http,
        &format!("{base}/_sandbox/token-faults"),
        None,
        &json!({"server_errors": 1}),
    )
    .await;
    assert_eq!(token_set.json["server_errors"], 1);
    sandbox.faults().fail_next(5);
    // Control paths answer normally while faults are pending.
    let listed = reply(
        http.get(format!("{base}/_sandbox/orders"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    let shown = reply(
        http.get(format!("{base}/_sandbox/faults"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown.json["server_errors"], 5);
    assert_eq!(shown.json["too_many_requests"], 1);
    let limited = api.get("/api/v1/orders").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers["retry-after"], "9");
    let cleared = reply(
        http.delete(format!("{base}/_sandbox/faults"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cleared.json["server_errors"], 0);
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    assert_eq!(fetch_token(&http, &base, USER, PASSWORD).await.status, 500);
    assert!(
        sandbox
            .requests()
            .iter()
            .all(|entry| entry.path.starts_with("/api/v1/"))
    );
}

#[tokio::test]
async fn every_api_request_is_logged_with_its_answer() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    api.get("/api/v1/orders/new?limit=50").await;
    api.confirm(&id).await;
    api.get("/api/v1/nowhere").await;
    let wrong_method = reply(
        api.http
            .delete(format!("{}/api/v1/orders/{id}/confirm", api.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(error_of(&wrong_method, 405).contains("DELETE"));
    reply(
        client()
            .get(format!("{}/_sandbox/requests", api.base))
            .send()
            .await
            .unwrap(),
    )
    .await;

    let log = sandbox.requests();
    let seen: Vec<(&str, &str, Option<u16>)> = log
        .iter()
        .map(|entry| (entry.method.as_str(), entry.path.as_str(), entry.status))
        .collect();
    let confirm_path = format!("/api/v1/orders/{id}/confirm");
    assert_eq!(
        seen,
        [
            ("GET", "/api/v1/get_token", Some(200)),
            ("GET", "/api/v1/orders/new", Some(200)),
            ("PUT", confirm_path.as_str(), Some(200)),
            ("GET", "/api/v1/nowhere", Some(404)),
            ("DELETE", confirm_path.as_str(), Some(405)),
        ]
    );
    assert_eq!(log[1].query.as_deref(), Some("limit=50"));
    assert_eq!(log[2].order_id.as_deref(), Some(id.as_str()));
    assert!(
        log[3]
            .error
            .as_deref()
            .unwrap()
            .contains("no such endpoint")
    );
    assert!(
        log.windows(2)
            .all(|pair| pair[0].since_start <= pair[1].since_start)
    );
}

#[tokio::test]
async fn the_busiest_second_is_counted_from_the_log() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    // Spaced 600 ms apart, as a client keeping to 2 requests per second might.
    let mut ticks = tokio::time::interval(Duration::from_millis(600));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for _ in 0..4 {
        ticks.tick().await;
        api.get("/api/v1/orders").await;
    }
    // The token fetch came just before the first call: usually three requests in its second.
    let busiest = sandbox.requests_per_second_max();
    assert!((2..=3).contains(&busiest), "{busiest}");
    let calls: Vec<Duration> = sandbox
        .requests()
        .iter()
        .filter(|entry| entry.path == "/api/v1/orders")
        .map(|entry| entry.since_start)
        .collect();
    assert_eq!(max_in_window(calls, Duration::from_secs(1)), 2);

    // A burst shows up at once.
    for _ in 0..5 {
        api.get("/api/v1/orders").await;
    }
    assert!(sandbox.requests_per_second_max() >= 5);
    assert!(sandbox.max_requests_in_window(Duration::from_millis(300)) >= 5);
    let listed = reply(
        client()
            .get(format!("{}/_sandbox/requests", api.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.json["requests"].as_array().unwrap().len(), 10);
    assert!(listed.json["max_requests_in_any_second"].as_u64().unwrap() >= 5);
    assert_eq!(listed.json["token_fetches"], 1);
}

#[tokio::test]
async fn orders_are_added_and_tokens_expired_over_the_control_paths() {
    let sandbox = feedamp().await;
    let http = client();
    let base = sandbox.base_url();
    let added = post(
        &http,
        &format!("{base}/_sandbox/orders"),
        None,
        &json!({"count": 5, "seed": 3}),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let expected: Vec<String> = FeedampOrderGenerator::new(3)
        .take(5)
        .map(|order| order.order_id().unwrap().to_owned())
        .collect();
    assert_eq!(added.json["added"], json!(expected));
    let again = post(
        &http,
        &format!("{base}/_sandbox/orders"),
        None,
        &json!({"count": 5, "seed": 3}),
    )
    .await;
    assert!(error_of(&again, 409).contains("already in the sandbox"));
    let bad = post(
        &http,
        &format!("{base}/_sandbox/orders"),
        None,
        &json!({"n": 5}),
    )
    .await;
    assert!(error_of(&bad, 400).contains("count"));

    let api = Api::new(&sandbox).await;
    assert_eq!(ids(&api.get("/api/v1/orders").await), expected);
    api.confirm(&expected[0]).await;
    let summary = reply(
        http.get(format!("{base}/_sandbox/orders"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(summary.json["unconfirmed"], 4);
    assert_eq!(summary.json["orders"][0]["state"], "PLACED");
    assert_eq!(summary.json["orders"][0]["confirm_count"], 1);

    let expired = post(
        &http,
        &format!("{base}/_sandbox/expire-tokens"),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(expired.json, json!({"expired": 1}));
    assert!(error_of(&api.get("/api/v1/orders").await, 401).contains("expired"));

    let refunds = reply(
        http.get(format!("{base}/_sandbox/refunds"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(refunds.json, json!({"refunds": [], "duplicate_refunds": 0}));

    sandbox.faults().fail_next(2);
    let reset = post(&http, &format!("{base}/_sandbox/reset"), None, &json!({})).await;
    assert_eq!(reset.status, StatusCode::OK);
    assert!(sandbox.order_ids().is_empty() && sandbox.requests().is_empty());
    assert_eq!(
        (
            sandbox.token_fetches(),
            sandbox.faults().pending().server_errors
        ),
        (0, 0)
    );
}

#[tokio::test]
async fn wait_until_sees_a_change_made_over_http() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    let target = id.clone();
    let confirming = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        api.confirm(&target).await.status
    });
    assert!(
        sandbox
            .wait_until(Duration::from_secs(5), |s| s.confirm_count(&id) == 1)
            .await
    );
    assert_eq!(confirming.await.unwrap(), StatusCode::OK);
    assert!(
        !sandbox
            .wait_until(Duration::from_millis(50), |s| s.confirm_count(&id) == 2)
            .await
    );
}
