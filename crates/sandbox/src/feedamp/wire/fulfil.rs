//! The v1 fulfil body (reference §5.2, inferred shape), read straight from the JSON: the
//! checks that need no order, and its normal form, which decides whether a body repeats the
//! one that locked an order.
//!
//! ```json
//! {"order_lines": [{"mp_line_number": "1",
//!   "fulfillments": [{"quantity_shipped": 1, "shipped_date": "2018-05-10T18:17:04+00:00",
//!                     "carrier": "UPS", "tracking_number": "1Z..", "tracking_url": "https://.."}],
//!   "cancellations": [{"quantity_cancelled": 1, "cancellation_reason": "out_of_stock"}]}]}
//! ```

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// FeedAMP v1's cancellation reasons (reference §5.2).
pub const CANCELLATION_REASONS: [&str; 7] = [
    "customer_cancelled",
    "unable_to_ship",
    "out_of_stock",
    "price_error",
    "tax_error",
    "shipping_price_error",
    "other",
];

const BODY_FIELDS: [&str; 1] = ["order_lines"];
const LINE_FIELDS: [&str; 3] = ["mp_line_number", "fulfillments", "cancellations"];
const SHIPMENT_FIELDS: [&str; 5] = [
    "quantity_shipped",
    "shipped_date",
    "carrier",
    "tracking_number",
    "tracking_url",
];
const CANCELLATION_FIELDS: [&str; 2] = ["quantity_cancelled", "cancellation_reason"];

/// One shipment of a line, normalised: the date as UTC text (or a bare date), text trimmed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Shipment {
    quantity: u64,
    shipped_date: String,
    carrier: String,
    tracking_number: String,
    tracking_url: Option<String>,
}

/// One cancellation of a line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cancellation {
    quantity: u64,
    reason: String,
}

/// What a body says about one line, entries sorted so that their order does not matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineFulfilment {
    shipments: Vec<Shipment>,
    cancellations: Vec<Cancellation>,
}

impl LineFulfilment {
    pub(crate) fn shipped(&self) -> u64 {
        self.shipments.iter().map(|s| s.quantity).sum()
    }

    pub(crate) fn cancelled(&self) -> u64 {
        self.cancellations.iter().map(|c| c.quantity).sum()
    }
}

/// A fulfil body that passed the checks needing no order: the full fulfilment state it sets,
/// by `mp_line_number` (lines with nothing left out), every line it names, and the body as
/// sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FulfilBody {
    pub(crate) lines: BTreeMap<String, LineFulfilment>,
    pub(crate) mentioned: BTreeSet<String>,
    pub(crate) body: Value,
}

/// Reads a fulfil body; `Err` is the `error` text of the `400`.
pub(crate) fn parse(bytes: &[u8]) -> Result<FulfilBody, String> {
    let body: Value = serde_json::from_slice(bytes)
        .map_err(|error| format!("the body is not valid JSON: {error}"))?;
    let Value::Object(object) = &body else {
        return Err("the body must be a JSON object with order_lines".to_owned());
    };
    no_unknown_fields(object, &BODY_FIELDS, "the body")?;
    let Some(Value::Array(entries)) = object.get("order_lines") else {
        return Err("order_lines is required: an array of lines".to_owned());
    };
    if entries.is_empty() {
        return Err(
            "order_lines is empty: send every line's fulfillments and cancellations".to_owned(),
        );
    }
    let mut lines = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("order_lines[{index}]");
        let Value::Object(entry) = entry else {
            return Err(format!("{at} must be an object"));
        };
        no_unknown_fields(entry, &LINE_FIELDS, &at)?;
        let number = match entry.get("mp_line_number") {
            Some(Value::String(number)) if !number.trim().is_empty() => number.clone(),
            _ => {
                return Err(format!(
                    "{at}.mp_line_number is required: a non-empty string"
                ));
            }
        };
        let mut line = LineFulfilment::default();
        for (index, item) in array(entry, "fulfillments", &at)?.iter().enumerate() {
            line.shipments
                .push(shipment(item, &format!("{at}.fulfillments[{index}]"))?);
        }
        for (index, item) in array(entry, "cancellations", &at)?.iter().enumerate() {
            line.cancellations
                .push(cancellation(item, &format!("{at}.cancellations[{index}]"))?);
        }
        line.shipments.sort();
        line.cancellations.sort();
        if lines.insert(number.clone(), line).is_some() {
            return Err(format!(
                "mp_line_number {number:?} appears more than once in order_lines"
            ));
        }
    }
    let mentioned = lines.keys().cloned().collect();
    lines.retain(|_, line| line.shipped() + line.cancelled() > 0);
    Ok(FulfilBody {
        lines,
        mentioned,
        body,
    })
}

fn no_unknown_fields(object: &Map<String, Value>, known: &[&str], at: &str) -> Result<(), String> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(format!(
            "{at} has an unknown field `{key}` (expected: {})",
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// An optional array field (absent or null: empty).
fn array<'a>(object: &'a Map<String, Value>, field: &str, at: &str) -> Result<&'a [Value], String> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("{at}.{field} must be an array")),
    }
}

fn quantity(object: &Map<String, Value>, field: &str, at: &str) -> Result<u64, String> {
    match object.get(field).and_then(Value::as_u64) {
        Some(quantity) if quantity >= 1 => Ok(quantity),
        _ => Err(format!("{at}.{field} must be a whole number >= 1")),
    }
}

fn text(object: &Map<String, Value>, field: &str, at: &str) -> Result<String, String> {
    match object.get(field) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
        _ => Err(format!("{at}.{field} is required: a non-empty string")),
    }
}

fn shipment(item: &Value, at: &str) -> Result<Shipment, String> {
    let Value::Object(object) = item else {
        return Err(format!("{at} must be an object"));
    };
    no_unknown_fields(object, &SHIPMENT_FIELDS, at)?;
    let quantity = quantity(object, "quantity_shipped", at)?;
    let date = text(object, "shipped_date", at)?;
    let shipped_date = iso_8601(&date).ok_or_else(|| {
        format!("{at}.shipped_date {date:?} is not an ISO 8601 date or date-time")
    })?;
    let tracking_url = match object.get("tracking_url") {
        None | Some(Value::Null) => None,
        Some(Value::String(url)) if is_http_url(url.trim()) => Some(url.trim().to_owned()),
        Some(_) => return Err(format!("{at}.tracking_url must be an http or https URL")),
    };
    Ok(Shipment {
        quantity,
        shipped_date,
        carrier: text(object, "carrier", at)?,
        tracking_number: text(object, "tracking_number", at)?,
        tracking_url,
    })
}

fn cancellation(item: &Value, at: &str) -> Result<Cancellation, String> {
    let Value::Object(object) = item else {
        return Err(format!("{at} must be an object"));
    };
    no_unknown_fields(object, &CANCELLATION_FIELDS, at)?;
    let quantity = quantity(object, "quantity_cancelled", at)?;
    let reason = match object.get("cancellation_reason") {
        Some(Value::String(reason)) if CANCELLATION_REASONS.contains(&reason.as_str()) => {
            reason.clone()
        }
        other => {
            return Err(format!(
                "{at}.cancellation_reason {} is not one of {}",
                other.map_or_else(|| "(missing)".to_owned(), Value::to_string),
                CANCELLATION_REASONS.join(", ")
            ));
        }
    };
    Ok(Cancellation { quantity, reason })
}

fn is_http_url(url: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        url.len() > scheme.len()
            && url
                .get(..scheme.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    })
}

/// An ISO 8601 date-time (with an offset, or without as local time) or a bare date, in a
/// normal form: UTC RFC 3339 for an instant, the text for the others.
fn iso_8601(text: &str) -> Option<String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(
            at.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        );
    }
    if let Ok(at) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(
            at.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        );
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(at.to_string());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|date| date.to_string())
}

#[cfg(test)]
mod tests {
    use super::{iso_8601, parse};

    #[test]
    fn dates_in_iso_8601_forms_are_read_and_others_refused() {
        for text in [
            "2018-05-10T18:17:04+00:00",
            "2018-05-10T18:17:04Z",
            "2018-05-10T18:17:04.123-04:00",
            "2018-05-10T18:17:04+0000",
            "2018-05-10T18:17:04",
            "2018-05-10",
        ] {
            assert!(iso_8601(text).is_some(), "{text}");
        }
        for text in [
            "10/05/2018",
            "2018-13-01",
            "yesterday",
            "2018-05-10T25:00:00Z",
        ] {
            assert!(iso_8601(text).is_none(), "{text}");
        }
        assert_eq!(
            iso_8601("2018-05-10T20:17:04+02:00"),
            iso_8601("2018-05-10T18:17:04Z")
        );
    }

    #[test]
    fn the_same_state_in_another_order_reads_the_same() {
        let a = parse(
            br#"{"order_lines": [
                {"mp_line_number": "1", "fulfillments": [
                    {"quantity_shipped": 1, "shipped_date": "2024-01-02", "carrier": "UPS", "tracking_number": "A"},
                    {"quantity_shipped": 1, "shipped_date": "2024-01-02", "carrier": "UPS", "tracking_number": "B"}]},
                {"mp_line_number": "2", "cancellations": [{"quantity_cancelled": 1, "cancellation_reason": "other"}]}]}"#,
        )
        .unwrap();
        let b = parse(
            br#"{"order_lines": [
                {"mp_line_number": "2", "fulfillments": [], "cancellations": [{"cancellation_reason": "other", "quantity_cancelled": 1}]},
                {"mp_line_number": "1", "fulfillments": [
                    {"quantity_shipped": 1, "shipped_date": "2024-01-02", "carrier": "UPS", "tracking_number": "B"},
                    {"quantity_shipped": 1, "shipped_date": "2024-01-02", "carrier": "UPS", "tracking_number": "A"}]}]}"#,
        )
        .unwrap();
        assert_eq!(a.lines, b.lines);
    }
}
