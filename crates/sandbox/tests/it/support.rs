//! Helpers: a fake ADM on a free port, a plain HTTP client, request bodies and assertions.

use std::time::Duration;

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig, FaultInjector};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const KEY: &str = "sandbox-key";

pub async fn sandbox() -> AdmSandbox {
    sandbox_with(AdmSandboxConfig::new(KEY)).await
}

pub async fn sandbox_with(config: AdmSandboxConfig) -> AdmSandbox {
    AdmSandbox::start(config).await.unwrap()
}

/// A plain client, as any caller would build it.
pub fn client() -> reqwest::Client {
    client_with_timeout(Duration::from_secs(10))
}

pub fn client_with_timeout(timeout: Duration) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

/// An answer: status, headers, body text and the body as JSON (Null when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        json,
    }
}

/// POSTs `body` as JSON with `Authorization: Bearer <key>` when a key is given.
pub async fn try_post(
    client: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    body: &Value,
) -> Result<Reply, reqwest::Error> {
    let mut request = client.post(url).json(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    Ok(reply(request.send().await?).await)
}

pub async fn post(client: &reqwest::Client, url: &str, key: Option<&str>, body: &Value) -> Reply {
    try_post(client, url, key, body).await.unwrap()
}

/// Posts a fulfillment to the sandbox with the right key.
pub async fn fulfill(sandbox: &AdmSandbox, body: &Value) -> Reply {
    post(&client(), &sandbox.fulfillment_url(), Some(KEY), body).await
}

/// A Create Fulfillment body in seed 002's shape.
pub fn body(order_id: Value, lines: &[(&str, u64)], tracking: &str) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity}))
        .collect();
    json!({"order_id": order_id, "line_items": lines, "tracking_number": tracking})
}

/// Seed 002's example request.
pub fn seed_body() -> Value {
    body(
        json!(450_789_469),
        &[("RPBF24-1941", 1)],
        "1ZE356F8YW01937117",
    )
}

/// Asserts an error answer: status, exactly the keys `error` and `message`, and the title.
pub fn assert_error(reply: &Reply, status: StatusCode, title: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(keys(&reply.json), ["error", "message"], "{}", reply.text);
    assert_eq!(reply.json["error"], title, "{}", reply.text);
    assert!(
        !reply.json["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{}",
        reply.text
    );
}

/// Asserts seed 002's exact 400 body for line problems.
pub fn assert_invalid_lines(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(
        reply.json,
        json!({
            "error": "Invalid SKU or Quantity",
            "message": "One or more line items have an invalid SKU or quantity specified."
        })
    );
}

/// The sorted keys of a JSON object.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

/// Waits until `faults` holds `n` requests in its hang; panics after 5 s.
pub async fn wait_for_held(faults: &FaultInjector, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while faults.held() != n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} requests held, expected {n}",
            faults.held()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
