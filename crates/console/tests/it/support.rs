//! The console over the in-memory store, and a signed-in client of it.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use orderbridge_console::{Console, ConsoleConfig, Services};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::ports::store::OrderStore;
use orderbridge_domain::services::{
    ChannelService, DeadlineService, DeliveryService, OrderService, Quarantine, ServiceConfig,
};
use orderbridge_domain::testing::{
    ManualClock, MemoryStore, SequentialIds, new_order, test_channels,
};
use orderbridge_domain::values::{ApiKeys, ChannelId, Email, Secret};
use tower::ServiceExt;

pub const KEY: &str = "wh-console-key";

/// The console and the services behind it.
pub struct App {
    pub router: Router,
    pub services: Services,
}

pub fn app() -> App {
    app_over(None)
}

/// The console with `orders` in place of the store's orders port.
pub fn app_over(orders: Option<Arc<dyn OrderStore>>) -> App {
    let store = Arc::new(MemoryStore::new());
    let orders_port: Arc<dyn OrderStore> = orders.unwrap_or_else(|| store.clone());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::fixed());
    let ids = Arc::new(SequentialIds::default());
    let orders = OrderService::new(
        orders_port,
        test_channels(),
        clock.clone(),
        ids.clone(),
        ServiceConfig::default(),
    )
    .with_quarantine(Quarantine::new(
        store.clone(),
        clock.clone(),
        ids.clone(),
        false,
    ));
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
    let services = Services {
        orders,
        deliveries: DeliveryService::new(store.clone(), clock.clone(), ids.clone()),
        channels,
        deadlines: DeadlineService::new(store, clock.clone(), ids, false),
    };
    let console = Console::new(
        services.clone(),
        ApiKeys::new([Secret::new(KEY)]),
        clock,
        ConsoleConfig::default(),
    );
    App {
        router: orderbridge_console::router(console),
        services,
    }
}

impl App {
    /// Stores an order `external_id` on `adm` with the customer's email.
    pub async fn order(&self, external_id: &str, email: &str) -> String {
        let mut new = new_order("adm", external_id, &[("ABC-123", 2, "9.99")]).unwrap();
        new.email = Some(Email::parse(email).unwrap());
        match self.services.orders.ingest(new).await.unwrap() {
            orderbridge_domain::services::Ingested::Created(order) => order.id().to_string(),
            other => panic!("{other:?}"),
        }
    }
}

/// An answer: status, headers and body text.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value a `Set-Cookie` gives `name`, and the whole header.
    pub fn cookie(&self, name: &str) -> Option<(String, String)> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| {
                let value = v[name.len() + 1..].split(';').next().unwrap_or_default();
                (value.to_owned(), v.to_owned())
            })
    }

    /// The first form's CSRF token on the page.
    pub fn csrf(&self) -> String {
        let at = self
            .text
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        let rest = &self.text[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .uri(path)
        .header("host", "127.0.0.1:8080");
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    builder.body(Body::empty()).unwrap()
}

pub fn post(path: &str, cookie: Option<&str>, form: &str) -> Request<Body> {
    let mut builder = Request::builder()
        .method("POST")
        .uri(path)
        .header("host", "127.0.0.1:8080")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    builder.body(Body::from(form.to_owned())).unwrap()
}

/// A signed-in session: its cookie header and CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// Signs in with `key` through the form; the reply to the posted form.
pub async fn sign_in_with(router: &Router, key: &str) -> Reply {
    let form = send(router, get("/console/sign-in", None)).await;
    let (token, _) = form
        .cookie("ob_console_sign_in")
        .expect("the sign-in cookie");
    assert_eq!(form.csrf(), token, "the form carries the cookie's token");
    let cookie = format!("ob_console_sign_in={token}");
    send(
        router,
        post(
            "/console/sign-in",
            Some(&cookie),
            &format!("key={key}&csrf={token}"),
        ),
    )
    .await
}

pub async fn sign_in(router: &Router) -> Session {
    let reply = sign_in_with(router, KEY).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let (token, _) = reply.cookie("ob_console").expect("a session cookie");
    let cookie = format!("ob_console={token}");
    let page = send(router, get("/console/orders", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    Session {
        csrf: page.csrf(),
        cookie,
    }
}
