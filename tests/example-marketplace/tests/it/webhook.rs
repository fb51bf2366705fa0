//! The webhook through the domain's `Webhook` port: stored and answered 201, a repeat 409, a
//! wrong key 401 before the body, a bad line 400 naming the field.

use std::str::FromStr;

use orderbridge_domain::ports::webhook::Headers;
use orderbridge_domain::values::{Currency, ExternalOrderId};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{HOOK_KEY, ORDER, fixture};

fn bearer(key: &str) -> Headers {
    Headers::new([("Authorization".to_owned(), format!("Bearer {key}"))])
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn a_valid_order_is_stored_and_answered_201() {
    let f = fixture();
    let hook = f.account.webhook().unwrap();
    assert_eq!(hook.marketplace(), "bazaar");
    assert_eq!(hook.channel(), f.account.channel());
    assert!(hook.authenticate(&bearer(HOOK_KEY)).is_ok());
    let reply = hook
        .receive("orders", &bearer(HOOK_KEY), ORDER.as_bytes(), &f.orders)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(json_of(&reply.body), json!({ "received": "BZ-1001" }));
    let id = ExternalOrderId::parse("BZ-1001").unwrap();
    let order = f
        .orders
        .order_by_external(f.account.channel(), &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply.created, Some(order.id()));
    assert_eq!(order.currency(), Currency::parse("EUR").unwrap());
    assert_eq!(order.placed_at(), f.clock_now());
    let prices: Vec<Decimal> = order.lines().iter().map(|l| l.unit_price()).collect();
    assert_eq!(
        prices,
        [
            Decimal::from_str("9.99").unwrap(),
            Decimal::from_str("0.10").unwrap()
        ]
    );
    assert_eq!(order.lines()[0].quantity().get(), 2);
}

#[tokio::test]
async fn a_repeat_is_answered_409_and_stores_nothing_more() {
    let f = fixture();
    let hook = f.account.webhook().unwrap();
    let first = hook
        .receive("orders", &bearer(HOOK_KEY), ORDER.as_bytes(), &f.orders)
        .await;
    assert_eq!(first.status, 201);
    let again = hook
        .receive("orders", &bearer(HOOK_KEY), ORDER.as_bytes(), &f.orders)
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.created, None);
    assert_eq!(json_of(&again.body)["received"], "BZ-1001");
    assert_eq!(f.stored().await, 1);
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_answered_401() {
    let f = fixture();
    let hook = f.account.webhook().unwrap();
    for headers in [bearer("nope"), Headers::default(), bearer("")] {
        let refused = hook.authenticate(&headers).unwrap_err();
        assert_eq!(refused.status, 401);
        assert_eq!(json_of(&refused.body), json!({ "error": "unauthorized" }));
    }
}

#[tokio::test]
async fn a_bad_line_is_answered_400_naming_the_field() {
    let f = fixture();
    let hook = f.account.webhook().unwrap();
    let cases = [
        (
            ORDER.replace(r#""quantity": 1"#, r#""quantity": 0"#),
            "lines[1].quantity",
        ),
        (ORDER.replace(r#""9.99""#, "9.99"), "lines[0].price"),
        (ORDER.replace(r#""9.99""#, r#""-1""#), "lines[0].price"),
        (ORDER.replace(r#""sku": "TEA-100", "#, ""), "lines[1].sku"),
        (ORDER.replace("EUR", "euro"), "currency"),
        (
            r#"{"id": "BZ-2", "currency": "EUR", "lines": []}"#.to_owned(),
            "lines",
        ),
        ("[1, 2]".to_owned(), "body"),
    ];
    for (body, field) in cases {
        let reply = hook
            .receive("orders", &bearer(HOOK_KEY), body.as_bytes(), &f.orders)
            .await;
        assert_eq!(reply.status, 400, "{field}: {}", reply.body);
        assert_eq!(json_of(&reply.body)["field"], field, "{}", reply.body);
    }
    assert_eq!(f.stored().await, 0);
}

#[tokio::test]
async fn an_unknown_event_is_answered_404() {
    let f = fixture();
    let hook = f.account.webhook().unwrap();
    let reply = hook
        .receive("refunds", &bearer(HOOK_KEY), ORDER.as_bytes(), &f.orders)
        .await;
    assert_eq!(reply.status, 404, "{}", reply.body);
}
