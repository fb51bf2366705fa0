//! The webhook sender against a tiny axum server that keeps what it received: key, content
//! type, body, and a signature checked with the hmac crate directly.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use orderbridge_sandbox::{AdmOrderGenerator, SendError, WebhookSender, send_order};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A webhook receiver on a free port answering `200 {"status": "created"}`; returns its URL.
pub async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let app = Router::new()
        .route(
            "/webhooks/adm/orders",
            post(
                |State(seen): State<Received>, headers: HeaderMap, body: Bytes| async move {
                    seen.lock().unwrap().push((headers, body));
                    (StatusCode::OK, axum::Json(json!({"status": "created"})))
                },
            ),
        )
        .with_state(Arc::clone(&received));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/webhooks/adm/orders"), received)
}

fn verifies(secret: &str, body: &[u8], signature: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.verify_slice(&STANDARD.decode(signature).unwrap())
        .is_ok()
}

#[tokio::test]
async fn send_order_posts_the_payload_with_the_key_and_a_signature_that_verifies() {
    let (url, received) = receiver().await;
    let order = AdmOrderGenerator::new(5).next_order();
    let reply = send_order(&url, "hook-key", &order.payload, Some("signing-secret"))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"status": "created"}));

    let seen = received.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    assert_eq!(headers["authorization"], "Bearer hook-key");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        serde_json::from_slice::<Value>(body).unwrap(),
        order.payload
    );
    let signature = headers["x-adm-signature"].to_str().unwrap();
    assert!(verifies("signing-secret", body, signature));
    assert!(!verifies("other-secret", body, signature));
}

#[tokio::test]
async fn without_a_secret_no_signature_is_sent_and_the_key_header_can_change() {
    let (url, received) = receiver().await;
    let sender = WebhookSender::new(&url, "hook-key")
        .unwrap()
        .with_api_key_header("X-ADM-Key")
        .unwrap();
    let order = AdmOrderGenerator::new(6).next_order();
    assert_eq!(sender.send_order(&order).await.unwrap().status, 200);

    let signed = WebhookSender::new(&url, "hook-key")
        .unwrap()
        .with_signing_secret("s")
        .with_signature_header("X-Signature")
        .unwrap();
    let raw = br#"{"id": "1"}"#.to_vec();
    assert_eq!(signed.send_raw(raw.clone()).await.unwrap().status, 200);

    let seen = received.lock().unwrap().clone();
    let (first, _) = &seen[0];
    assert_eq!(first["x-adm-key"], "hook-key");
    assert!(first.get("authorization").is_none());
    assert!(first.get("x-adm-signature").is_none());
    let (second, body) = &seen[1];
    assert_eq!(
        body.as_ref(),
        raw.as_slice(),
        "the raw body is sent as given"
    );
    assert!(verifies("s", body, second["x-signature"].to_str().unwrap()));
}

#[tokio::test]
async fn no_answer_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let error = send_order(&url, "k", &json!({}), None).await.unwrap_err();
    assert!(matches!(error, SendError::Request(_)), "{error:?}");
}
