//! Issue 16's browser tests: the real binary on SQLite with the sandbox ADM, and a real headless
//! Chromium operating the console as a person would: signing in, finding an order by its
//! marketplace id, retrying a parked delivery and watching it delivered, resolving another,
//! pausing and resuming a channel, replaying a quarantined order, signing out and being
//! refused; marketplace text holding `<script>` shows as text and never runs. Each page is
//! photographed under `target/console-screenshots/`.

mod browser;
mod hostile;

use std::time::Duration;

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::Value;

use crate::console::browser::{Browser, PATIENCE};
use crate::e2e_lifecycle::seed_order;
use crate::process::api::{ADM_KEY, SHUTDOWN_SECS, WAREHOUSE_KEY, http_client, webhook_sender};
use crate::process::{Api, Launch, Service, TempDir, eventually, with_adm};

/// Sends ADM's seed order as `id` and answers orderbridge's id for it.
async fn order(service: &Service, api: &Api, id: &str) -> String {
    let reply = webhook_sender(&service.base_url())
        .send(&seed_order(id))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    api.order_id(id).await
}

/// The parked delivery of `order`, by the API.
async fn parked_delivery(api: &Api, order: &str) -> String {
    let path = format!("/v1/deliveries?state=dead&order_id={order}");
    let parked = eventually(PATIENCE, async || {
        api.get(&path).await.1["deliveries"][0]["id"].is_string()
    })
    .await;
    assert!(parked, "the shipment of order {order} is parked");
    api.get(&path).await.1["deliveries"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The channel `adm` as the API shows it.
async fn adm_channel(api: &Api) -> Value {
    let (status, body) = api.get("/v1/channels").await;
    assert_eq!(status, 200, "{body}");
    body["channels"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_finds_an_order_retries_resolves_pauses_and_signs_out() {
    let dir = TempDir::new();
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let service = with_adm(Launch::new().cwd(dir.path()), &adm)
        .serve("console")
        .await;
    let api = Api::new(&service.base_url());
    // ADM knows each order with one unit: a shipment of two is refused, and parked.
    adm.register_order("6001", &[("ABC-123", 1)]);
    adm.register_order("6002", &[("ABC-123", 1)]);
    let first = order(&service, &api, "6001").await;
    let second = order(&service, &api, "6002").await;
    order(&service, &api, "6003").await;
    for (id, tracking) in [(&first, "1Z-RETRY"), (&second, "1Z-RESOLVE")] {
        let (status, body) = api.ship(id, tracking, &[("ABC-123", 2)]).await;
        assert_eq!(status, 201, "{body}");
    }
    let to_retry = parked_delivery(&api, &first).await;
    let to_resolve = parked_delivery(&api, &second).await;

    let browser = Browser::start(&service.base_url()).await;
    browser.goto("/console/orders").await;
    assert_eq!(
        browser.path().await,
        "/console/sign-in",
        "no page without a session"
    );
    browser.screenshot("sign-in").await;
    browser.sign_in("not-the-key").await;
    assert!(
        browser
            .text("#flash")
            .await
            .contains("not one of the warehouse keys")
    );
    browser.sign_in(WAREHOUSE_KEY).await;
    assert_eq!(browser.path().await, "/console/orders");
    let listed = browser.text("#orders").await;
    assert!(
        listed.contains("6001") && listed.contains("6003"),
        "{listed}"
    );
    assert!(
        !browser.text("body").await.contains("Jane"),
        "no customer data on the list"
    );
    browser.screenshot("orders").await;

    // Found by its marketplace id, and opened.
    browser.type_into("#q", "6002").await;
    browser.click("#search").await;
    let rows = browser.text("#orders tbody").await;
    assert!(rows.contains("6002") && !rows.contains("6001"), "{rows}");
    browser.click("#orders tbody a").await;
    assert_eq!(browser.path().await, format!("/console/orders/{second}"));
    assert_eq!(browser.text("#external-id").await, "6002");
    assert!(
        browser.text("#customer").await.contains("Jane Doe"),
        "the order's page shows its customer"
    );
    assert!(browser.text("#shipments").await.contains("1Z-RESOLVE"));
    assert!(browser.text("#history").await.contains("received"));
    browser.screenshot("order").await;

    // The parked delivery of 6001, retried once ADM knows all four units: delivered.
    adm.register_order("6001", &[("ABC-123", 4)]);
    browser.goto("/console/deliveries").await;
    assert!(browser.has(&format!("#delivery-{to_retry}")).await);
    assert!(browser.has(&format!("#delivery-{to_resolve}")).await);
    browser.screenshot("deliveries").await;
    browser
        .click(&format!("#delivery-{to_retry} button.retry"))
        .await;
    assert!(
        browser.text("#flash").await.contains("queued again"),
        "{}",
        browser.text("main").await
    );
    browser.goto(&format!("/console/orders/{first}")).await;
    assert!(
        browser.reload_until("#shipments", "delivered").await,
        "the retried delivery is delivered: {}",
        browser.text("#shipments").await
    );

    // The other one resolved by hand, with a note.
    browser.goto("/console/deliveries").await;
    let row = format!("#delivery-{to_resolve}");
    browser
        .type_into(
            &format!("{row} input[name=note]"),
            "created by hand in ADM's portal",
        )
        .await;
    browser.click(&format!("{row} button.resolve")).await;
    assert!(
        browser.text("#flash").await.contains("is resolved"),
        "{}",
        browser.text("main").await
    );
    assert!(!browser.has(&row).await, "no longer parked");
    browser.goto(&format!("/console/orders/{second}")).await;
    assert!(
        browser
            .text("#history")
            .await
            .contains("created by hand in ADM's portal")
    );

    // The channel paused with a reason, and resumed.
    browser.goto("/console/channels").await;
    browser
        .type_into("#channel-adm input[name=note]", "ADM maintenance window")
        .await;
    browser.click("#channel-adm button.pause").await;
    assert!(browser.text("#flash").await.contains("is paused"));
    assert_eq!(browser.text("#channel-adm .health").await, "paused");
    assert!(
        browser
            .text("#channel-adm")
            .await
            .contains("ADM maintenance window")
    );
    assert_eq!(adm_channel(&api).await["state"], "paused", "the API agrees");
    browser.screenshot("channels").await;
    browser.click("#channel-adm button.resume").await;
    assert_eq!(browser.text("#channel-adm .health").await, "active");
    assert_eq!(adm_channel(&api).await["state"], "active");

    // Signed out: the pages are refused, and so is the old cookie.
    let cookie = browser.session_cookie().await.expect("a session cookie");
    browser.click("#sign-out").await;
    assert_eq!(browser.path().await, "/console/sign-in?signed_out=1");
    browser.goto("/console/deliveries").await;
    assert_eq!(browser.path().await, "/console/sign-in");
    let reused = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/console/orders", service.base_url()))
        .header("cookie", format!("ob_console={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        reused.status(),
        303,
        "the signed-out session's cookie opens nothing"
    );
    browser.quit().await;
    adm.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quarantined_order_is_replayed_from_the_console() {
    let _ = http_client();
    let dir = TempDir::new();
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    adm.register_order("9101", &[("ABC-123", 4)]);
    let launch = with_adm(Launch::new().cwd(dir.path()), &adm);
    // Set to JPY, the account cannot read the seed's cents: the order is quarantined.
    let mut misread = launch
        .clone()
        .env("ORDERBRIDGE_ADM_CURRENCY", "JPY")
        .serve("JPY")
        .await;
    let reply = webhook_sender(&misread.base_url())
        .send(&seed_order("9101"))
        .await
        .unwrap();
    assert_eq!(reply.status, 400, "{}", reply.body);
    let stopped = misread
        .terminate(Duration::from_secs(SHUTDOWN_SECS + 5))
        .await;
    assert!(stopped.is_some_and(|s| s.success()));

    let service = launch
        .env("ORDERBRIDGE_ADM_CURRENCY", "USD")
        .serve("USD")
        .await;
    let browser = Browser::start(&service.base_url()).await;
    browser.sign_in(WAREHOUSE_KEY).await;
    browser.goto("/console/inbound").await;
    let listed = browser.text("#inbound").await;
    assert!(
        listed.contains("9101") && listed.contains("JPY"),
        "{listed}"
    );
    browser.screenshot("inbound").await;
    browser.click("#inbound tbody a").await;
    assert!(
        browser.text("#raw-body").await.contains("\"id\":\"9101\""),
        "the body as received"
    );
    assert_eq!(browser.text("#entry-state").await, "rejected");
    browser.screenshot("inbound-entry").await;
    browser.click("#replay").await;
    assert!(
        browser.text("#flash").await.contains("was created"),
        "{}",
        browser.text("main").await
    );
    assert_eq!(browser.text("#entry-state").await, "replayed");
    browser.click("#replayed-order").await;
    assert_eq!(browser.text("#external-id").await, "9101");
    let api = Api::new(&service.base_url());
    assert_eq!(api.all_orders().await.len(), 1, "the order exists now");
    browser.quit().await;
    adm.shutdown().await;
}
