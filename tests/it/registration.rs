//! A new marketplace is one crate plus one line: the example marketplace Bazaar
//! (`tests/example-marketplace`), listed beside ADM and FeedAMP, is configured from its own
//! `[[bazaar]]` settings and environment variables, receives orders at its webhook and gets
//! their shipments, through the app's own settings, wiring, HTTP layer and dispatcher, with
//! nothing else changed.

use std::time::Duration;

use orderbridge::config::Config;
use orderbridge::settings::Loaded;
use orderbridge_domain::ports::channel::MarketplaceKind;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::process::api::{WAREHOUSE_KEY, http_client};
use crate::process::{Api, TempDir, eventually};

/// The build's list of marketplaces (`crates/app/src/marketplaces.rs`) with Bazaar added: the
/// one line a new marketplace needs.
const MARKETPLACES: &[&dyn MarketplaceKind] = &[
    &orderbridge_adm::Adm,
    &orderbridge_feedamp::Feedamp,
    &orderbridge_example_marketplace::Bazaar,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketplace_registered_with_one_line_takes_orders_and_gets_their_shipments() {
    let bazaar = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/shipments"))
        .and(header("authorization", "Bearer bazaar-out"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "S-1"})))
        .mount(&bazaar)
        .await;
    let dir = TempDir::new();
    let file = format!(
        "[database]\nsqlite_path = \"{}\"\n[warehouse]\napi_keys = [\"{WAREHOUSE_KEY}\"]\n\
         [dispatch]\nidle_poll_ms = 20\n[[bazaar]]\nwebhook_keys = [\"bazaar-in\"]\n",
        dir.path().join("bazaar.sqlite").display()
    );
    let vars = [
        ("ORDERBRIDGE_BAZAAR_BASE_URL".to_owned(), bazaar.uri()),
        (
            "ORDERBRIDGE_BAZAAR_API_KEY".to_owned(),
            "bazaar-out".to_owned(),
        ),
    ];
    let loaded = Loaded::load_for(MARKETPLACES, Some(("bazaar.toml", &file)), vars).unwrap();
    let described = loaded.describe();
    assert!(
        described.contains("bazaar.base_url") && !described.contains("bazaar-out"),
        "{described}"
    );
    let config = Config::from_settings(&loaded).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let service = tokio::spawn(orderbridge::run(config, listener, None, async {
        let _ = stopped.await;
    }));

    let order = json!({"id": "B-1", "currency": "EUR",
        "lines": [{"sku": "RED", "quantity": 2, "price": "9.99"}]});
    let post = |key: &'static str| {
        http_client()
            .post(format!("{base}/webhooks/bazaar/orders"))
            .bearer_auth(key)
            .json(&order)
            .send()
    };
    assert_eq!(post("bazaar-in").await.unwrap().status().as_u16(), 201);
    assert_eq!(post("wrong").await.unwrap().status().as_u16(), 401);

    let api = Api::new(&base);
    let (status, page) = api.get("/v1/orders?channel=bazaar").await;
    assert_eq!(status, 200, "{page}");
    let id = page["orders"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(page["orders"][0]["lines"][0]["unit_price"], "9.99");
    let (status, reply) = api.ship(&id, "1ZBAZAAR", &[("RED", 2)]).await;
    assert_eq!(status, 201, "{reply}");
    let shipped = eventually(Duration::from_secs(30), async || {
        bazaar
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains("1ZBAZAAR"))
    })
    .await;
    assert!(shipped, "Bazaar received the shipment");

    let _ = stop.send(());
    service.await.unwrap().unwrap();
}
