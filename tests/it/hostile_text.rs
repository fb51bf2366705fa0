//! Design section 12 on SQLite and on PostgreSQL (whose `text` and `jsonb` refuse NUL): NUL and
//! other control characters in every free-text field of an ADM webhook, a FeedAMP order, a
//! warehouse request and a marketplace's answer. Nothing gets a 5xx; orders are stored with the
//! characters removed, warehouse requests get a 400 naming the field; the poller and the
//! dispatcher keep running, and no row is sent twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use orderbridge::config::DispatchConfig;
use orderbridge::workers::Polling;
use orderbridge_domain::health::HealthPolicy;
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::marketplace::Marketplace;
use orderbridge_domain::ports::store::Store;
use orderbridge_domain::services::{
    Channels, Dispatcher, Marketplaces, OrderService, Poller, ServiceConfig,
};
use orderbridge_domain::values::{ChannelId, ExternalOrderId};
use orderbridge_feedamp::{FeedampClient, FeedampConfig, Secret};
use orderbridge_sandbox::{FeedampSandbox, FeedampSandboxConfig, SandboxLine, SandboxOrder};
use serde_json::{Value, json};
use tokio::sync::watch;
use uuid::Uuid;

use crate::harness::{Harness, WAREHOUSE_KEY, WEBHOOK_KEY, fast_policy, on_both_stores};

const PATIENCE: Duration = Duration::from_secs(20);

/// NUL, escape, DEL, a C1 control, tab and a line break around plain text.
const DIRTY: &str = "\u{0}Main\u{1b}[0m\tSt\u{7f}\u{85}\r\n2";
/// [`DIRTY`] once cleaned as one line.
const CLEAN: &str = "Main[0m St   2";

on_both_stores!(
    hostile_text_from_adm_the_warehouse_and_adm_answers_is_cleaned_or_refused,
    hostile_text_from_feedamp_is_cleaned_and_the_poller_and_dispatcher_go_on,
);

/// Every string in `value` with a control character other than tab and line break (those
/// only where `notes` allows them), with its path.
fn dirty_strings(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let note = path.ends_with(".note");
            let bad = text
                .chars()
                .any(|c| c.is_control() && !(note && matches!(c, '\t' | '\n')));
            if bad {
                out.push(format!("{path}: {text:?}"));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                dirty_strings(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                dirty_strings(item, &format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

fn assert_clean(value: &Value) {
    let mut found = Vec::new();
    dirty_strings(value, "", &mut found);
    assert!(found.is_empty(), "control characters kept: {found:?}");
}

async fn order_detail(h: &Harness, external_id: &str) -> Value {
    let (status, page) = h
        .call("GET", "/v1/orders?limit=500", WAREHOUSE_KEY, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let id = page["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["external_id"] == external_id)
        .unwrap_or_else(|| panic!("order {external_id} stored: {page}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, detail) = h
        .call("GET", &format!("/v1/orders/{id}"), WAREHOUSE_KEY, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    detail
}

/// An ADM order with [`DIRTY`] in every free-text field.
fn dirty_adm_order(id: &str) -> Value {
    let mut address = json!({});
    for field in [
        "first_name",
        "last_name",
        "company",
        "address1",
        "address2",
        "city",
        "province",
        "province_code",
        "zip",
        "phone",
        "country",
    ] {
        address[field] = json!(DIRTY);
    }
    json!({
        "id": id,
        "created_at": format!("2024-04-30T12:00:00Z{DIRTY}"),
        "deliver_by": DIRTY,
        "email": format!("jane{DIRTY}@example.com"),
        "shipping_address": address,
        "shipping_service": DIRTY,
        "line_items": [
            {"sku": "AAA", "quantity": 1, "price": "1.00", "title": DIRTY, "id": DIRTY},
            {"sku": "BBB", "quantity": 1, "price": "1.00", "title": DIRTY},
            {"sku": "CCC", "quantity": 3, "price": "1.00"}
        ],
        "total_price": "4.00",
    })
}

async fn hostile_text_from_adm_the_warehouse_and_adm_answers_is_cleaned_or_refused(
    store: Arc<dyn Store>,
) {
    let h = Harness::start(store.clone()).await;
    let webhook = "/webhooks/adm/orders";

    // ADM's webhook: stored clean, raw payload kept exactly.
    let (status, body) = h
        .call("POST", webhook, WEBHOOK_KEY, Some(dirty_adm_order("H-1")))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = h
        .call("POST", webhook, WEBHOOK_KEY, Some(dirty_adm_order("H-1")))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "sent again: already created");
    let order = order_detail(&h, "H-1").await;
    assert_clean(&order);
    let address = &order["shipping_address"];
    for field in [
        "first_name",
        "last_name",
        "company",
        "city",
        "province",
        "zip",
        "phone",
    ] {
        assert_eq!(address[field], CLEAN, "shipping_address.{field}: {order}");
    }
    assert_eq!(order["shipping_service"], CLEAN);
    assert_eq!(order["lines"][0]["title"], CLEAN);
    assert_eq!(order["lines"][0]["external_line_id"], CLEAN);
    assert_eq!(order["email"], format!("jane{CLEAN}@example.com"));
    let flags: Vec<&str> = order["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(flags.contains(&"placed_at_unreadable"), "{flags:?}");
    let id = order["id"].as_str().unwrap().to_owned();
    let stored = store
        .find_by_external(
            &ChannelId::parse("adm").unwrap(),
            &ExternalOrderId::parse("H-1").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let raw = stored.raw_payload().unwrap();
    assert!(
        raw.contains("\\u0000Main"),
        "the raw payload is kept as received"
    );

    // ADM's cancellations: the reason kept clean, before and after the order arrives.
    for (route, external) in [("orders/cancelled", "H-2"), ("orders", "H-3")] {
        let mut body = dirty_adm_order(external);
        body["cancelled_at"] = json!("2024-05-01T00:00:00Z");
        body["cancel_reason"] = json!(DIRTY);
        let (status, answer) = h
            .call(
                "POST",
                &format!("/webhooks/adm/{route}"),
                WEBHOOK_KEY,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{route}: {answer}");
    }
    let (status, _) = h
        .call("POST", webhook, WEBHOOK_KEY, Some(dirty_adm_order("H-2")))
        .await;
    assert_eq!(status, StatusCode::OK, "the order cancelled before it came");
    for external in ["H-2", "H-3"] {
        let order = order_detail(&h, external).await;
        assert_clean(&order);
        assert_eq!(order["status"], "cancelled", "{external}");
        let note = order["cancellations"][0]["note"].as_str().unwrap();
        assert_eq!(note, format!("ADM cancel_reason: {CLEAN}"));
    }

    // A body that cannot be read (an id with a NUL): the seed's 400, kept in quarantine.
    let mut unreadable = dirty_adm_order("H-4");
    unreadable["id"] = json!("H\u{0}4");
    let (status, answer) = h.call("POST", webhook, WEBHOOK_KEY, Some(unreadable)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().starts_with("id"),
        "{answer}"
    );
    let (status, kept) = h.call("GET", "/v1/inbound", WAREHOUSE_KEY, None).await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["entries"].as_array().map(Vec::len), Some(1), "{kept}");
    assert_clean(&kept);

    // The warehouse: control characters refused naming the field; a note's lines kept.
    let path = format!("/v1/orders/{id}/fulfillments");
    let refused = [
        (
            json!({"tracking_number": "1Z\u{0}", "line_items": [{"sku": "AAA", "quantity": 1}]}),
            "tracking_number",
        ),
        (
            json!({"tracking_number": "1Z", "carrier": "U\u{0}PS", "line_items": [{"sku": "AAA", "quantity": 1}]}),
            "carrier",
        ),
        (
            json!({"tracking_number": "1Z", "line_items": [{"sku": "A\u{0}AA", "quantity": 1}]}),
            "line_items[0].sku",
        ),
    ];
    for (body, field) in refused {
        let (status, answer) = h.call("POST", &path, WAREHOUSE_KEY, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().starts_with(field),
            "{answer}"
        );
    }
    let cancel = format!("/v1/orders/{id}/cancellations");
    let body = json!({"reason": "customer", "note": "no\u{0}", "line_items": [{"sku": "CCC", "quantity": 1}]});
    let (status, answer) = h.call("POST", &cancel, WAREHOUSE_KEY, Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().unwrap().starts_with("note"));
    let body = json!({"reason": "customer", "note": "one\n\ttwo", "line_items": [{"sku": "CCC", "quantity": 1}]});
    let (status, answer) = h.call("POST", &cancel, WAREHOUSE_KEY, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let refund = format!("/v1/orders/{id}/refunds");
    let body = json!({"reason": "customer_return", "reference": "R\u{0}1",
        "lines": [{"line": 3, "quantity": 1, "amount": "1.00"}]});
    let (status, answer) = h.call("POST", &refund, WAREHOUSE_KEY, Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().unwrap().starts_with("reference"));

    // ADM's answers: a reference and an error message full of control characters, in one
    // batch with an ordinary answer.
    h.adm
        .answer_next(200, r#"{"created_at": "\u0000REF\u001b-1\r\n"}"#);
    h.adm.answer_next(
        400,
        r#"{"error": "Invalid\u0000 SKU", "message": "no\u0000\u001b[31m way\nat all"}"#,
    );
    for (tracking, sku) in [("T-1", "AAA"), ("T-2", "BBB"), ("T-3", "CCC")] {
        h.ship(&id, tracking, sku, 1).await;
    }
    let settled = h
        .eventually(PATIENCE, async || {
            let (_, page) = h
                .call(
                    "GET",
                    &format!("/v1/deliveries?order_id={id}"),
                    WAREHOUSE_KEY,
                    None,
                )
                .await;
            page["deliveries"]
                .as_array()
                .is_some_and(|all| all.len() == 3 && all.iter().all(|d| d["state"] != "pending"))
        })
        .await;
    assert!(settled, "every outcome of the batch is recorded");
    let (_, page) = h
        .call(
            "GET",
            &format!("/v1/deliveries?order_id={id}"),
            WAREHOUSE_KEY,
            None,
        )
        .await;
    assert_clean(&page);
    let mut outcomes: Vec<(String, String)> = page["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let text = d["remote_ref"].as_str().or(d["last_error"].as_str());
            (
                d["state"].as_str().unwrap().to_owned(),
                text.unwrap_or("").to_owned(),
            )
        })
        .collect();
    outcomes.sort();
    assert_eq!(outcomes[0].0, "dead", "{outcomes:?}");
    assert_eq!(
        outcomes[0].1,
        "rejected: 400 Invalid SKU: no[31m way at all"
    );
    assert_eq!(outcomes[1].0, "delivered", "{outcomes:?}");
    assert_eq!(outcomes[2], ("delivered".to_owned(), "REF-1".to_owned()));
    let order = order_detail(&h, "H-1").await;
    assert_clean(&order);

    // The dispatcher goes on, and nothing was sent twice.
    h.ship(&id, "T-4", "CCC", 1).await;
    assert!(
        h.adm.wait_for_accepted(2, PATIENCE).await,
        "an ordinary shipment still goes out"
    );
    // The request log takes an entry once its answer is written, just after it is counted.
    let logged = h
        .eventually(PATIENCE, async || h.adm.requests().len() >= 4)
        .await;
    assert!(logged, "{:?}", h.adm.requests());
    let mut attempts: BTreeMap<String, u32> = BTreeMap::new();
    for request in h.adm.requests() {
        *attempts
            .entry(request.idempotency_key.unwrap())
            .or_default() += 1;
    }
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    assert!(
        attempts.values().all(|n| *n == 1),
        "sent once each: {attempts:?}"
    );
    h.stop().await;
}

const USER: &str = "ob-user";
const PASSWORD: &str = "ob-password";
const CLIENT: &str = "4242";

/// A FeedAMP order with [`DIRTY`] in every free-text field, its confirmation answered with a
/// `cp_order_number` full of control characters too.
fn dirty_feedamp_order(id: &str) -> SandboxOrder {
    SandboxOrder::new()
        .id(id)
        .cp_order_number(format!("CP{DIRTY}"))
        .ship_to(DIRTY, DIRTY, DIRTY, DIRTY, DIRTY, "USA")
        .shipping_phone(DIRTY)
        .customer_email(format!("jane{DIRTY}@example.com"))
        .extra_info_field("shipping_address2", json!(DIRTY))
        .extra_info_field("shipping_address3", json!(DIRTY))
        .line(
            SandboxLine::new("SKU-1", 1, "10.00")
                .mp_line_number(DIRTY)
                .product_name(DIRTY)
                .shipping_method(DIRTY),
        )
}

async fn hostile_text_from_feedamp_is_cleaned_and_the_poller_and_dispatcher_go_on(
    store: Arc<dyn Store>,
) {
    let sandbox = FeedampSandbox::start(FeedampSandboxConfig::new(USER, PASSWORD, CLIENT))
        .await
        .unwrap();
    let channel = ChannelId::parse("feedamp").unwrap();
    let config = FeedampConfig::new(
        channel.clone(),
        sandbox.base_url(),
        USER,
        Secret::new(PASSWORD),
        CLIENT,
    )
    .with_min_interval(Duration::from_millis(1));
    let client = FeedampClient::new(config).unwrap();
    let (clock, ids) = (Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let service = OrderService::new(
        store.clone(),
        Channels::new().with(channel.clone(), client.capabilities()),
        clock.clone(),
        ids.clone(),
        ServiceConfig::default(),
    );
    let mut marketplaces = Marketplaces::new();
    marketplaces.insert(channel.clone(), Arc::new(client.clone()));
    let dispatcher = Dispatcher::new(
        store.clone(),
        store.clone(),
        marketplaces,
        clock.clone(),
        ids,
        fast_policy(),
    );
    let poller = Poller::new(
        service,
        store.clone(),
        Arc::new(client),
        clock,
        Uuid::now_v7(),
        Duration::from_secs(60),
    );
    let (stop, stop_rx) = watch::channel(false);
    let dispatch = tokio::spawn(orderbridge::workers::dispatch_loop(
        dispatcher,
        DispatchConfig {
            concurrency: 4,
            batch_size: 16,
            idle_poll: Duration::from_millis(20),
            policy: fast_policy(),
            health: HealthPolicy::default(),
        },
        stop_rx.clone(),
        Duration::from_secs(5),
    ));
    let poll = tokio::spawn(orderbridge::workers::poll_loop(
        Polling {
            channel: "feedamp".to_owned(),
            poller,
            interval: Duration::from_millis(50),
            state_check: None,
        },
        stop_rx,
    ));

    sandbox
        .add_order(dirty_feedamp_order("109872189273600001"))
        .unwrap();
    let stored = |external: &'static str| {
        let store = store.clone();
        let channel = channel.clone();
        async move {
            store
                .find_by_external(&channel, &ExternalOrderId::parse(external).unwrap())
                .await
                .unwrap()
        }
    };
    let confirmed = |external: &'static str| {
        let store = store.clone();
        let stored = stored(external);
        async move {
            let order = stored.await?;
            let rows = store
                .deliveries(&orderbridge_domain::ports::store::DeliveryQuery {
                    order_id: Some(order.id()),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            rows.into_iter()
                .find(|d| d.state == orderbridge_domain::outbox::DeliveryState::Delivered)
                .map(|d| (order, d))
        }
    };
    let (order, delivery) = wait_for(PATIENCE, || confirmed("109872189273600001"))
        .await
        .expect("the order with control characters is stored and confirmed");
    let address = order.shipping_address().unwrap();
    for field in [
        &address.full_name,
        &address.address1,
        &address.address2,
        &address.address3,
        &address.city,
        &address.province,
        &address.zip,
        &address.phone,
    ] {
        assert_eq!(field.as_deref(), Some(CLEAN));
    }
    assert_eq!(order.shipping_service(), Some(CLEAN));
    let line = &order.lines()[0];
    assert_eq!(
        (line.title(), line.external_line_id()),
        (Some(CLEAN), Some(CLEAN))
    );
    assert_eq!(
        order.email().map(|e| e.as_str().to_owned()),
        Some(format!("jane{CLEAN}@example.com"))
    );
    assert_eq!(delivery.remote_ref, Some(format!("CP{CLEAN}")));
    assert!(order.raw_payload().unwrap().contains("\\u0000Main"));

    // The poller goes on to the next order, and each was confirmed once.
    sandbox
        .add_order(
            SandboxOrder::new()
                .id("109872189273600002")
                .line(SandboxLine::new("SKU-2", 1, "5.00")),
        )
        .unwrap();
    assert!(
        wait_for(PATIENCE, || confirmed("109872189273600002"))
            .await
            .is_some(),
        "the next order is polled and confirmed"
    );
    let _ = stop.send(true);
    dispatch.await.unwrap();
    poll.await.unwrap();
    for id in ["109872189273600001", "109872189273600002"] {
        assert_eq!(sandbox.confirm_count(id), 1, "{id} confirmed once");
    }
    sandbox.shutdown().await;
}

/// Polls `check` until it gives something, for at most `within`.
async fn wait_for<T, F, Fut>(within: Duration, check: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return Some(found);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
