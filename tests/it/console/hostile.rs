//! Marketplace text holding markup (`<script>`, an `<img onerror>`) in an order's fields, in a
//! marketplace's error answer and in an unreadable body: every console page shows it as text,
//! and nothing of it runs or becomes an element. (The pages' content policy would also block
//! inline script; the checks below count elements, so that they fail on escaping alone.)

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::{Value, json};

use crate::console::browser::Browser;
use crate::e2e_lifecycle::seed_order;
use crate::process::api::{ADM_KEY, WAREHOUSE_KEY, webhook_sender};
use crate::process::{Api, Launch, TempDir, with_adm};

const SCRIPT: &str = "<script>window.__pwned=1</script>";
const IMG: &str = "<img src=x onerror=\"window.__pwned=2\">";
/// [`IMG`] inside a JSON string.
const IMG_JSON: &str = "<img src=x onerror=\\\"window.__pwned=3\\\">";

/// The seed order with markup in every text field a person reads.
fn hostile_order() -> Value {
    let mut order = seed_order(&format!("7{SCRIPT}"));
    order["email"] = json!(SCRIPT);
    order["shipping_service"] = json!(format!("</td></tr></table>{SCRIPT}"));
    order["shipping_address"]["first_name"] = json!(IMG);
    order["shipping_address"]["address1"] = json!(SCRIPT);
    order["line_items"][0]["title"] = json!(SCRIPT);
    order
}

/// Checks the page: no hostile element, nothing ran, the markup shown as text.
async fn nothing_ran(browser: &Browser, page: &str, shown: &str) {
    let found = browser
        .eval(
            "return { pwned: window.__pwned === undefined ? null : window.__pwned, \
             scripts: document.querySelectorAll('script').length, \
             inline: Array.from(document.scripts).filter(s => !s.src).length, \
             imgs: document.querySelectorAll('img').length, \
             text: document.body.innerText };",
        )
        .await;
    assert_eq!(found["pwned"], Value::Null, "{page}: a hostile script ran");
    assert_eq!(found["scripts"], 1, "{page}: only the console's own script");
    assert_eq!(found["inline"], 0, "{page}: no inline script");
    assert_eq!(
        found["imgs"], 0,
        "{page}: no image element from marketplace text"
    );
    let text = found["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(shown),
        "{page}: {shown:?} shown as text in:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_marketplace_text_is_shown_as_text_and_never_runs() {
    let dir = TempDir::new();
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    adm.set_accept_unknown_orders(true);
    let service = with_adm(Launch::new().cwd(dir.path()), &adm)
        .serve("hostile")
        .await;
    let api = Api::new(&service.base_url());
    let sender = webhook_sender(&service.base_url());
    let reply = sender.send(&hostile_order()).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let order = api.order_id(&format!("7{SCRIPT}")).await;
    // ADM refuses the shipment with markup in its message: parked with that text.
    adm.answer_next(
        422,
        json!({"error": "Invalid Request", "message": SCRIPT}).to_string(),
    );
    let (status, body) = api.ship(&order, "1Z-HOSTILE", &[("ABC-123", 1)]).await;
    assert_eq!(status, 201, "{body}");
    // An order that cannot be read (no line), with markup in it: quarantined as it came.
    let unreadable =
        format!("{{\"id\": \"8{SCRIPT}\", \"line_items\": [], \"note\": \"{IMG_JSON}\"}}");
    let reply = sender
        .send_raw(unreadable.clone().into_bytes())
        .await
        .unwrap();
    assert_eq!(reply.status, 400, "{}", reply.body);

    let browser = Browser::start(&service.base_url()).await;
    browser.sign_in(WAREHOUSE_KEY).await;
    nothing_ran(&browser, "orders", &format!("7{SCRIPT}")).await;
    browser.goto(&format!("/console/orders/{order}")).await;
    nothing_ran(&browser, "order", IMG).await;
    assert!(
        browser.text("#customer").await.contains(SCRIPT),
        "the email as given"
    );
    browser.goto("/console/deliveries?state=all").await;
    assert!(
        browser.reload_until("main", SCRIPT).await,
        "the parked delivery's error shows"
    );
    nothing_ran(&browser, "deliveries", SCRIPT).await;
    browser.goto("/console/inbound").await;
    nothing_ran(&browser, "inbound", &format!("8{SCRIPT}")).await;
    browser.click("#inbound tbody a").await;
    nothing_ran(&browser, "inbound entry", &unreadable).await;
    browser.screenshot("hostile-order-inbound").await;
    browser.quit().await;
    adm.shutdown().await;
}
