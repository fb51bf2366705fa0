//! Talking to a running `orderbridge` over HTTP: the warehouse API and ADM's webhook, the
//! settings that point a process at a sandbox ADM, and waiting with a deadline.

use std::time::Duration;

use orderbridge_sandbox::{AdmSandbox, WebhookSender};
use reqwest::Method;
use serde_json::{Value, json};

use crate::process::service::Launch;

/// The key the sandbox ADM presents on the webhook.
pub const WEBHOOK_KEY: &str = "e2e-adm-in";
/// The key orderbridge presents to the sandbox ADM.
pub const ADM_KEY: &str = "e2e-adm-out";
/// The warehouse API key.
pub const WAREHOUSE_KEY: &str = "e2e-wh-key";
/// The shutdown budget given to the processes.
pub const SHUTDOWN_SECS: u64 = 5;

/// `launch` pointed at `adm`, with the keys above and fast retries.
pub fn with_adm(launch: Launch, adm: &AdmSandbox) -> Launch {
    launch
        .env("ORDERBRIDGE_ADM_BASE_URL", &adm.base_url())
        .env("ORDERBRIDGE_ADM_API_KEY", ADM_KEY)
        .env("ORDERBRIDGE_ADM_WEBHOOK_KEYS", WEBHOOK_KEY)
        .env("ORDERBRIDGE_WAREHOUSE_API_KEYS", WAREHOUSE_KEY)
        .env("ORDERBRIDGE_DISPATCH_RETRY_BASE_SECS", "1")
        .env("ORDERBRIDGE_DISPATCH_RETRY_CAP_SECS", "2")
        .env("ORDERBRIDGE_DISPATCH_IDLE_POLL_MS", "20")
        .env("ORDERBRIDGE_DISPATCH_LEASE_SECS", "5")
        // A lease is at least one call long (checked at start-up).
        .env("ORDERBRIDGE_ADM_REQUEST_TIMEOUT_SECS", "5")
        .env(
            "ORDERBRIDGE_SHUTDOWN_TIMEOUT_SECS",
            &SHUTDOWN_SECS.to_string(),
        )
}

/// An HTTP client (reqwest is built without a default TLS provider).
pub fn http_client() -> reqwest::Client {
    // An Err means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("building the HTTP client")
}

/// The sandbox ADM's webhook sender to a process at `base_url`.
pub fn webhook_sender(base_url: &str) -> WebhookSender {
    WebhookSender::new(&format!("{base_url}/webhooks/adm/orders"), WEBHOOK_KEY)
        .expect("a webhook sender")
}

/// The warehouse API of one process.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base_url: String,
}

impl Api {
    /// The API at `base_url`.
    pub fn new(base_url: &str) -> Self {
        Self {
            http: http_client(),
            base_url: base_url.to_owned(),
        }
    }

    /// A call with the warehouse key; `Err` when no answer came.
    pub async fn try_call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(WAREHOUSE_KEY);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// A call that must be answered.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.try_call(method.clone(), path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"))
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Every order, page by page.
    pub async fn all_orders(&self) -> Vec<Value> {
        let mut orders = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                None => "/v1/orders?limit=500".to_owned(),
                Some(c) => format!("/v1/orders?limit=500&cursor={c}"),
            };
            let (status, page) = self.get(&path).await;
            assert_eq!(status, 200, "GET {path}: {page}");
            orders.extend(page["orders"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return orders,
            }
        }
    }

    /// orderbridge's id of the order ADM sent as `external_id`, from the listing.
    pub async fn order_id(&self, external_id: &str) -> String {
        self.all_orders()
            .await
            .iter()
            .find(|o| o["external_id"] == external_id)
            .and_then(|o| o["id"].as_str())
            .unwrap_or_else(|| panic!("order {external_id} is not listed by GET /v1/orders"))
            .to_owned()
    }

    /// Records one package of `lines` (SKU, units) under `tracking`.
    pub async fn ship(&self, order: &str, tracking: &str, lines: &[(&str, u32)]) -> (u16, Value) {
        self.post(
            &format!("/v1/orders/{order}/fulfillments"),
            &fulfillment(tracking, lines),
        )
        .await
    }
}

/// A fulfillment body.
pub fn fulfillment(tracking: &str, lines: &[(&str, u32)]) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity}))
        .collect();
    json!({"tracking_number": tracking, "carrier": "UPS", "line_items": items})
}

/// Checks `check` every 20 ms until it holds; false when `within` passes first.
pub async fn eventually<F: AsyncFn() -> bool>(within: Duration, check: F) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
