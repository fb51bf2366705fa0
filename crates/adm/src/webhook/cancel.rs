//! ADM's cancellations (design section 11, our reading): the `Order` resource carries
//! `cancel_reason` (customer, fraud, inventory, declined, other) and `cancelled_at`. An order
//! webhook with `cancelled_at` set, on the create route or on the `orders/cancelled` route beside
//! it, means ADM cancelled the order: every unit not shipped is cancelled by the marketplace.

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{CancelReason, MarketplaceCancel};
use orderbridge_domain::values::{CleanText, ExternalOrderId};
use serde_json::Value;

use crate::model::order_id_json;
use crate::webhook::WebhookRejection;
use crate::webhook::convert::external_id;
use crate::webhook::dto::{self, OrderDto};
use crate::webhook::tolerant::{self, Read};

/// The longest part of ADM's own reason kept in the history.
const MAX_REASON_CHARS: usize = 100;

/// ADM's `cancel_reason`, mapped: anything else (or none) is `other`, its text kept in the note.
fn reason(value: Option<&Value>) -> (CancelReason, Option<String>) {
    let Read::Value(shown) = tolerant::clean(value, CleanText::line(MAX_REASON_CHARS)) else {
        return (
            CancelReason::Other,
            Some("ADM gave no cancel_reason".to_owned()),
        );
    };
    let reason = match shown.to_ascii_lowercase().as_str() {
        "customer" => CancelReason::Customer,
        "fraud" => CancelReason::Fraud,
        "inventory" => CancelReason::OutOfStock,
        "declined" => CancelReason::PaymentDeclined,
        _ => CancelReason::Other,
    };
    (reason, Some(format!("ADM cancel_reason: {shown}")))
}

/// The cancellation an order body states, when its `cancelled_at` is set: at that time, or at
/// `received_at` when it cannot be read (the order is flagged for it).
pub(super) fn stated(dto: &OrderDto, received_at: DateTime<Utc>) -> Option<MarketplaceCancel> {
    let at = match tolerant::time(dto.cancelled_at.as_ref()) {
        Read::Absent => return None,
        Read::Value(at) => at,
        Read::Unreadable => received_at,
    };
    let (reason, note) = reason(dto.cancel_reason.as_ref());
    Some(MarketplaceCancel { reason, note, at })
}

/// Reads a body of the `orders/cancelled` route: the order's `id` (required) and its
/// cancellation (`cancelled_at`, or the time received when it is missing or unreadable: the
/// route itself says the order is cancelled).
///
/// # Errors
/// [`WebhookRejection`] for a body that is not a JSON object or has no usable `id`.
pub fn parse_cancellation(
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<(ExternalOrderId, MarketplaceCancel), WebhookRejection> {
    let dto = dto::deserialize(dto::utf8(body)?)?;
    let id = external_id(dto.id.as_ref())?;
    let cancel = stated(&dto, received_at).unwrap_or_else(|| {
        let (reason, note) = reason(dto.cancel_reason.as_ref());
        MarketplaceCancel {
            reason,
            note,
            at: received_at,
        }
    });
    Ok((id, cancel))
}

/// The `200` answer to a cancellation: `{"order_id", "status": "cancelled"}`, the order id as
/// in the create answer.
#[must_use]
pub fn cancelled_body(id: &ExternalOrderId) -> Value {
    serde_json::json!({ "order_id": order_id_json(id), "status": "cancelled" })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use orderbridge_domain::order::CancelReason;
    use serde_json::{Value, json};

    use super::{parse_cancellation, reason};

    fn received() -> DateTime<Utc> {
        "2024-05-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn each_adm_reason_maps_and_anything_else_is_other_with_its_text_kept() {
        for (given, expected) in [
            ("customer", CancelReason::Customer),
            ("fraud", CancelReason::Fraud),
            ("inventory", CancelReason::OutOfStock),
            ("declined", CancelReason::PaymentDeclined),
            ("other", CancelReason::Other),
            ("Customer", CancelReason::Customer),
            ("changed mind", CancelReason::Other),
        ] {
            let (mapped, note) = reason(Some(&json!(given)));
            assert_eq!(mapped, expected, "{given}");
            assert_eq!(note.unwrap(), format!("ADM cancel_reason: {given}"));
        }
        let (mapped, note) = reason(Some(&json!("bad\u{0}\nreason")));
        assert_eq!(
            (mapped, note.unwrap()),
            (
                CancelReason::Other,
                "ADM cancel_reason: bad reason".to_owned()
            )
        );
        let (mapped, _) = reason(Some(&json!("\u{0}fraud\u{1b}")));
        assert_eq!(mapped, CancelReason::Fraud, "read once cleaned");
        assert_eq!(reason(Some(&json!("\u{0}"))).0, CancelReason::Other);
        for absent in [None, Some(&Value::Null), Some(&json!({"x": 1}))] {
            assert_eq!(reason(absent).0, CancelReason::Other);
        }
        let long = "x".repeat(500);
        let (_, note) = reason(Some(&json!(long)));
        assert!(note.unwrap().chars().count() <= 100 + "ADM cancel_reason: ".len());
    }

    #[test]
    fn a_cancellation_needs_an_id_and_takes_the_time_received_when_it_has_none() {
        let (id, cancel) = parse_cancellation(br#"{"id": 42}"#, received()).unwrap();
        assert_eq!((id.as_str(), cancel.at), ("42", received()));
        let (_, cancel) = parse_cancellation(
            br#"{"id": "42", "cancelled_at": "2024-04-30T10:00:00+02:00"}"#,
            received(),
        )
        .unwrap();
        assert_eq!(
            cancel.at,
            "2024-04-30T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let (_, cancel) =
            parse_cancellation(br#"{"id": "42", "cancelled_at": "soon"}"#, received()).unwrap();
        assert_eq!(cancel.at, received(), "unreadable: the time received");
        let refused = parse_cancellation(br#"{"cancelled_at": "2024-04-30"}"#, received());
        assert!(refused.is_err_and(|r| r.message.contains("id")));
    }
}
