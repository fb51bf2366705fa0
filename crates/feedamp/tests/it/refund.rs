//! One-line refunds: the inferred `refund_info` body with exact money, a refund number and an
//! idempotency key that are the same on every retry, and a duplicate refusal counted as
//! delivered.

use orderbridge_domain::order::{Order, Refund, RefundLineRequest, RefundReason, RefundRequest};
use orderbridge_domain::ports::marketplace::{Marketplace, Outcome};
use orderbridge_domain::values::{Currency, LineNo, Money, RefundId};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{at, client, config, count, dec, event, key, order, order_path, token_route};

fn line(n: u32) -> LineNo {
    LineNo::new(n).unwrap_or_else(|e| panic!("{e}"))
}

/// An order of two lines with one refund of 19.99 on line 2 and 5.00 on line 1.
fn refunded() -> (Order, Refund) {
    let mut order = order(&[
        ("40127348123641", "SKU-A", 2),
        ("40127348123642", "SKU-B", 1),
    ]);
    let request = RefundRequest {
        reference: None,
        reason: RefundReason::CustomerReturn,
        note: Some("box arrived crushed".to_owned()),
        lines: vec![
            RefundLineRequest {
                line: line(2),
                quantity: 1,
                amount: Money::new(dec("19.99"), Currency::USD),
            },
            RefundLineRequest {
                line: line(1),
                quantity: 0,
                amount: Money::new(dec("5.00"), Currency::USD),
            },
        ],
    };
    let id = RefundId::from_uuid(Uuid::from_u128(0xabc));
    order
        .refund(&request, id, event(30), at("2024-06-20T10:00:00Z"))
        .unwrap_or_else(|e| panic!("{e}"));
    let refund = order
        .refund_by_id(id)
        .cloned()
        .unwrap_or_else(|| panic!("no refund"));
    (order, refund)
}

async fn refund_route(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(order_path("refund")))
        .respond_with(response)
        .mount(server)
        .await;
}

async fn sent_bodies(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == order_path("refund"))
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

#[tokio::test]
async fn a_refund_line_is_posted_with_its_stable_number_and_exact_amount() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    refund_route(
        &server,
        ResponseTemplate::new(201).set_body_json(json!({
            "id": "98765", "order_id": "109872189273617283", "state": "CREATED", "refund_info": {}
        })),
    )
    .await;
    let client = client(config(&server));
    let (order, refund) = refunded();
    for _ in 0..2 {
        let outcome = client
            .send_refund(&order, &refund, Some(line(2)), key())
            .await;
        assert_eq!(
            outcome,
            Outcome::Delivered {
                remote_ref: Some("98765".to_owned())
            }
        );
    }
    let bodies = sent_bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        bodies[0], bodies[1],
        "the same body, refund number included, on a retry"
    );
    let keys: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == order_path("refund"))
        .map(|r| {
            let value = r.headers.get("idempotency-key");
            value.and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
        })
        .collect();
    assert_eq!(keys, [key().to_string(), key().to_string()]);
    let number = refund.number_for_line(line(2));
    assert_eq!(number, format!("{}-2", Uuid::from_u128(0xabc).simple()));
    let sent: Value = serde_json::from_str(&bodies[0]).unwrap_or(Value::Null);
    assert_eq!(
        sent,
        json!({"refund_info": {
            "cp_refund_number": number,
            "mp_line_number": "40127348123642",
            "refund_reason": "customer_return",
            "currency": "USD",
            "refund_quantity": 1,
            "item_refund": 19.99,
            "item_tax_refund": 0,
            "shipping_refund": 0,
            "shipping_tax_refund": 0,
            "discount_refund": 0,
            "refund_notes": "box arrived crushed"
        }})
    );
    assert!(
        bodies[0].contains(r#""item_refund":19.99,"#),
        "{}",
        bodies[0]
    );
}

#[tokio::test]
async fn each_line_of_a_refund_has_its_own_number_and_keeps_its_amounts_scale() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    refund_route(
        &server,
        ResponseTemplate::new(201).set_body_json(json!({"id": 1})),
    )
    .await;
    let client = client(config(&server));
    let (order, refund) = refunded();
    let outcome = client
        .send_refund(&order, &refund, Some(line(1)), key())
        .await;
    assert_eq!(
        outcome,
        Outcome::Delivered {
            remote_ref: Some("1".to_owned())
        }
    );
    let bodies = sent_bodies(&server).await;
    assert!(
        bodies[0].contains(r#""item_refund":5.00,"#),
        "{}",
        bodies[0]
    );
    assert!(
        bodies[0].contains(r#""refund_quantity":0,"#),
        "{}",
        bodies[0]
    );
    assert!(bodies[0].contains(&refund.number_for_line(line(1))));
    assert_ne!(
        refund.number_for_line(line(1)),
        refund.number_for_line(line(2))
    );
}

#[tokio::test]
async fn a_duplicate_refund_number_refusal_means_the_line_was_delivered() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    refund_route(
        &server,
        ResponseTemplate::new(400)
            .set_body_json(json!({"code": "INVALID", "message": "Duplicate cp_refund_number"})),
    )
    .await;
    let (order, refund) = refunded();
    let outcome = client(config(&server))
        .send_refund(&order, &refund, Some(line(2)), key())
        .await;
    assert_eq!(outcome, Outcome::Delivered { remote_ref: None });
}

#[tokio::test]
async fn another_refusal_is_rejected_with_feedamps_text() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    refund_route(
        &server,
        ResponseTemplate::new(400).set_body_string("refund exceeds line total"),
    )
    .await;
    let (order, refund) = refunded();
    let outcome = client(config(&server))
        .send_refund(&order, &refund, Some(line(2)), key())
        .await;
    assert_eq!(
        outcome,
        Outcome::Rejected {
            reason: "400 Bad Request: refund exceeds line total".to_owned()
        }
    );
}

#[tokio::test]
async fn a_refund_without_a_line_is_refused_unless_it_has_only_one() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    refund_route(&server, ResponseTemplate::new(201)).await;
    let client = client(config(&server));
    let (order, refund) = refunded();
    let outcome = client.send_refund(&order, &refund, None, key()).await;
    assert!(matches!(outcome, Outcome::Rejected { .. }), "{outcome:?}");
    let outcome = client
        .send_refund(&order, &refund, Some(line(3)), key())
        .await;
    assert!(matches!(outcome, Outcome::Rejected { .. }), "{outcome:?}");
    assert_eq!(count(&server, &order_path("refund")).await, 0);
}

#[tokio::test]
async fn a_refund_of_a_single_line_may_leave_the_line_unnamed() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    refund_route(
        &server,
        ResponseTemplate::new(201).set_body_json(json!({"id": "r-1"})),
    )
    .await;
    let mut order = order(&[("40127348123641", "SKU-A", 2)]);
    let request = RefundRequest {
        reference: None,
        reason: RefundReason::Damaged,
        note: None,
        lines: vec![RefundLineRequest {
            line: line(1),
            quantity: 1,
            amount: Money::new(dec("7"), Currency::USD),
        }],
    };
    let id = RefundId::from_uuid(Uuid::from_u128(0xdef));
    order
        .refund(&request, id, event(31), at("2024-06-20T10:00:00Z"))
        .unwrap_or_else(|e| panic!("{e}"));
    let refund = order
        .refund_by_id(id)
        .cloned()
        .unwrap_or_else(|| panic!("no refund"));
    let outcome = client(config(&server))
        .send_refund(&order, &refund, None, key())
        .await;
    assert_eq!(
        outcome,
        Outcome::Delivered {
            remote_ref: Some("r-1".to_owned())
        }
    );
    let bodies = sent_bodies(&server).await;
    let sent: Value = serde_json::from_str(&bodies[0]).unwrap_or(Value::Null);
    assert_eq!(sent["refund_info"]["refund_reason"], json!("other"));
    assert_eq!(sent["refund_info"]["refund_notes"], json!(""));
    assert_eq!(sent["refund_info"]["item_refund"], json!(7));
    assert_eq!(
        sent["refund_info"]["cp_refund_number"],
        json!(refund.number_for_line(line(1)))
    );
}
