//! The fake FeedAMP's faults for an account's bad day: a counted `403`, credentials refused on
//! the data routes and on the token route (each through its own injector) until they work
//! again, and data calls that hang until released while the token route and the control
//! paths go on answering.

use std::time::Duration;

use orderbridge_sandbox::{Fault, Refusal};
use reqwest::StatusCode;
use serde_json::json;

use crate::feedamp_support::{
    Api, CLIENT, PASSWORD, USER, error_of, feedamp, fetch_token, two_line_order,
};
use crate::support::{client, client_with_timeout, post, reply, wait_for_held};

fn client_forbidden() -> String {
    format!("client \"{CLIENT}\" is not authorised for this account")
}

#[tokio::test]
async fn an_injected_403_is_worded_like_the_client_check_and_changes_nothing() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    sandbox.faults().forbidden_next(1);
    assert_eq!(error_of(&api.confirm(&id).await, 403), client_forbidden());
    assert_eq!(sandbox.confirm_count(&id), 0);
    assert_eq!(api.confirm(&id).await.status, StatusCode::OK);
    assert_eq!(sandbox.confirm_count(&id), 1);
    let faults: Vec<Option<Fault>> = sandbox.requests().iter().map(|r| r.fault).collect();
    assert_eq!(
        faults,
        [None, Some(Fault::Forbidden), None],
        "token, 403, confirm"
    );
}

#[tokio::test]
async fn refused_credentials_on_the_data_routes_last_until_they_work_again() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    sandbox.faults().refuse_credentials(Refusal::Forbidden);
    for _ in 0..3 {
        assert_eq!(
            error_of(&api.get("/api/v1/orders").await, 403),
            client_forbidden()
        );
    }
    sandbox.faults().refuse_credentials(Refusal::Unauthorized);
    assert_eq!(
        error_of(&api.get("/api/v1/orders").await, 401),
        "invalid token"
    );
    // The token route has its own injector: fetching a token still works.
    let http = client();
    let base = sandbox.base_url();
    assert_eq!(fetch_token(&http, &base, USER, PASSWORD).await.status, 200);
    sandbox.faults().accept_credentials();
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_token_route_refuses_credentials_over_its_control_path_until_set_to_null() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    let http = client();
    let base = sandbox.base_url();
    let token_faults = format!("{base}/_sandbox/token-faults");
    let set = post(
        &http,
        &token_faults,
        None,
        &json!({"refuse_credentials": 401}),
    )
    .await;
    assert_eq!(set.json["refuse_credentials"], 401, "{}", set.text);
    for _ in 0..3 {
        let refused = fetch_token(&http, &base, USER, PASSWORD).await;
        assert_eq!(error_of(&refused, 401), "invalid username or password");
    }
    post(
        &http,
        &token_faults,
        None,
        &json!({"refuse_credentials": 403}),
    )
    .await;
    let forbidden = fetch_token(&http, &base, USER, PASSWORD).await;
    assert_eq!(
        error_of(&forbidden, 403),
        "this user is not authorised to get tokens for this account"
    );
    // The data routes keep working with the token already held.
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    assert_eq!(sandbox.token_fetches(), 1);
    post(
        &http,
        &token_faults,
        None,
        &json!({"refuse_credentials": null}),
    )
    .await;
    assert_eq!(fetch_token(&http, &base, USER, PASSWORD).await.status, 200);
    assert_eq!(sandbox.token_fetches(), 2);
}

#[tokio::test]
async fn a_hung_data_call_leaves_the_token_route_and_control_paths_answering() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    let http = client_with_timeout(Duration::from_secs(2));
    let base = sandbox.base_url();
    post(
        &http,
        &format!("{base}/_sandbox/faults"),
        None,
        &json!({"hang": true}),
    )
    .await;
    let confirming = {
        let id = id.clone();
        tokio::spawn(async move { api.confirm(&id).await })
    };
    wait_for_held(sandbox.faults(), 1).await;
    assert_eq!(sandbox.confirm_count(&id), 0);
    assert_eq!(fetch_token(&http, &base, USER, PASSWORD).await.status, 200);
    let listed = reply(
        http.get(format!("{base}/_sandbox/orders"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(!confirming.is_finished());

    post(
        &http,
        &format!("{base}/_sandbox/faults"),
        None,
        &json!({"hang": false}),
    )
    .await;
    let confirmed = tokio::time::timeout(Duration::from_secs(5), confirming)
        .await
        .expect("released in time")
        .unwrap();
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(sandbox.confirm_count(&id), 1);
    let hung: Vec<_> = sandbox.requests().into_iter().filter(|r| r.hung).collect();
    assert_eq!(hung.len(), 1);
    assert_eq!(hung[0].order_id.as_deref(), Some(id.as_str()));
    assert_eq!(hung[0].status, Some(200));
}

#[tokio::test]
async fn the_token_route_hangs_on_its_own_injector() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    sandbox.token_faults().hang();
    let impatient = client_with_timeout(Duration::from_millis(200));
    let base = sandbox.base_url();
    let error = impatient
        .get(format!("{base}/api/v1/get_token"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    wait_for_held(sandbox.token_faults(), 0).await;
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    sandbox.token_faults().release();
    assert_eq!(
        fetch_token(&client(), &base, USER, PASSWORD).await.status,
        200
    );
    assert_eq!(sandbox.token_fetches(), 2);
}
