//! Fault injection, set in process and over the control path: each fault as a plain client
//! sees it, then normal service again.

use std::time::Duration;

use orderbridge_sandbox::{AdmSandboxConfig, Fault};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    KEY, assert_error, body, client, client_with_timeout, fulfill, post, reply, sandbox,
    sandbox_with, seed_body, try_post,
};

#[tokio::test]
async fn the_next_three_requests_get_500_then_service_resumes() {
    let sandbox = sandbox().await;
    sandbox.faults().fail_next(3);
    for _ in 0..3 {
        let reply = fulfill(&sandbox, &seed_body()).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            reply.json,
            json!({
                "error": "Server Error",
                "message": "An error occurred on our server. Please try again later."
            })
        );
    }
    assert_eq!(
        sandbox.accepted_count(),
        0,
        "a faulted request creates nothing"
    );
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
    let faults: Vec<Option<Fault>> = sandbox.requests().iter().map(|r| r.fault).collect();
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
async fn a_delay_makes_a_client_with_a_short_timeout_time_out() {
    let sandbox = sandbox().await;
    sandbox.faults().delay_next(1, Duration::from_millis(800));
    let impatient = client_with_timeout(Duration::from_millis(150));
    let error = try_post(
        &impatient,
        &sandbox.fulfillment_url(),
        Some(KEY),
        &seed_body(),
    )
    .await
    .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    // The client left during the delay: the request is dropped unhandled.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(sandbox.accepted_count(), 0);
    let log = sandbox.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, None);
    assert_eq!(log[0].delay, Some(Duration::from_millis(800)));
    // The delay was for one request only.
    let reply = try_post(
        &impatient,
        &sandbox.fulfillment_url(),
        Some(KEY),
        &seed_body(),
    )
    .await;
    assert_eq!(reply.unwrap().status, StatusCode::OK);
}

#[tokio::test]
async fn a_delay_shorter_than_the_timeout_only_slows_the_answer() {
    let sandbox = sandbox().await;
    sandbox.faults().delay_all(Duration::from_millis(200));
    let started = std::time::Instant::now();
    for _ in 0..2 {
        assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
    sandbox.faults().clear_delay();
    assert_eq!(sandbox.faults().pending().delay_ms, None);
}

#[tokio::test]
async fn a_dropped_connection_is_a_connection_error_and_the_next_request_works() {
    let sandbox = sandbox().await;
    sandbox.faults().drop_next(1);
    let client = client();
    let url = sandbox.fulfillment_url();
    let error = try_post(&client, &url, Some(KEY), &seed_body())
        .await
        .unwrap_err();
    assert!(!error.is_timeout(), "{error:?}");
    assert!(error.status().is_none(), "no HTTP answer: {error:?}");
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    // The same client (and its connection pool) carries on.
    assert_eq!(
        post(&client, &url, Some(KEY), &seed_body()).await.status,
        StatusCode::OK
    );
    assert_eq!(sandbox.accepted_count(), 1);
    let log = sandbox.requests();
    assert_eq!(log[0].fault, Some(Fault::DropConnection));
    assert_eq!(log[0].status, None);
    assert_eq!(log[0].order_id.as_deref(), Some("450789469"));
}

#[tokio::test]
async fn a_dropped_connection_is_seen_on_a_reused_keep_alive_connection_too() {
    let sandbox = sandbox().await;
    let client = client();
    let url = sandbox.fulfillment_url();
    assert_eq!(
        post(&client, &url, Some(KEY), &seed_body()).await.status,
        StatusCode::OK
    );
    sandbox.faults().drop_next(2);
    for _ in 0..2 {
        let error = try_post(&client, &url, Some(KEY), &seed_body())
            .await
            .unwrap_err();
        assert!(error.status().is_none() && !error.is_timeout(), "{error:?}");
    }
    assert_eq!(
        post(&client, &url, Some(KEY), &seed_body()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn rate_limiting_answers_429_with_retry_after() {
    let sandbox = sandbox().await;
    sandbox.faults().rate_limit_next(2, Duration::from_secs(5));
    for _ in 0..2 {
        let reply = fulfill(&sandbox, &seed_body()).await;
        assert_error(&reply, StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
        assert_eq!(reply.headers["retry-after"], "5");
    }
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_injected_401_refuses_the_right_key() {
    let sandbox = sandbox().await;
    sandbox.faults().unauthorized_next(1);
    let reply = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.json,
        json!({"error": "Unauthorized Request", "message": "The key provided is invalid."})
    );
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn several_faults_apply_one_per_request_in_the_documented_order() {
    let sandbox = sandbox().await;
    sandbox.faults().fail_next(1);
    sandbox.faults().rate_limit_next(1, Duration::from_secs(1));
    sandbox.faults().unauthorized_next(1);
    sandbox.faults().drop_next(1);
    let client = client();
    let url = sandbox.fulfillment_url();
    let first = try_post(&client, &url, Some(KEY), &seed_body()).await;
    assert!(first.is_err(), "dropped first");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            post(&client, &url, Some(KEY), &seed_body())
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [401, 429, 500, 200]);
}

#[tokio::test]
async fn faults_are_set_over_the_control_path() {
    let sandbox = sandbox().await;
    let client = client();
    let faults_url = format!("{}/_sandbox/faults", sandbox.base_url());
    let set = post(
        &client,
        &faults_url,
        None,
        &json!({"server_errors": 1, "too_many_requests": 1, "retry_after_secs": 9}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json["server_errors"], 1);
    assert_eq!(set.json["too_many_requests"], 1);

    let limited = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers["retry-after"], "9");
    let failed = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);

    post(&client, &faults_url, None, &json!({"unauthorized": 4})).await;
    let shown = reply(client.get(&faults_url).send().await.unwrap()).await;
    assert_eq!(shown.json["unauthorized"], 4);
    let cleared = reply(client.delete(&faults_url).send().await.unwrap()).await;
    assert_eq!(cleared.json["unauthorized"], 0);
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);

    let bad = post(&client, &faults_url, None, &json!({"server_errorz": 1})).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "Invalid Fault Plan");
    // Control requests are not faulted and not logged.
    assert!(sandbox.requests().iter().all(|r| r.path == "/fulfillments"));
}

#[tokio::test]
async fn a_dropped_connection_and_a_delay_are_set_over_the_control_path() {
    let sandbox = sandbox().await;
    let client = client();
    let faults_url = format!("{}/_sandbox/faults", sandbox.base_url());
    post(
        &client,
        &faults_url,
        None,
        &json!({"drop_connections": 1, "delay_ms": 600, "delay_requests": 1}),
    )
    .await;
    let impatient = client_with_timeout(Duration::from_millis(150));
    let error = try_post(
        &impatient,
        &sandbox.fulfillment_url(),
        Some(KEY),
        &seed_body(),
    )
    .await
    .unwrap_err();
    assert!(error.is_timeout(), "the delay comes first: {error:?}");
    // The dropped-connection fault was counted off by the delayed request.
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn orders_are_registered_and_records_read_over_the_control_path() {
    let config = AdmSandboxConfig::new(KEY).with_accept_unknown_orders(false);
    let sandbox = sandbox_with(config).await;
    let client = client();
    let base = sandbox.base_url();
    let registered = post(
        &client,
        &format!("{base}/_sandbox/orders"),
        None,
        &json!({"id": "77", "line_items": [{"sku": "A", "quantity": 2}]}),
    )
    .await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.text);
    let bad = post(
        &client,
        &format!("{base}/_sandbox/orders"),
        None,
        &json!({"id": "77"}),
    )
    .await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "Invalid Order");

    assert_eq!(
        fulfill(&sandbox, &body(json!(77), &[("A", 2)], "T"))
            .await
            .status,
        StatusCode::OK
    );
    let unknown = fulfill(&sandbox, &body(json!(78), &[("A", 1)], "T")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let listed = reply(
        client
            .get(format!("{base}/_sandbox/fulfillments"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.json["accepted_count"], 1);
    assert_eq!(listed.json["fulfillments"][0]["order_id"], "77");
    assert_eq!(listed.json["fulfillments"][0]["order_id_sent"], 77);
    let requests = reply(
        client
            .get(format!("{base}/_sandbox/requests"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(requests.json["requests"][1]["status"], 404);

    let reset = post(&client, &format!("{base}/_sandbox/reset"), None, &json!({})).await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(sandbox.accepted_count(), 0);
    assert!(sandbox.requests().is_empty());
    let forgotten = fulfill(&sandbox, &body(json!(77), &[("A", 1)], "T")).await;
    assert_eq!(forgotten.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn shutdown_cuts_a_long_delay_short() {
    let sandbox = sandbox().await;
    sandbox.faults().delay_all(Duration::from_secs(60));
    let url = sandbox.fulfillment_url();
    let waiting =
        tokio::spawn(async move { try_post(&client(), &url, Some(KEY), &seed_body()).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    sandbox.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The delayed request is then handled and answered before the connection closes.
    let answered = waiting.await.unwrap();
    assert_eq!(answered.unwrap().status, StatusCode::OK);
}
