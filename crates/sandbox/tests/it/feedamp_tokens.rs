//! The fake FeedAMP's token route and the checks on every data route: Basic, the cap of live
//! tokens, expiry, and the `client` header.

use std::time::Duration;

use orderbridge_sandbox::{FeedampSandbox, FeedampStartError};
use reqwest::StatusCode;

use crate::feedamp_support::{
    Api, CLIENT, PASSWORD, USER, config, error_of, feedamp, feedamp_with, fetch_token,
};
use crate::support::{client, reply};

#[tokio::test]
async fn the_right_basic_credentials_get_an_opaque_token() {
    let sandbox = feedamp().await;
    let token = fetch_token(&client(), &sandbox.base_url(), USER, PASSWORD).await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.text);
    assert_eq!(crate::support::keys(&token.json), ["token"]);
    assert!(!token.json["token"].as_str().unwrap().is_empty());
    assert_eq!(sandbox.token_fetches(), 1);
    assert_eq!(sandbox.live_tokens(), 1);
}

#[tokio::test]
async fn wrong_or_missing_basic_credentials_get_401() {
    let sandbox = feedamp().await;
    let http = client();
    let base = sandbox.base_url();
    for (user, password) in [(USER, "wrong"), ("nobody", PASSWORD), ("", "")] {
        let refused = fetch_token(&http, &base, user, password).await;
        let error = error_of(&refused, 401);
        assert!(error.contains("username or password"), "{error}");
        assert_eq!(
            refused.headers["www-authenticate"],
            "Basic realm=\"FeedAMP\""
        );
    }
    let bare = reply(
        http.get(format!("{base}/api/v1/get_token"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(error_of(&bare, 401).contains("Basic"));
    assert_eq!(sandbox.token_fetches(), 0);
}

#[tokio::test]
async fn the_101st_token_while_100_are_live_is_refused_with_429() {
    let sandbox = feedamp().await;
    let http = client();
    let base = sandbox.base_url();
    for _ in 0..100 {
        let token = fetch_token(&http, &base, USER, PASSWORD).await;
        assert_eq!(token.status, StatusCode::OK);
    }
    let refused = fetch_token(&http, &base, USER, PASSWORD).await;
    let error = error_of(&refused, 429);
    assert!(error.contains("at most 100"), "{error}");
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3_590..=3_600).contains(&retry_after), "{retry_after}");
    assert_eq!(sandbox.token_fetches(), 100);
    assert_eq!(sandbox.token_refusals(), 1);

    // Once they expire, tokens are handed out again.
    assert_eq!(sandbox.expire_tokens(), 100);
    assert_eq!(sandbox.live_tokens(), 0);
    assert_eq!(
        fetch_token(&http, &base, USER, PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_token_that_outlives_its_ttl_gets_401_and_a_new_one_works() {
    let sandbox = feedamp_with(config().with_token_ttl(Duration::from_millis(300))).await;
    let mut api = Api::new(&sandbox).await;
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let expired = api.get("/api/v1/orders").await;
    assert!(error_of(&expired, 401).contains("expired"));
    let fresh = fetch_token(&api.http, &api.base, USER, PASSWORD).await;
    api.token = fresh.json["token"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
    assert_eq!(sandbox.token_fetches(), 2);
}

#[tokio::test]
async fn expire_tokens_makes_every_data_route_answer_401() {
    let sandbox = feedamp().await;
    let id = sandbox
        .add_order(crate::feedamp_support::two_line_order())
        .unwrap();
    let api = Api::new(&sandbox).await;
    assert_eq!(sandbox.expire_tokens(), 1);
    let fulfil = serde_json::json!({"order_lines": [{"mp_line_number": "1"}]});
    let refund = serde_json::json!({"refund_info": {}});
    for reply in [
        api.get("/api/v1/orders").await,
        api.get("/api/v1/orders/new").await,
        api.get(&format!("/api/v1/orders/{id}")).await,
        api.confirm(&id).await,
        api.fulfil(&id, &fulfil).await,
        api.refund(&id, &refund).await,
    ] {
        assert!(error_of(&reply, 401).contains("expired"), "{}", reply.text);
    }
    assert_eq!(sandbox.confirm_count(&id), 0);
}

#[tokio::test]
async fn a_missing_or_unknown_token_gets_401() {
    let sandbox = feedamp().await;
    let mut api = Api::new(&sandbox).await;
    api.token = "not-a-token".to_owned();
    assert_eq!(
        error_of(&api.get("/api/v1/orders").await, 401),
        "invalid token"
    );
    let bare = reply(
        client()
            .get(format!("{}/api/v1/orders", sandbox.base_url()))
            .header("client", CLIENT)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(error_of(&bare, 401).contains("token header is required"));
}

#[tokio::test]
async fn a_wrong_or_missing_client_gets_403() {
    let sandbox = feedamp().await;
    let mut api = Api::new(&sandbox).await;
    api.client = "9999".to_owned();
    let forbidden = api.get("/api/v1/orders").await;
    assert!(error_of(&forbidden, 403).contains("\"9999\" is not authorised"));
    let no_client = reply(
        client()
            .get(format!("{}/api/v1/orders", sandbox.base_url()))
            .header("token", &api.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(error_of(&no_client, 403).contains("client header"));
}

#[tokio::test]
async fn basic_on_data_routes_is_optional_but_must_be_right_when_sent() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    let url = format!("{}/api/v1/orders", api.base);
    let with_basic = |user: &str, password: &str| {
        api.http
            .get(&url)
            .basic_auth(user, Some(password))
            .header("token", &api.token)
            .header("client", CLIENT)
    };
    let right = reply(with_basic(USER, PASSWORD).send().await.unwrap()).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.text);
    let wrong = reply(with_basic(USER, "nope").send().await.unwrap()).await;
    assert!(error_of(&wrong, 401).contains("Basic"));
    assert_eq!(api.get("/api/v1/orders").await.status, StatusCode::OK);
}

#[tokio::test]
async fn empty_credentials_and_zero_limits_are_refused_at_start() {
    let one_token = FeedampSandbox::start(config().with_max_live_tokens(1)).await;
    assert!(one_token.is_ok());
    for bad in [
        orderbridge_sandbox::FeedampSandboxConfig::new("", PASSWORD, CLIENT),
        orderbridge_sandbox::FeedampSandboxConfig::new("a:b", PASSWORD, CLIENT),
        orderbridge_sandbox::FeedampSandboxConfig::new(USER, "", CLIENT),
        orderbridge_sandbox::FeedampSandboxConfig::new(USER, PASSWORD, " "),
        config().with_token_ttl(Duration::ZERO),
        config().with_max_live_tokens(0),
    ] {
        let error = FeedampSandbox::start(bad).await.unwrap_err();
        assert!(
            matches!(
                error,
                FeedampStartError::InvalidCredential(_) | FeedampStartError::Zero(_)
            ),
            "{error:?}"
        );
    }
    let debug = format!("{:?}", config());
    assert!(
        !debug.contains(PASSWORD) && debug.contains("[redacted]"),
        "{debug}"
    );
}

#[tokio::test]
async fn a_sandbox_serves_on_a_listener_the_caller_bound() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sandbox = FeedampSandbox::from_listener(listener, config()).unwrap();
    assert_eq!(sandbox.local_addr(), addr);
    assert_eq!(sandbox.base_url(), format!("http://{addr}"));
    let token = fetch_token(&client(), &sandbox.base_url(), USER, PASSWORD).await;
    assert_eq!(token.status, StatusCode::OK);
    sandbox.shutdown().await;
}
