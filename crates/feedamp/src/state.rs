//! What FeedAMP says of one order now: its v1 single-order answer (`GET
//! /api/v1/orders/{id}`, reference §3.1 #3 and §4.2) read for the order's hold and a
//! cancellation at the marketplace, the rest ignored.
//!
//! Read in the documents: the answer wraps the order in an array under `order`; `paused` is
//! `0`/`1`; `state` is FeedAMP's state (`ORDERED`, `PLACED` seen) and `marketplace_state` the
//! marketplace's own free text (`AWAITING_SHIPMENT` seen). Inferred, since the documents do not
//! list the states (open question 7):
//! - `paused` is read as a hold from `0`/`1`, a boolean, or those as text; absent, null or
//!   anything else says nothing, and the order's hold is left as it is.
//! - The order is cancelled at the marketplace when `state` or `marketplace_state` reads
//!   `CANCELLED` or `CANCELED` (any case; spaces and hyphens as underscores). `CANCELLED` is
//!   in the sister Order Source API's state list; `CANCELED` is how several marketplaces spell
//!   it. Nothing else counts: a state such as `CANCELLATION_REQUESTED` is not a cancellation.
//!   orderbridge only re-reads orders it still has open, so a `CANCELLED` it reads cannot be
//!   the result of its own whole-order fulfil call (that call only goes once every unit is
//!   accounted for, and the order is then no longer open).
//! - v1 has no cancellation reason or time on the order. A `cancellation_reason` or
//!   `cancel_reason` (at the top or in `order_info`) holding one of FeedAMP's seven
//!   cancellation reasons is used if one appears; otherwise the reason is `other`. The time is
//!   when the answer was read. The states read are kept as the note, for the history.
//! - v1 keeps one state per order, so a marketplace cancelling some lines only is not
//!   visible here.

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{CancelReason, MarketplaceCancel};
use orderbridge_domain::ports::marketplace::clip_reason;
use orderbridge_domain::ports::source::RemoteState;
use orderbridge_domain::values::ExternalOrderId;
use serde_json::Value;

use crate::fields::text;

/// The longest piece of FeedAMP's text kept in the note, in characters.
const MAX_STATE_TEXT: usize = 100;

/// Reads a single-order answer about `id`, read at `now`.
///
/// # Errors
/// A message (never the content) when the body is not JSON holding one order, or holds
/// another order than `id`.
pub(crate) fn read_state(
    body: &[u8],
    id: &ExternalOrderId,
    now: DateTime<Utc>,
) -> Result<RemoteState, String> {
    let answer: Value = serde_json::from_slice(body).map_err(|error| {
        format!(
            "the order answer is not JSON (line {}, column {})",
            error.line(),
            error.column()
        )
    })?;
    let order = the_order(&answer, id)?;
    let state = text(order.get("state"));
    let marketplace_state = text(order.get("marketplace_state"));
    let cancelled = (state.as_deref().is_some_and(is_cancelled)
        || marketplace_state.as_deref().is_some_and(is_cancelled))
    .then(|| {
        let reason_text = reason_text(order);
        MarketplaceCancel {
            reason: reason_text
                .as_deref()
                .and_then(cancel_reason)
                .unwrap_or(CancelReason::Other),
            note: Some(note(
                state.as_deref(),
                marketplace_state.as_deref(),
                reason_text.as_deref(),
            )),
            at: now,
        }
    });
    Ok(RemoteState {
        on_hold: flag(order.get("paused")),
        cancelled,
    })
}

/// The order in the answer: `{"order": [Order]}` as documented, `{"order": Order}` as the
/// confirm answer has it, or a bare order. In an array, the one whose `id` is `id` (or the
/// only one).
fn the_order<'a>(answer: &'a Value, id: &ExternalOrderId) -> Result<&'a Value, String> {
    let order = match answer.get("order") {
        Some(Value::Array(orders)) => match orders.as_slice() {
            [only] => only,
            many => many
                .iter()
                .find(|o| text(o.get("id")).as_deref() == Some(id.as_str()))
                .ok_or_else(|| {
                    format!(
                        "the order answer holds {} orders, none of them {id}",
                        many.len()
                    )
                })?,
        },
        Some(order @ Value::Object(_)) => order,
        Some(_) => return Err("the order answer's `order` is not an order".to_owned()),
        None if answer.get("id").is_some() => answer,
        None => return Err("the order answer holds no `order`".to_owned()),
    };
    if !order.is_object() {
        return Err("the order answer's `order` is not an object".to_owned());
    }
    match text(order.get("id")) {
        Some(other) if other != id.as_str() => {
            Err(format!("the order answer is about order {other}, not {id}"))
        }
        _ => Ok(order),
    }
}

/// A `0`/`1` flag, a boolean, or either as text; `None` for anything else.
fn flag(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(flag) => Some(*flag),
        Value::Number(number) => match number.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
            "0" | "false" => Some(false),
            "1" | "true" => Some(true),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a state reads as cancelled: `CANCELLED` or `CANCELED`, in any case, with spaces
/// or hyphens for underscores around it.
fn is_cancelled(state: &str) -> bool {
    let normal: String = state
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    matches!(normal.trim_matches('_'), "CANCELLED" | "CANCELED")
}

/// A cancellation reason the order carries, if any (none is documented for v1).
fn reason_text(order: &Value) -> Option<String> {
    let info = order.get("order_info");
    ["cancellation_reason", "cancel_reason"]
        .iter()
        .find_map(|key| text(order.get(key)).or_else(|| text(info?.get(key))))
}

/// The domain's reason for one of FeedAMP's seven cancellation reasons (reference §5.2).
fn cancel_reason(text: &str) -> Option<CancelReason> {
    match text.trim().to_ascii_lowercase().as_str() {
        "customer_cancelled" => Some(CancelReason::Customer),
        "unable_to_ship" => Some(CancelReason::UnableToShip),
        "out_of_stock" => Some(CancelReason::OutOfStock),
        "price_error" => Some(CancelReason::PriceError),
        "tax_error" => Some(CancelReason::TaxError),
        "shipping_price_error" => Some(CancelReason::ShippingPriceError),
        "other" => Some(CancelReason::Other),
        _ => None,
    }
}

/// The history's note: FeedAMP's words for the cancellation, each clipped.
fn note(state: Option<&str>, marketplace_state: Option<&str>, reason: Option<&str>) -> String {
    let clip = |text: &str| clip_reason(text, MAX_STATE_TEXT);
    let mut parts = vec![format!("FeedAMP state {}", clip(state.unwrap_or("(none)")))];
    if let Some(marketplace_state) = marketplace_state {
        parts.push(format!("marketplace state {}", clip(marketplace_state)));
    }
    if let Some(reason) = reason {
        parts.push(format!("reason {}", clip(reason)));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use orderbridge_domain::order::CancelReason;
    use orderbridge_domain::values::ExternalOrderId;
    use serde_json::{Value, json};

    use super::{flag, is_cancelled, read_state};

    const ID: &str = "109872189273617283";

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_714_478_400, 0).unwrap_or_default()
    }

    fn read(body: &Value) -> Result<orderbridge_domain::ports::source::RemoteState, String> {
        let id = ExternalOrderId::parse(ID).unwrap_or_else(|e| panic!("{e}"));
        read_state(body.to_string().as_bytes(), &id, now())
    }

    #[test]
    fn paused_reads_from_numbers_booleans_and_their_text() {
        for (value, expected) in [
            (json!(1), Some(true)),
            (json!(0), Some(false)),
            (json!(true), Some(true)),
            (json!(false), Some(false)),
            (json!("1"), Some(true)),
            (json!(" 0 "), Some(false)),
            (json!("TRUE"), Some(true)),
            (json!(2), None),
            (json!("maybe"), None),
            (json!(null), None),
            (json!({}), None),
        ] {
            assert_eq!(flag(Some(&value)), expected, "{value}");
        }
        assert_eq!(flag(None), None);
    }

    #[test]
    fn only_cancelled_in_either_spelling_reads_as_cancelled() {
        for state in [
            "CANCELLED",
            "cancelled",
            "Canceled",
            " CANCELED ",
            "_cancelled_",
        ] {
            assert!(is_cancelled(state), "{state}");
        }
        for state in [
            "PLACED",
            "ORDERED",
            "IN_PROGRESS",
            "SHIPPED",
            "CANCELLATION_REQUESTED",
            "CancelPending",
            "NOT_CANCELLED",
            "",
        ] {
            assert!(!is_cancelled(state), "{state}");
        }
    }

    #[test]
    fn an_open_paused_order_is_held_and_not_cancelled() {
        let body = json!({"order": [{"id": ID, "state": "PLACED", "marketplace_state": "AWAITING_SHIPMENT", "paused": 1, "order_info": {}}]});
        let state = read(&body).unwrap();
        assert_eq!((state.on_hold, state.cancelled), (Some(true), None));
    }

    #[test]
    fn a_cancelled_state_is_a_cancellation_with_the_states_as_its_note() {
        let body = json!({"order": [{"id": ID, "state": "CANCELLED", "marketplace_state": "Canceled", "paused": 0}]});
        let state = read(&body).unwrap();
        assert_eq!(state.on_hold, Some(false));
        let cancel = state.cancelled.unwrap();
        assert_eq!(cancel.reason, CancelReason::Other);
        assert_eq!(cancel.at, now());
        assert_eq!(
            cancel.note.as_deref(),
            Some("FeedAMP state CANCELLED, marketplace state Canceled")
        );
        // The marketplace's state alone is enough, and a known reason is kept.
        let body = json!({"order": {"id": ID, "state": "PLACED", "marketplace_state": "CANCELED", "order_info": {"cancellation_reason": "customer_cancelled"}}});
        let cancel = read(&body).unwrap().cancelled.unwrap();
        assert_eq!(cancel.reason, CancelReason::Customer);
        assert_eq!(
            cancel.note.as_deref(),
            Some("FeedAMP state PLACED, marketplace state CANCELED, reason customer_cancelled")
        );
        let body = json!({"id": ID, "state": "CANCELLED", "cancel_reason": "buyer changed mind"});
        let cancel = read(&body).unwrap().cancelled.unwrap();
        assert_eq!(
            cancel.reason,
            CancelReason::Other,
            "an unknown reason is other"
        );
    }

    #[test]
    fn a_missing_paused_says_nothing_of_the_hold() {
        let body = json!({"order": [{"id": ID, "state": "PLACED"}]});
        assert_eq!(read(&body).unwrap().on_hold, None);
    }

    #[test]
    fn an_answer_about_another_order_or_without_one_is_refused() {
        for (body, expected) in [
            (
                json!({"order": [{"id": "1", "state": "CANCELLED"}]}),
                "the order answer is about order 1, not 109872189273617283",
            ),
            (
                json!({"order": []}),
                "the order answer holds 0 orders, none of them 109872189273617283",
            ),
            (
                json!({"order": "x"}),
                "the order answer's `order` is not an order",
            ),
            (json!({"orders": []}), "the order answer holds no `order`"),
            (
                json!({"order": [1]}),
                "the order answer's `order` is not an object",
            ),
        ] {
            assert_eq!(read(&body).unwrap_err(), expected, "{body}");
        }
        let id = ExternalOrderId::parse(ID).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            read_state(b"<html>", &id, now())
                .unwrap_err()
                .starts_with("the order answer is not JSON")
        );
    }

    #[test]
    fn of_several_orders_the_one_asked_for_is_read() {
        let body = json!({"order": [
            {"id": "1", "state": "CANCELLED", "paused": 0},
            {"id": ID, "state": "PLACED", "paused": 1}
        ]});
        let state = read(&body).unwrap();
        assert_eq!((state.on_hold, state.cancelled), (Some(true), None));
    }
}
