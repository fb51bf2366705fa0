//! FeedAMP's outbound wire formats: the whole-order fulfil body, the one-line refund body, and
//! the fields read back from their answers. Private to the crate; each body's shape lives in
//! one function ([`fulfil_body`], [`refund_body`]).
//!
//! Neither request body is in the stored FeedAMP pages. The fulfil body follows the reading of
//! design section 4 (the webhook SDK's `OrderLineFulfillment` and `OrderLineCancellation`
//! schemas, which share v1's cancellation reasons word for word); the refund body is the
//! `refund_info` object of v1's documented 201 answer. Both must be confirmed with Feedonomics.

use std::str::FromStr;

use chrono::SecondsFormat;
use orderbridge_domain::order::{
    CancelOrigin, CancelReason, LineItem, Order, Refund, RefundReason,
};
use orderbridge_domain::values::LineNo;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Number, Value};

/// `PUT /api/v1/orders/{id}/fulfill`: every line of the order with all its shipments and
/// cancellations, replacing whatever FeedAMP held.
#[derive(Debug, Serialize)]
pub(crate) struct FulfilBody {
    order_lines: Vec<FulfilLine>,
}

#[derive(Debug, Serialize)]
struct FulfilLine {
    mp_line_number: String,
    fulfillments: Vec<LineShipment>,
    cancellations: Vec<LineCancellation>,
}

#[derive(Debug, Serialize)]
struct LineShipment {
    quantity_shipped: u64,
    shipped_date: String,
    carrier: String,
    tracking_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracking_url: Option<String>,
}

#[derive(Debug, Serialize)]
struct LineCancellation {
    quantity_cancelled: u64,
    cancellation_reason: &'static str,
}

/// FeedAMP's line id for an order line: its `mp_line_number` as received, or, for a line that
/// came without one, the line's position as text.
pub(crate) fn mp_line_number(line: &LineItem) -> String {
    line.external_line_id()
        .map_or_else(|| line.no().to_string(), str::to_owned)
}

/// FeedAMP's cancellation reason for a domain reason. FeedAMP has no value for fraud or a
/// declined payment, so those go as `other`, which FeedAMP discourages (some marketplaces
/// refuse it) but which is the only honest choice.
pub(crate) fn cancellation_reason(reason: CancelReason) -> &'static str {
    match reason {
        CancelReason::Customer => "customer_cancelled",
        CancelReason::OutOfStock => "out_of_stock",
        CancelReason::UnableToShip => "unable_to_ship",
        CancelReason::PriceError => "price_error",
        CancelReason::TaxError => "tax_error",
        CancelReason::ShippingPriceError => "shipping_price_error",
        CancelReason::Fraud | CancelReason::PaymentDeclined | CancelReason::Other => "other",
    }
}

/// FeedAMP's refund reason for a domain reason: only `customer_return` and
/// `customer_cancelled` are seen in FeedAMP's samples; the rest go as `other`.
pub(crate) fn refund_reason(reason: RefundReason) -> &'static str {
    match reason {
        RefundReason::CustomerReturn => "customer_return",
        RefundReason::CustomerCancelled => "customer_cancelled",
        RefundReason::Damaged | RefundReason::PriceAdjustment | RefundReason::Other => "other",
    }
}

/// Builds the fulfil body from the order's full current state: one entry per order line, in
/// line order, each with one shipment per fulfillment touching the line and one cancellation
/// per cancellation touching it (lines with neither carry empty lists).
///
/// A shipment without a carrier takes `default_carrier`. Without either the body is refused
/// (`Err` naming the tracking number): FeedAMP requires a carrier and locks the order once it
/// is complete, so a made-up carrier could never be corrected. The warehouse API requires a
/// carrier on FeedAMP orders (`requires_carrier`), so this only catches older records.
pub(crate) fn fulfil_body(
    order: &Order,
    default_carrier: Option<&str>,
) -> Result<FulfilBody, String> {
    let mut order_lines = Vec::with_capacity(order.lines().len());
    for line in order.lines() {
        let mut fulfillments = Vec::new();
        for fulfillment in order.fulfillments() {
            let quantity = units_on(line.no(), fulfillment.lines());
            if quantity == 0 {
                continue;
            }
            let carrier = match (fulfillment.carrier(), default_carrier) {
                (Some(carrier), _) => carrier.as_str().to_owned(),
                (None, Some(default)) => default.to_owned(),
                (None, None) => {
                    return Err(format!(
                        "the shipment with tracking number {} has no carrier and no \
                         default_carrier is configured; FeedAMP requires one",
                        fulfillment.tracking_number()
                    ));
                }
            };
            fulfillments.push(LineShipment {
                quantity_shipped: quantity,
                shipped_date: fulfillment
                    .shipped_at()
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
                carrier,
                tracking_number: fulfillment.tracking_number().as_str().to_owned(),
                tracking_url: fulfillment.tracking_url().map(|u| u.as_str().to_owned()),
            });
        }
        // Cancellations the marketplace made are its own news: never reported back.
        let cancellations = order
            .cancellations()
            .iter()
            .filter(|cancellation| cancellation.origin() == CancelOrigin::Warehouse)
            .filter_map(|cancellation| {
                let quantity = units_on(line.no(), cancellation.lines());
                (quantity > 0).then(|| LineCancellation {
                    quantity_cancelled: quantity,
                    cancellation_reason: cancellation_reason(cancellation.reason()),
                })
            })
            .collect();
        order_lines.push(FulfilLine {
            mp_line_number: mp_line_number(line),
            fulfillments,
            cancellations,
        });
    }
    Ok(FulfilBody { order_lines })
}

/// Units a fulfillment's or cancellation's allocations put on `line`.
fn units_on(line: LineNo, allocations: &[orderbridge_domain::order::LineAllocation]) -> u64 {
    allocations
        .iter()
        .filter(|a| a.line == line)
        .map(|a| u64::from(a.quantity.get()))
        .sum()
}

/// `POST /api/v1/orders/{id}/refund`: one order line's refund.
#[derive(Debug, Serialize)]
pub(crate) struct RefundBody {
    refund_info: RefundInfo,
}

#[derive(Debug, Serialize)]
struct RefundInfo {
    cp_refund_number: String,
    mp_line_number: String,
    refund_reason: &'static str,
    currency: String,
    refund_quantity: u32,
    item_refund: Number,
    item_tax_refund: Number,
    shipping_refund: Number,
    shipping_tax_refund: Number,
    discount_refund: Number,
    refund_notes: String,
}

/// Builds the refund body for line `line` of `refund`: its stable refund number
/// ([`Refund::number_for_line`]), the line's `mp_line_number`, the mapped reason, the order's
/// currency, the units and the whole amount as `item_refund` (orderbridge records one amount
/// per line, so the tax, shipping and discount parts are sent as 0).
///
/// `Err` when the refund has no such line or the order no such line.
pub(crate) fn refund_body(
    order: &Order,
    refund: &Refund,
    line: LineNo,
) -> Result<RefundBody, String> {
    let refunded = refund
        .lines()
        .iter()
        .find(|l| l.line == line)
        .ok_or_else(|| format!("refund {} has no line {line}", refund.id()))?;
    let order_line = order
        .line(line)
        .ok_or_else(|| format!("order {} has no line {line}", order.id()))?;
    let zero = Number::from(0_u8);
    Ok(RefundBody {
        refund_info: RefundInfo {
            cp_refund_number: refund.number_for_line(line),
            mp_line_number: mp_line_number(order_line),
            refund_reason: refund_reason(refund.reason()),
            currency: order.currency().as_str().to_owned(),
            refund_quantity: refunded.quantity,
            item_refund: json_number(refunded.amount)?,
            item_tax_refund: zero.clone(),
            shipping_refund: zero.clone(),
            shipping_tax_refund: zero.clone(),
            discount_refund: zero,
            refund_notes: refund.note().unwrap_or_default().to_owned(),
        },
    })
}

/// A decimal as a JSON number with exactly its text (`19.99`, `5.00`), never through f64.
pub(crate) fn json_number(amount: Decimal) -> Result<Number, String> {
    Number::from_str(&amount.to_string())
        .map_err(|_| format!("amount {amount} cannot be written as a JSON number"))
}

/// A text or number field of a JSON object, as text.
pub(crate) fn text_at(body: &Value, path: &[&str]) -> Option<String> {
    let mut value = body;
    for key in path {
        value = value.get(key)?;
    }
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The response body as JSON, or `Null` when it is not JSON.
pub(crate) fn response_json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use orderbridge_domain::order::{CancelReason, RefundReason};
    use rust_decimal::Decimal;
    use serde_json::json;

    use super::{cancellation_reason, json_number, refund_reason, text_at};

    #[test]
    fn every_cancel_reason_maps_to_feedamps_list() {
        let allowed = [
            "customer_cancelled",
            "unable_to_ship",
            "out_of_stock",
            "price_error",
            "tax_error",
            "shipping_price_error",
            "other",
        ];
        for reason in CancelReason::ALL {
            assert!(allowed.contains(&cancellation_reason(reason)), "{reason:?}");
        }
        assert_eq!(
            cancellation_reason(CancelReason::Customer),
            "customer_cancelled"
        );
        assert_eq!(cancellation_reason(CancelReason::Fraud), "other");
        assert_eq!(cancellation_reason(CancelReason::PaymentDeclined), "other");
    }

    #[test]
    fn refund_reasons_map_to_the_values_feedamp_shows() {
        assert_eq!(
            refund_reason(RefundReason::CustomerReturn),
            "customer_return"
        );
        assert_eq!(
            refund_reason(RefundReason::CustomerCancelled),
            "customer_cancelled"
        );
        assert_eq!(refund_reason(RefundReason::Damaged), "other");
        assert_eq!(refund_reason(RefundReason::PriceAdjustment), "other");
        assert_eq!(refund_reason(RefundReason::Other), "other");
    }

    #[test]
    fn amounts_are_written_as_json_numbers_with_their_exact_text() {
        for text in [
            "0.1",
            "19.99",
            "5.00",
            "200",
            "0.0000000001",
            "79228162514264337593543950335",
        ] {
            let amount = Decimal::from_str(text).unwrap_or_default();
            let written = json_number(amount).map(|n| json!({ "a": n }).to_string());
            assert_eq!(written, Ok(format!("{{\"a\":{text}}}")));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_amount_is_written_and_read_back_with_the_same_text(
            mantissa in proptest::num::i64::ANY,
            scale in 0_u32..=12,
        ) {
            let amount = Decimal::new(mantissa, scale);
            let written = json_number(amount).map(|n| json!({ "a": n }).to_string());
            proptest::prop_assert_eq!(&written, &Ok(format!("{{\"a\":{amount}}}")));
            let value: serde_json::Value =
                serde_json::from_str(written.as_deref().unwrap_or_default()).unwrap_or_default();
            let read = crate::fields::money(value.get("a"), "a");
            proptest::prop_assert_eq!(
                read.map(|d| d.map(|d| d.to_string())),
                Ok(Some(amount.to_string()))
            );
        }
    }

    #[test]
    fn text_is_read_from_nested_fields_as_text_or_number() {
        let body = json!({"order": {"cp_order_number": 1234, "id": " 9 ", "state": ""}});
        assert_eq!(
            text_at(&body, &["order", "cp_order_number"]),
            Some("1234".to_owned())
        );
        assert_eq!(text_at(&body, &["order", "id"]), Some("9".to_owned()));
        assert_eq!(text_at(&body, &["order", "state"]), None);
        assert_eq!(text_at(&body, &["missing"]), None);
    }
}
