//! A router over the in-memory store, and helpers to call it.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use orderbridge_adm::webhook::{AdmWebhook, WebhookAuth, WebhookSettings};
use orderbridge_domain::ports::store::{Health, OrderStore};
use orderbridge_domain::services::{
    ChannelService, DeadlineService, DeliveryService, OrderService, Quarantine, ServiceConfig,
};
use orderbridge_domain::testing::{ManualClock, MemoryStore, SequentialIds, test_channels};
use orderbridge_domain::values::{ChannelId, Currency};
use orderbridge_http::{ApiConfig, ApiKeys, AppState, Secret, Webhooks};
use serde_json::Value;
use tower::ServiceExt;

pub const ADM_KEY: &str = "adm-key-2026";
pub const ADM_OLD_KEY: &str = "adm-key-2025";
pub const WAREHOUSE_KEY: &str = "wh-key";

/// The ADM example order of seed file 001, verbatim.
pub const SEED_ORDER: &str = r#"{
  "created_at": "2023-12-20T10:15:30Z", 
  "deliver_by": "2023-12-27T00:00:00Z", 
  "email": "customer@example.com",
  "id": "987654321", 
  "line_items": [
    {
      "price": "12.34",
      "quantity": 2,
      "sku": "ABC-123",
      "total_discount": "2.34",
      "total_tax": "0.65"
    },
    {
      "price": "43.21",
      "quantity": 2,
      "sku": "ABC-123",
      "total_discount": "3.21",
      "total_tax": "3.65"
    }
  ],
  "shipping_address": {
    "address1": "123 Main Street",
    "address2": null,
    "city": "Anytown",
    "company": null,
    "country_code": "US",
    "first_name": "Jane",
    "last_name": "Doe",
    "phone": "(123) 456-7890",
    "province_code": "CA",
    "zip": "12345"
  },
  "shipping_service": "Standard Ground", 
  "subtotal_price": "79.98",
  "total_discounts": "5.00",
  "total_price": "85.97", 
  "total_shipping_price": "10.99", 
  "total_tax": "0.00" 
}"#;

/// Options of a test app.
#[derive(Default)]
pub struct Options {
    pub signing_secret: Option<&'static str>,
    pub key_header: Option<&'static str>,
    pub body_limit: Option<usize>,
    pub request_timeout: Option<std::time::Duration>,
    /// The store behind every port (default: a new memory store).
    pub store: Option<Arc<MemoryStore>>,
    /// Replaces the store's orders port.
    pub orders: Option<Arc<dyn OrderStore>>,
    /// Replaces the store's health port.
    pub health: Option<Arc<dyn Health>>,
}

pub fn app_with(options: Options) -> Router {
    let store = options
        .store
        .unwrap_or_else(|| Arc::new(MemoryStore::new()));
    let orders: Arc<dyn OrderStore> = options.orders.unwrap_or_else(|| store.clone());
    let health: Arc<dyn Health> = options.health.unwrap_or_else(|| store.clone());
    let clock = Arc::new(ManualClock::fixed());
    let ids = Arc::new(SequentialIds::default());
    let adm = Arc::new(AdmWebhook::new(
        WebhookSettings {
            channel: ChannelId::parse("adm").unwrap(),
            currency: Currency::USD,
        },
        WebhookAuth {
            keys: ApiKeys::new([Secret::new(ADM_OLD_KEY), Secret::new(ADM_KEY)]),
            key_header: options.key_header.map(str::to_owned),
            signing_secret: options.signing_secret.map(Secret::new),
            signature_header: "x-adm-signature".to_owned(),
        },
        clock.clone(),
    ));
    let service = OrderService::new(
        orders,
        test_channels(),
        clock.clone(),
        ids.clone(),
        ServiceConfig::default(),
    )
    .with_quarantine(
        Quarantine::new(store.clone(), clock.clone(), ids.clone(), false)
            .read_by_webhook(adm.clone()),
    )
    .with_early_cancellations(store.clone());
    let channels = ChannelService::new(
        vec![
            ChannelId::parse("adm").unwrap(),
            ChannelId::parse("feedamp").unwrap(),
        ],
        store.clone(),
        store.clone(),
        clock.clone(),
        ids.clone(),
        false,
    );
    let deadlines = DeadlineService::new(store.clone(), clock.clone(), ids.clone(), false);
    let deliveries = DeliveryService::new(store, clock.clone(), ids);
    let state = AppState {
        service,
        deliveries,
        channels,
        deadlines,
        health,
        clock,
        webhooks: Webhooks::new().with(adm),
        warehouse_keys: ApiKeys::new([Secret::new(WAREHOUSE_KEY)]),
        metrics: Some(Arc::new(|| {
            "# TYPE orderbridge_up gauge\norderbridge_up 1\n".to_owned()
        })),
    };
    let mut config = ApiConfig::default();
    if let Some(limit) = options.body_limit {
        config.body_limit = limit;
    }
    if let Some(timeout) = options.request_timeout {
        config.request_timeout = timeout;
    }
    orderbridge_http::router(state, &config)
}

pub fn app() -> Router {
    app_with(Options::default())
}

/// A response: status, headers and the body as JSON (Null when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
    pub json: Value,
}

pub async fn call(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        json,
    }
}

pub fn json_request(method: &str, path: &str, key: Option<&str>, body: &str) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

pub fn get(path: &str, key: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method("GET").uri(path);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    builder.body(Body::empty()).unwrap()
}

/// Posts an order to the ADM webhook with the current key.
pub async fn post_order(app: &Router, body: &str) -> Reply {
    call(
        app,
        json_request("POST", "/webhooks/adm/orders", Some(ADM_KEY), body),
    )
    .await
}

/// Posts the seed order with another id and returns orderbridge's id for it.
pub async fn stored_order(app: &Router, external_id: &str) -> String {
    let body = SEED_ORDER.replace("987654321", external_id);
    let reply = post_order(app, &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let list = call(app, get("/v1/orders?limit=500", Some(WAREHOUSE_KEY))).await;
    list.json["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["external_id"] == external_id)
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .unwrap()
}

/// Asserts an error answer: status, exactly the keys `error` and `message`, and the title.
pub fn assert_error(reply: &Reply, status: StatusCode, title: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let object = reply
        .json
        .as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {}", reply.text));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["error", "message"], "{}", reply.text);
    assert_eq!(reply.json["error"], title, "{}", reply.text);
    assert!(
        !reply.json["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
}
