//! An in-process orderbridge (HTTP router, services, the real dispatcher loop) over a given
//! store, talking to an in-process sandbox ADM.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use orderbridge::config::DispatchConfig;
use orderbridge_adm::webhook::{AdmWebhook, WebhookAuth, WebhookSettings};
use orderbridge_adm::{AdmClient, AdmConfig};
use orderbridge_domain::health::HealthPolicy;
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::marketplace::Marketplace;
use orderbridge_domain::ports::store::Store;
use orderbridge_domain::services::{
    ChannelService, Channels, DeadlineService, DeliveryService, Dispatcher, Marketplaces,
    OrderService, Quarantine, RetryPolicy, ServiceConfig,
};
use orderbridge_domain::values::{ChannelId, Currency};
use orderbridge_http::{ApiConfig, ApiKeys, AppState, Secret, Webhooks};
use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::{Value, json};
use tokio::sync::watch;
use tower::ServiceExt;

pub const WEBHOOK_KEY: &str = "adm-in";
pub const ADM_KEY: &str = "adm-out";
pub const WAREHOUSE_KEY: &str = "wh-key";

/// orderbridge and a sandbox ADM.
pub struct Harness {
    pub adm: AdmSandbox,
    router: Router,
    stop: watch::Sender<bool>,
    worker: tokio::task::JoinHandle<()>,
}

/// A fresh, migrated SQLite store in a temporary file.
pub async fn sqlite() -> Arc<dyn Store> {
    let store = orderbridge_sqlite::Sqlite::temporary().await.unwrap();
    store.migrate().await.unwrap();
    Arc::new(store)
}

/// Runs each check (an `async fn(Arc<dyn Store>)` of the calling module) on a fresh SQLite
/// file and on a fresh PostgreSQL database.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[sqlx::test(migrator = "orderbridge_postgres::MIGRATOR")]
                async fn $name(pool: sqlx::PgPool) {
                    super::$name(std::sync::Arc::new(
                        orderbridge_postgres::Postgres::from_pool(pool),
                    ))
                    .await;
                }
            )*
        }
    };
}
pub(crate) use on_both_stores;

/// Fast retries, so that tests of failures take milliseconds.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(200),
        max_age: Duration::from_secs(3_600),
        lease: Duration::from_secs(10),
    }
}

impl Harness {
    pub async fn start(store: Arc<dyn Store>) -> Self {
        let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
            .await
            .unwrap();
        let channel = ChannelId::parse("adm").unwrap();
        let client = AdmClient::new(AdmConfig::new(adm.base_url(), Secret::new(ADM_KEY))).unwrap();
        let channels = Channels::new().with(channel.clone(), client.capabilities());
        let mut marketplaces = Marketplaces::new();
        marketplaces.insert(channel.clone(), Arc::new(client));
        let clock = Arc::new(SystemClock);
        let ids = Arc::new(UuidV7Ids);
        let webhook = Arc::new(AdmWebhook::new(
            WebhookSettings {
                channel,
                currency: Currency::USD,
            },
            WebhookAuth {
                keys: ApiKeys::new([Secret::new(WEBHOOK_KEY)]),
                key_header: None,
                signing_secret: None,
                signature_header: "x-adm-signature".to_owned(),
                standard_webhooks: None,
            },
            clock.clone(),
        ));
        // As the service is wired: unreadable bodies kept, early cancellations kept.
        let service = OrderService::new(
            store.clone(),
            channels,
            clock.clone(),
            ids.clone(),
            ServiceConfig::default(),
        )
        .with_quarantine(
            Quarantine::new(store.clone(), clock.clone(), ids.clone(), false)
                .read_by_webhook(webhook.clone()),
        )
        .with_early_cancellations(store.clone());
        let dispatcher = Dispatcher::new(
            store.clone(),
            store.clone(),
            marketplaces,
            clock.clone(),
            ids.clone(),
            fast_policy(),
        );
        let state = AppState {
            service,
            deliveries: DeliveryService::new(store.clone(), clock.clone(), ids.clone()),
            channels: ChannelService::new(
                vec![ChannelId::parse("adm").unwrap()],
                store.clone(),
                store.clone(),
                clock.clone(),
                ids.clone(),
                false,
            ),
            deadlines: DeadlineService::new(store.clone(), clock.clone(), ids, false),
            health: store,
            clock,
            webhooks: Webhooks::new().with(webhook),
            warehouse_keys: ApiKeys::new([Secret::new(WAREHOUSE_KEY)]),
            metrics: None,
        };
        let router = orderbridge_http::router(state, &ApiConfig::default());
        let (stop, stop_rx) = watch::channel(false);
        let config = DispatchConfig {
            concurrency: 8,
            batch_size: 16,
            idle_poll: Duration::from_millis(20),
            policy: fast_policy(),
            health: HealthPolicy::default(),
        };
        let worker = tokio::spawn(orderbridge::workers::dispatch_loop(
            dispatcher,
            config,
            stop_rx,
            Duration::from_secs(5),
        ));
        Self {
            adm,
            router,
            stop,
            worker,
        }
    }

    /// Stops the dispatcher (it gives back its leases) and the sandbox.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.worker.await.unwrap();
        self.adm.shutdown().await;
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {key}"));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// ADM sends an order with one line of `sku`; returns orderbridge's order id.
    pub async fn adm_order(&self, external_id: &str, sku: &str, quantity: u32) -> String {
        self.adm_order_lines(external_id, &[(sku, quantity)]).await
    }

    /// ADM sends an order with these lines of (SKU, quantity); returns orderbridge's order id.
    pub async fn adm_order_lines(&self, external_id: &str, lines: &[(&str, u32)]) -> String {
        let items: Vec<Value> = lines
            .iter()
            .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity, "price": "19.99", "total_discount": "0.00", "total_tax": "1.60"}))
            .collect();
        let units: u32 = lines.iter().map(|(_, q)| q).sum();
        let payload = json!({
            "id": external_id,
            "created_at": "2024-04-30T12:00:00Z",
            "email": "customer@example.com",
            "line_items": items,
            "total_price": (units * 20).to_string(),
        });
        let (status, body) = self
            .call("POST", "/webhooks/adm/orders", WEBHOOK_KEY, Some(payload))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, page) = self
            .call("GET", "/v1/orders?limit=500", WAREHOUSE_KEY, None)
            .await;
        page["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["external_id"] == external_id)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The warehouse ships `quantity` of `sku` under `tracking`.
    pub async fn ship(&self, order: &str, tracking: &str, sku: &str, quantity: u32) -> Value {
        let body = json!({"tracking_number": tracking, "carrier": "UPS", "line_items": [{"sku": sku, "quantity": quantity}]});
        let (status, reply) = self
            .call(
                "POST",
                &format!("/v1/orders/{order}/fulfillments"),
                WAREHOUSE_KEY,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        reply
    }

    /// Waits until `check` holds, for at most `within`.
    pub async fn eventually<F: AsyncFn() -> bool>(&self, within: Duration, check: F) -> bool {
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
}
