//! The fake FeedAMP's writes: confirm (leaves the feed, repeats counted), whole-order fulfil
//! (validation, full replace, lock, identical repeat) and one-line refunds (duplicates).

use orderbridge_sandbox::{OrderState, SandboxLine, SandboxOrder};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::feedamp_support::{Api, error_of, feedamp, ids, two_line_order};

fn shipment(quantity: u64, tracking: &str) -> Value {
    json!({
        "quantity_shipped": quantity,
        "shipped_date": "2024-06-15T10:30:00-04:00",
        "carrier": "UPS",
        "tracking_number": tracking,
        "tracking_url": "https://www.ups.com/track?tracknum=1Z",
    })
}

fn cancellation(quantity: u64, reason: &str) -> Value {
    json!({"quantity_cancelled": quantity, "cancellation_reason": reason})
}

fn line(number: &str, shipments: Vec<Value>, cancellations: Vec<Value>) -> Value {
    json!({"mp_line_number": number, "fulfillments": shipments, "cancellations": cancellations})
}

fn body(lines: Vec<Value>) -> Value {
    json!({ "order_lines": lines })
}

#[tokio::test]
async fn a_confirmed_order_leaves_the_feed_and_a_repeat_is_200_and_counted() {
    let sandbox = feedamp().await;
    let first = sandbox
        .add_order(two_line_order().cp_order_number("1234"))
        .unwrap();
    let second = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    let confirmed = api.confirm(&first).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(
        confirmed.json,
        json!({"order": {"id": first, "cp_order_number": "1234", "state": "PLACED"}})
    );
    assert_eq!(ids(&api.get("/api/v1/orders").await), [second.as_str()]);
    assert_eq!(ids(&api.get("/api/v1/orders/new").await), [second]);

    let again = api.confirm(&first).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json, confirmed.json);
    assert_eq!(sandbox.confirm_count(&first), 2);
    assert_eq!(sandbox.order_state(&first), Some(OrderState::Placed));
    let one = api.get(&format!("/api/v1/orders/{first}")).await;
    assert_eq!(one.json["order"][0]["state"], "PLACED");
    assert_eq!(one.json["order"][0]["acknowledged"], 1);

    let unknown = api.confirm("999999999999999999").await;
    assert!(error_of(&unknown, 404).contains("not found"));
}

#[tokio::test]
async fn fulfil_bodies_that_break_a_rule_get_400_naming_the_problem() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!([]), "JSON object"),
        (json!({}), "order_lines is required"),
        (body(vec![]), "order_lines is empty"),
        (
            body(vec![line("9", vec![shipment(1, "T")], vec![])]),
            "\"9\" is not a line",
        ),
        (body(vec![line("9", vec![], vec![])]), "\"9\" is not a line"),
        (
            body(vec![line("1", vec![shipment(0, "T")], vec![])]),
            "quantity_shipped",
        ),
        (
            body(vec![line("1", vec![], vec![cancellation(0, "other")])]),
            "quantity_cancelled",
        ),
        (
            body(vec![line(
                "1",
                vec![shipment(2, "T")],
                vec![cancellation(1, "other")],
            )]),
            "2 shipped + 1 cancelled is more than the 2 ordered",
        ),
        (
            body(vec![line(
                "1",
                vec![],
                vec![cancellation(1, "changed_mind")],
            )]),
            "cancellation_reason \"changed_mind\" is not one of customer_cancelled",
        ),
        (
            body(vec![line(
                "1",
                vec![
                    json!({"quantity_shipped": 1, "shipped_date": "2024-06-15", "carrier": "", "tracking_number": "T"}),
                ],
                vec![],
            )]),
            "carrier is required",
        ),
        (
            body(vec![line(
                "1",
                vec![
                    json!({"quantity_shipped": 1, "shipped_date": "2024-06-15", "carrier": "UPS", "tracking_number": " "}),
                ],
                vec![],
            )]),
            "tracking_number is required",
        ),
        (
            body(vec![line(
                "1",
                vec![
                    json!({"quantity_shipped": 1, "shipped_date": "15/06/2024", "carrier": "UPS", "tracking_number": "T"}),
                ],
                vec![],
            )]),
            "shipped_date \"15/06/2024\" is not an ISO 8601",
        ),
        (
            body(vec![line(
                "1",
                vec![
                    json!({"quantity_shipped": 1, "shipped_date": "2024-06-15", "carrier": "UPS", "tracking_number": "T", "tracking_url": "ftp://x"}),
                ],
                vec![],
            )]),
            "tracking_url must be an http or https URL",
        ),
        (
            body(vec![line(
                "1",
                vec![
                    json!({"quantity": 1, "shipped_date": "2024-06-15", "carrier": "UPS", "tracking_number": "T"}),
                ],
                vec![],
            )]),
            "unknown field `quantity`",
        ),
        (
            body(vec![line("1", vec![], vec![]), line("1", vec![], vec![])]),
            "appears more than once",
        ),
        (
            json!({"order_lines": [{"mp_line_number": 1}]}),
            "mp_line_number is required",
        ),
    ];
    for (sent, expected) in cases {
        let refused = api.fulfil(&id, &sent).await;
        let error = error_of(&refused, 400);
        assert!(error.contains(expected), "{sent}: {error}");
    }
    assert!(sandbox.fulfil_calls(&id).is_empty());
    assert_eq!(sandbox.order_state(&id), Some(OrderState::Ordered));

    let not_json = api
        .http
        .put(format!("{}/api/v1/orders/{id}/fulfill", api.base))
        .header("token", &api.token)
        .header("client", &api.client)
        .body(body(vec![line("1", vec![shipment(1, "T")], vec![])]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let unknown = api.fulfil("999", &body(vec![])).await;
    assert!(error_of(&unknown, 404).contains("not found"));
}

#[tokio::test]
async fn fulfil_replaces_the_whole_state_then_locks_once_every_unit_is_accounted_for() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    assert_eq!(api.confirm(&id).await.status, StatusCode::OK);

    // A partial state, then a replacement that drops it: full replace, not an addition.
    let partial = body(vec![line("1", vec![shipment(1, "T1")], vec![])]);
    let accepted = api.fulfil(&id, &partial).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(accepted.json["order"]["state"], "IN_PROGRESS");
    assert_eq!(sandbox.order_state(&id), Some(OrderState::InProgress));
    let replaced = body(vec![line("2", vec![shipment(1, "T2")], vec![])]);
    assert_eq!(api.fulfil(&id, &replaced).await.status, StatusCode::OK);
    assert_eq!(sandbox.fulfilment(&id), Some(replaced.clone()));
    // Had the first call counted, 2 + 1 would now exceed line 1's 2 units.
    let whole = body(vec![
        line(
            "1",
            vec![shipment(1, "T1")],
            vec![cancellation(1, "out_of_stock")],
        ),
        line("2", vec![shipment(1, "T2")], vec![]),
    ]);
    let locked = api.fulfil(&id, &whole).await;
    assert_eq!(locked.status, StatusCode::OK, "{}", locked.text);
    assert_eq!(locked.json["order"]["state"], "SHIPPED");
    assert_eq!(sandbox.order_state(&id), Some(OrderState::Shipped));

    // The same state again (lines and entries reordered, the date in UTC): 200, recorded.
    let same = body(vec![
        line("2", vec![shipment(1, "T2")], vec![]),
        json!({"mp_line_number": "1",
               "cancellations": [cancellation(1, "out_of_stock")],
               "fulfillments": [{"quantity_shipped": 1, "shipped_date": "2024-06-15T14:30:00Z",
                                 "carrier": "UPS", "tracking_number": "T1",
                                 "tracking_url": "https://www.ups.com/track?tracknum=1Z"}]}),
    ]);
    let repeat = api.fulfil(&id, &same).await;
    assert_eq!(repeat.status, StatusCode::OK, "{}", repeat.text);
    // Anything else is refused: the order rejects further updates.
    let different = body(vec![
        line("1", vec![shipment(2, "T1")], vec![]),
        line("2", vec![shipment(1, "T2")], vec![]),
    ]);
    let refused = api.fulfil(&id, &different).await;
    let error = error_of(&refused, 400);
    assert!(
        error.contains("SHIPPED") && error.contains("rejects further"),
        "{error}"
    );

    assert_eq!(sandbox.fulfilment(&id), Some(same.clone()));
    assert_eq!(sandbox.fulfil_calls(&id), [partial, replaced, whole, same]);
    assert_eq!(sandbox.order_state(&id), Some(OrderState::Shipped));
    let served = api.get(&format!("/api/v1/orders/{id}")).await;
    assert_eq!(served.json["order"][0]["state"], "SHIPPED");
}

#[tokio::test]
async fn cancelling_every_unit_locks_the_order_as_cancelled() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    let all_cancelled = body(vec![
        line("1", vec![], vec![cancellation(2, "customer_cancelled")]),
        line("2", vec![], vec![cancellation(1, "price_error")]),
    ]);
    let reply = api.fulfil(&id, &all_cancelled).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(sandbox.order_state(&id), Some(OrderState::Cancelled));
    let more = api
        .fulfil(&id, &body(vec![line("1", vec![shipment(1, "T")], vec![])]))
        .await;
    assert!(error_of(&more, 400).contains("CANCELLED"));
    // Fulfilling does not confirm: the order is still in the feed.
    assert_eq!(ids(&api.get("/api/v1/orders").await), [id.as_str()]);
    assert_eq!(sandbox.confirm_count(&id), 0);
}

fn refund_info(number: &str, line: &str) -> Value {
    json!({"refund_info": {
        "cp_refund_number": number,
        "mp_line_number": line,
        "refund_reason": "customer_return",
        "currency": "USD",
        "refund_quantity": 1,
        "item_refund": 19.99,
        "item_tax_refund": 1.6,
        "shipping_refund": 0,
        "shipping_tax_refund": 0,
        "discount_refund": 0,
        "refund_notes": "damaged in transit",
    }})
}

#[tokio::test]
async fn a_refund_is_created_and_a_duplicate_refund_number_gets_400() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let other = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    let sent = refund_info("R-1", "1");
    let created = api.refund(&id, &sent).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json["order_id"], id.as_str());
    assert_eq!(created.json["state"], "CREATED");
    assert_eq!(created.json["refund_info"], sent["refund_info"]);
    assert!(created.json["id"].is_string());
    assert!(
        created.text.contains(r#""item_refund":19.99"#),
        "{}",
        created.text
    );
    assert!(
        created.text.contains(r#""item_tax_refund":1.6"#),
        "{}",
        created.text
    );

    // The same number again, on this order or another, whatever the rest says.
    for order in [&id, &other] {
        let duplicate = api.refund(order, &sent).await;
        let error = error_of(&duplicate, 400);
        assert!(
            error.starts_with("duplicate cp_refund_number \"R-1\""),
            "{error}"
        );
    }
    assert_eq!(sandbox.duplicate_refunds(), 2);
    let refunds = sandbox.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].0, id);
    assert_eq!(refunds[0].1["item_refund"].to_string(), "19.99");
    assert_eq!(refunds[0].1["refund_notes"], "damaged in transit");
}

#[tokio::test]
async fn refund_bodies_that_break_a_rule_get_400() {
    let sandbox = feedamp().await;
    let order = SandboxOrder::new().line(SandboxLine::new("A", 2, "10"));
    let id = sandbox.add_order(order).unwrap();
    let api = Api::new(&sandbox).await;
    let with = |field: &str, value: Value| {
        let mut sent = refund_info("R-9", "1");
        sent["refund_info"][field] = value;
        sent
    };
    let cases = [
        (with("mp_line_number", json!("2")), "\"2\" is not a line"),
        (with("currency", json!("EUR")), "not the order's currency"),
        (with("currency", json!("usd")), "ISO 4217"),
        (
            with("item_refund", json!("19.99")),
            "item_refund must be a JSON number",
        ),
        (with("item_refund", json!(-1)), "non-negative plain decimal"),
        (with("refund_quantity", json!(3)), "would refund 3 of 2"),
        (with("refund_quantity", json!(-1)), "refund_quantity"),
        (
            with("cp_refund_number", json!("")),
            "cp_refund_number is required",
        ),
        (
            with("refund_reason", Value::Null),
            "refund_reason is required",
        ),
        (with("surprise", json!(1)), "unknown field `surprise`"),
        (
            json!({"refund_info": {"cp_refund_number": "R", "mp_line_number": "1", "refund_reason": "x", "currency": "USD", "refund_quantity": 0}}),
            "empty",
        ),
        (
            json!({"cp_refund_number": "R"}),
            "unknown field `cp_refund_number`",
        ),
        (json!({}), "refund_info is required"),
    ];
    for (sent, expected) in cases {
        let error = error_of(&api.refund(&id, &sent).await, 400);
        assert!(error.contains(expected), "{sent}: {error}");
    }
    // Refunded units add up per line across refunds.
    assert_eq!(
        api.refund(&id, &refund_info("R-1", "1")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.refund(&id, &refund_info("R-2", "1")).await.status,
        StatusCode::CREATED
    );
    let third = api.refund(&id, &refund_info("R-3", "1")).await;
    assert!(error_of(&third, 400).contains("would refund 3 of 2"));
    let unknown = api.refund("404404", &refund_info("R-4", "1")).await;
    assert!(error_of(&unknown, 404).contains("not found"));
    assert_eq!(sandbox.refunds().len(), 2);
    assert_eq!(sandbox.duplicate_refunds(), 0);
}
