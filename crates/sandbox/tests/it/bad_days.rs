//! The fake ADM's faults for an account's bad day: a counted `403`, credentials refused until
//! they work again, and requests that hang until released, in process and over the control
//! path.

use std::time::Duration;

use orderbridge_sandbox::{Fault, Refusal};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    KEY, client, client_with_timeout, fulfill, post, reply, sandbox, seed_body, try_post,
    wait_for_held,
};

fn forbidden_body() -> serde_json::Value {
    json!({
        "error": "Forbidden Request",
        "message": "The key provided is not allowed to make this request."
    })
}

fn unauthorized_body() -> serde_json::Value {
    json!({"error": "Unauthorized Request", "message": "The key provided is invalid."})
}

#[tokio::test]
async fn the_next_two_requests_get_403_with_the_forbidden_body_then_service_resumes() {
    let sandbox = sandbox().await;
    sandbox.faults().forbidden_next(2);
    for _ in 0..2 {
        let reply = fulfill(&sandbox, &seed_body()).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
        assert_eq!(reply.json, forbidden_body());
    }
    assert_eq!(sandbox.accepted_count(), 0, "a 403 creates nothing");
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
    let faults: Vec<Option<Fault>> = sandbox.requests().iter().map(|r| r.fault).collect();
    assert_eq!(
        faults,
        [Some(Fault::Forbidden), Some(Fault::Forbidden), None]
    );
}

#[tokio::test]
async fn refused_credentials_refuse_every_request_until_they_work_again() {
    let sandbox = sandbox().await;
    sandbox.faults().fail_next(1);
    sandbox.faults().refuse_credentials(Refusal::Unauthorized);
    for _ in 0..4 {
        let reply = fulfill(&sandbox, &seed_body()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
        assert_eq!(reply.json, unauthorized_body());
    }
    assert_eq!(sandbox.accepted_count(), 0);
    assert_eq!(
        sandbox.faults().pending().server_errors,
        1,
        "counted faults wait for the credentials to work again"
    );
    sandbox.faults().accept_credentials();
    let failed = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
    assert_eq!(sandbox.accepted_count(), 1);
}

#[tokio::test]
async fn refused_credentials_are_set_changed_and_ended_over_the_control_path() {
    let sandbox = sandbox().await;
    let client = client();
    let faults_url = format!("{}/_sandbox/faults", sandbox.base_url());
    let set = post(
        &client,
        &faults_url,
        None,
        &json!({"refuse_credentials": 403}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json["refuse_credentials"], 403);
    for _ in 0..3 {
        let reply = fulfill(&sandbox, &seed_body()).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.json, forbidden_body());
    }
    // Another field leaves the mode as it is.
    post(&client, &faults_url, None, &json!({"delay_ms": 0})).await;
    assert_eq!(
        fulfill(&sandbox, &seed_body()).await.status,
        StatusCode::FORBIDDEN
    );
    post(
        &client,
        &faults_url,
        None,
        &json!({"refuse_credentials": 401}),
    )
    .await;
    assert_eq!(
        fulfill(&sandbox, &seed_body()).await.status,
        StatusCode::UNAUTHORIZED
    );
    let ended = post(
        &client,
        &faults_url,
        None,
        &json!({"refuse_credentials": null}),
    )
    .await;
    assert_eq!(ended.json["refuse_credentials"], serde_json::Value::Null);
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);

    let bad = post(
        &client,
        &faults_url,
        None,
        &json!({"refuse_credentials": 500}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_hung_request_waits_without_blocking_others_and_is_answered_once_released() {
    let sandbox = sandbox().await;
    sandbox.faults().hang();
    let url = sandbox.fulfillment_url();
    let hung = tokio::spawn(async move { post(&client(), &url, Some(KEY), &seed_body()).await });
    wait_for_held(sandbox.faults(), 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!hung.is_finished(), "a hung request is not answered");
    assert_eq!(sandbox.accepted_count(), 0);

    // Neither the control path nor the other routes are held.
    let http = client_with_timeout(Duration::from_secs(2));
    let faults_url = format!("{}/_sandbox/faults", sandbox.base_url());
    let shown = reply(http.get(&faults_url).send().await.unwrap()).await;
    assert_eq!(shown.json["hang"], true);
    let unknown = reply(
        http.get(format!("{}/elsewhere", sandbox.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let released = post(&http, &faults_url, None, &json!({"hang": false})).await;
    assert_eq!(released.json["hang"], false);
    let answered = tokio::time::timeout(Duration::from_secs(5), hung)
        .await
        .expect("released in time")
        .unwrap();
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.text);
    assert_eq!(sandbox.accepted_count(), 1);
    assert_eq!(sandbox.faults().held(), 0);
    let log = sandbox.requests();
    let fulfillments: Vec<_> = log.iter().filter(|r| r.path == "/fulfillments").collect();
    assert_eq!(fulfillments.len(), 1);
    assert!(fulfillments[0].hung);
    assert_eq!(fulfillments[0].status, Some(200));
}

#[tokio::test]
async fn clients_giving_up_on_hung_requests_leave_nothing_held_and_use_up_no_fault() {
    let sandbox = sandbox().await;
    sandbox.faults().fail_next(1);
    sandbox.faults().hang();
    let impatient = client_with_timeout(Duration::from_millis(200));
    let url = sandbox.fulfillment_url();
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (impatient, url) = (impatient.clone(), url.clone());
        tries.spawn(async move { try_post(&impatient, &url, Some(KEY), &seed_body()).await });
    }
    for result in tries.join_all().await {
        let error = result.unwrap_err();
        assert!(error.is_timeout(), "{error:?}");
    }
    // Every held request is dropped with its client: nothing piles up.
    wait_for_held(sandbox.faults(), 0).await;
    let log = sandbox.requests();
    assert_eq!(log.len(), 20);
    assert!(
        log.iter()
            .all(|r| r.hung && r.status.is_none() && r.fault.is_none())
    );
    assert_eq!(sandbox.faults().pending().server_errors, 1);
    assert_eq!(sandbox.accepted_count(), 0);

    sandbox.faults().release();
    let failed = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn clearing_the_faults_releases_hung_requests_and_shutdown_does_too() {
    let sandbox = sandbox().await;
    let http = client();
    let faults_url = format!("{}/_sandbox/faults", sandbox.base_url());
    post(&http, &faults_url, None, &json!({"hang": true})).await;
    let url = sandbox.fulfillment_url();
    let first = tokio::spawn(async move { post(&client(), &url, Some(KEY), &seed_body()).await });
    wait_for_held(sandbox.faults(), 1).await;
    let cleared = reply(http.delete(&faults_url).send().await.unwrap()).await;
    assert_eq!(cleared.json["hang"], false);
    assert_eq!(first.await.unwrap().status, StatusCode::OK);

    sandbox.faults().hang();
    let url = sandbox.fulfillment_url();
    let second =
        tokio::spawn(async move { try_post(&client(), &url, Some(KEY), &seed_body()).await });
    wait_for_held(sandbox.faults(), 1).await;
    let started = std::time::Instant::now();
    sandbox.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(second.await.unwrap().unwrap().status, StatusCode::OK);
}
