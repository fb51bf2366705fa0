//! The fake FeedAMP's reads: the new-orders feed under both paths with a stable cursor and
//! limit bounds, one order as an array, and the order JSON itself (money as bare numbers with
//! exact text, ids as strings, v1 dates, undocumented extra fields).

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use orderbridge_sandbox::{OrderState, SandboxLine, SandboxOrder};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::feedamp_support::{Api, error_of, feedamp, ids, two_line_order};
use crate::support::keys;

const FEEDS: [&str; 2] = ["/api/v1/orders", "/api/v1/orders/new"];

#[tokio::test]
async fn both_feed_paths_page_stably_while_orders_are_confirmed_between_pages() {
    for feed in FEEDS {
        let sandbox = feedamp().await;
        let added = sandbox.add_generated(230, 7).unwrap();
        let api = Api::new(&sandbox).await;

        let first = api.get(&format!("{feed}?limit=50")).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        assert_eq!(keys(&first.json), ["next_cursor", "orders"]);
        let first_ids = ids(&first);
        assert_eq!(first_ids, added[..50]);

        // Confirm every order of the first page and a few of the next, as a poller would.
        for id in first_ids
            .iter()
            .chain(&added[50..53])
            .chain(&added[120..121])
        {
            assert_eq!(api.confirm(id).await.status, StatusCode::OK);
        }
        let mut seen: Vec<String> = first_ids;
        let mut cursor = first.json["next_cursor"].as_str().unwrap().to_owned();
        let mut pages = 1;
        loop {
            let page = api.get(&format!("{feed}?limit=50&cursor={cursor}")).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            seen.extend(ids(&page));
            pages += 1;
            match &page.json["next_cursor"] {
                Value::String(next) => cursor = next.clone(),
                Value::Null => break,
                other => panic!("next_cursor {other}"),
            }
        }
        // Nothing skipped, nothing twice; the orders confirmed ahead of the cursor are gone.
        let expected: Vec<String> = added
            .iter()
            .enumerate()
            .filter(|(index, _)| !(50..53).contains(index) && *index != 120)
            .map(|(_, id)| id.clone())
            .collect();
        assert_eq!(seen, expected, "{feed}");
        assert_eq!(pages, 5, "{feed}: 50 + 50 + 50 + 50 + 26");

        // A fresh poll starts after the confirmed ones.
        let again = api.get(feed).await;
        assert_eq!(ids(&again).first(), Some(&added[53]));
        assert_eq!(ids(&again).len(), 100, "the default limit");
        assert_eq!(sandbox.unconfirmed_count(), 230 - 54);
    }
}

#[tokio::test]
async fn an_order_added_while_paging_comes_on_a_later_page() {
    let sandbox = feedamp().await;
    sandbox.add_generated(60, 3).unwrap();
    let api = Api::new(&sandbox).await;
    let first = api.get("/api/v1/orders/new?limit=50").await;
    let late = sandbox.add_order(two_line_order()).unwrap();
    let cursor = first.json["next_cursor"].as_str().unwrap();
    let second = api
        .get(&format!("/api/v1/orders/new?limit=50&cursor={cursor}"))
        .await;
    let second_ids = ids(&second);
    assert_eq!(second_ids.len(), 11);
    assert_eq!(second_ids.last(), Some(&late));
    assert_eq!(second.json["next_cursor"], Value::Null);
}

#[tokio::test]
async fn an_empty_feed_has_no_orders_and_no_cursor() {
    let sandbox = feedamp().await;
    let api = Api::new(&sandbox).await;
    let page = api.get("/api/v1/orders").await;
    assert_eq!(page.json, json!({"orders": [], "next_cursor": null}));
}

#[tokio::test]
async fn limits_outside_50_to_200_and_bad_cursors_get_400() {
    let sandbox = feedamp().await;
    sandbox.add_generated(201, 1).unwrap();
    let api = Api::new(&sandbox).await;
    for feed in FEEDS {
        for limit in ["49", "201", "0", "-5", "ten", "50.5"] {
            let refused = api.get(&format!("{feed}?limit={limit}")).await;
            assert!(error_of(&refused, 400).contains("limit"), "{limit}");
        }
        for (limit, count) in [("50", 50), ("200", 200), ("100.0", 100)] {
            let page = api.get(&format!("{feed}?limit={limit}")).await;
            assert_eq!(ids(&page).len(), count, "{limit}");
        }
        let bad_cursor = api.get(&format!("{feed}?cursor=garbage")).await;
        assert!(error_of(&bad_cursor, 400).contains("cursor"));
        let bad_flag = api.get(&format!("{feed}?include_raw=maybe")).await;
        assert!(error_of(&bad_flag, 400).contains("include_raw"));
    }
}

/// Whether `text` holds `"key":number` with exactly that number (the next character ends it).
fn has_number(text: &str, key: &str, number: &str) -> bool {
    let needle = format!("\"{key}\":{number}");
    text.match_indices(&needle).any(|(at, _)| {
        text[at + needle.len()..]
            .chars()
            .next()
            .is_some_and(|next| matches!(next, ',' | '}' | ']'))
    })
}

#[tokio::test]
async fn money_is_written_as_bare_numbers_with_exact_text() {
    let sandbox = feedamp().await;
    let order = SandboxOrder::new()
        .line(
            SandboxLine::new("SKU-A", 1, "19.99")
                .sales_tax("1.95")
                .shipping_price("0.10")
                .shipping_tax("0.2")
                .discount("200.00"),
        )
        .line(SandboxLine::new("SKU-B", 3, "200"));
    let id = sandbox.add_order(order).unwrap();
    let api = Api::new(&sandbox).await;
    for path in ["/api/v1/orders", &format!("/api/v1/orders/{id}")] {
        let text = api.get(path).await.text;
        for (key, number) in [
            ("unit_price", "19.99"),
            ("sales_tax", "1.95"),
            ("shipping_price", "0.1"),
            ("shipping_tax", "0.2"),
            ("discount", "200"),
            ("unit_price", "200"),
            ("quantity", "3"),
            ("shipping_discount", "0"),
        ] {
            assert!(
                has_number(&text, key, number),
                "{key}: {number} not in {text}"
            );
        }
        for never in ["200.0", "0.10", "19.989", r#""unit_price":""#] {
            assert!(!text.contains(never), "{never} in {text}");
        }
    }
}

#[tokio::test]
async fn one_order_comes_wrapped_in_an_array_with_the_documented_fields() {
    let sandbox = feedamp().await;
    let purchased = Utc.with_ymd_and_hms(2018, 5, 1, 23, 52, 1).unwrap();
    let order = SandboxOrder::new()
        .id("109872189273617283")
        .mp_order_number("111-2222222-3333333")
        .cp_order_number("1234")
        .purchase_date(purchased)
        .line(SandboxLine::new("RPBF24-1941", 1, "200").mp_line_number("40001"));
    let id = sandbox.add_order(order).unwrap();
    assert_eq!(id, "109872189273617283");
    let api = Api::new(&sandbox).await;
    let reply = api.get(&format!("/api/v1/orders/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(keys(&reply.json), ["order"]);
    let orders = reply.json["order"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(
        keys(order),
        [
            "acknowledged",
            "id",
            "integration_name",
            "marketplace_state",
            "order_info",
            "paused",
            "state"
        ]
    );
    assert_eq!(order["id"], "109872189273617283");
    assert_eq!(order["state"], "ORDERED");
    assert_eq!(order["marketplace_state"], "AWAITING_SHIPMENT");
    assert_eq!(
        (order["paused"].clone(), order["acknowledged"].clone()),
        (json!(0), json!(0))
    );
    let info = &order["order_info"];
    assert_eq!(info["purchase_date"], "2018-05-01T23:52:01.000Z");
    assert_eq!(info["shipping_country_code"], "USA");
    assert_eq!(info["mp_order_number"], "111-2222222-3333333");
    assert_eq!(info["cp_order_number"], "1234");
    assert_eq!(info["currency"], "USD");
    for field in [
        "customer_order_number",
        "marketplace_name",
        "shipping_full_name",
        "shipping_address1",
        "shipping_city",
        "shipping_state",
        "shipping_postal_code",
        "shipping_phone",
        "customer_email",
    ] {
        assert!(info[field].is_string(), "{field}");
    }
    let line = &info["order_lines"][0];
    assert_eq!(line["mp_line_number"], "40001");
    assert_eq!(line["sku"], "RPBF24-1941");
    assert!(line["product_name"].is_string() && line["shipping_method"].is_string());

    let missing = api.get("/api/v1/orders/123456789012345678").await;
    assert!(error_of(&missing, 404).contains("not found"));
    assert_eq!(sandbox.order_state(&id), Some(OrderState::Ordered));
}

#[tokio::test]
async fn include_raw_attaches_raw_data() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    let plain = api.get("/api/v1/orders").await;
    assert!(plain.json["orders"][0].get("raw_data").is_none());
    let raw = api.get("/api/v1/orders?include_raw=true").await;
    assert!(
        raw.json["orders"][0]["raw_data"].is_object(),
        "{}",
        raw.text
    );
    let one = api.get(&format!("/api/v1/orders/{id}?include_raw=1")).await;
    assert!(one.json["order"][0]["raw_data"].is_object());
}

#[tokio::test]
async fn some_generated_orders_carry_undocumented_fields_at_every_level() {
    let sandbox = feedamp().await;
    sandbox.add_generated(60, 11).unwrap();
    let api = Api::new(&sandbox).await;
    let page = api.get("/api/v1/orders?limit=60").await;
    let documented_top: HashSet<&str> = [
        "id",
        "state",
        "marketplace_state",
        "integration_name",
        "paused",
        "acknowledged",
        "order_info",
    ]
    .into();
    let documented_info: HashSet<&str> = [
        "mp_order_number",
        "customer_order_number",
        "cp_order_number",
        "marketplace_name",
        "purchase_date",
        "latest_ship_date",
        "currency",
        "shipping_full_name",
        "shipping_address1",
        "shipping_city",
        "shipping_state",
        "shipping_postal_code",
        "shipping_country_code",
        "shipping_phone",
        "customer_email",
        "order_lines",
    ]
    .into();
    let documented_line: HashSet<&str> = [
        "mp_line_number",
        "sku",
        "product_name",
        "quantity",
        "unit_price",
        "sales_tax",
        "shipping_method",
        "shipping_price",
        "shipping_tax",
        "discount",
        "shipping_discount",
        "discount_name",
        "shipping_discount_name",
    ]
    .into();
    let extra = |value: &Value, known: &HashSet<&str>| {
        value
            .as_object()
            .unwrap()
            .keys()
            .any(|key| !known.contains(key.as_str()))
    };
    let orders = page.json["orders"].as_array().unwrap();
    let with_extra_top = orders.iter().filter(|o| extra(o, &documented_top)).count();
    let with_extra_info = orders
        .iter()
        .filter(|o| extra(&o["order_info"], &documented_info))
        .count();
    let with_extra_line = orders
        .iter()
        .filter(|o| {
            o["order_info"]["order_lines"]
                .as_array()
                .unwrap()
                .iter()
                .any(|line| extra(line, &documented_line))
        })
        .count();
    for count in [with_extra_top, with_extra_info, with_extra_line] {
        assert!(
            count > 5 && count < 55,
            "{with_extra_top} {with_extra_info} {with_extra_line}"
        );
    }
}

#[tokio::test]
async fn orders_built_with_extra_fields_serve_them() {
    let sandbox = feedamp().await;
    let order = two_line_order()
        .extra_field("brand_new_top", json!({"a": 1}))
        .extra_info_field("brand_new_info", json!("x"))
        .line(SandboxLine::new("SKU-C", 1, "1").extra("brand_new_line", json!([1, 2])));
    assert!(order.has_extra_fields());
    let id = sandbox.add_order(order).unwrap();
    let served = sandbox.order_json(&id).unwrap();
    assert_eq!(served["brand_new_top"], json!({"a": 1}));
    assert_eq!(served["order_info"]["brand_new_info"], "x");
    assert_eq!(
        served["order_info"]["order_lines"][2]["brand_new_line"],
        json!([1, 2])
    );
}

#[tokio::test]
async fn invalid_orders_are_refused_when_added() {
    use orderbridge_sandbox::AddOrderError;
    let sandbox = feedamp().await;
    let cases = [
        (SandboxOrder::new(), AddOrderError::NoLines),
        (
            SandboxOrder::new().line(SandboxLine::new("A", 0, "1")),
            AddOrderError::ZeroQuantity { line: 0 },
        ),
        (
            SandboxOrder::new().line(SandboxLine::new(" ", 1, "1")),
            AddOrderError::EmptySku { line: 0 },
        ),
        (
            SandboxOrder::new()
                .currency("usd")
                .line(SandboxLine::new("A", 1, "1")),
            AddOrderError::InvalidCurrency("usd".to_owned()),
        ),
        (
            SandboxOrder::new()
                .line(SandboxLine::new("A", 1, "1").mp_line_number("7"))
                .line(SandboxLine::new("B", 1, "1").mp_line_number("7")),
            AddOrderError::DuplicateLineNumber("7".to_owned()),
        ),
        (
            SandboxOrder::new()
                .id("a/b")
                .line(SandboxLine::new("A", 1, "1")),
            AddOrderError::InvalidId("a/b".to_owned()),
        ),
    ];
    for (order, expected) in cases {
        assert_eq!(sandbox.add_order(order).unwrap_err(), expected);
    }
    let bad_money = SandboxOrder::new().line(SandboxLine::new("A", 1, "1e3"));
    assert!(matches!(
        sandbox.add_order(bad_money),
        Err(AddOrderError::InvalidMoney { .. })
    ));
    sandbox.add_generated(2, 5).unwrap();
    assert!(matches!(
        sandbox.add_generated(2, 5),
        Err(AddOrderError::DuplicateId(_))
    ));
    assert_eq!(sandbox.order_ids().len(), 2, "all or nothing");
}
