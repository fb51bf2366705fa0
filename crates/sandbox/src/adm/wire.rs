//! The fake ADM's JSON: the Create Fulfillment call as seed 002 documents it, read straight
//! from the JSON (no shared types with the ADM adapter), with the body's checks and the fixed
//! answer bodies; its dates; and its request log entries on the control path.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::kit::log::{RequestLog, millis};

/// A fixed `{"error", "message"}` body of the seeds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorText {
    pub(crate) error: &'static str,
    pub(crate) message: &'static str,
}

/// `400` for any problem with the line items (seed 002's own words).
pub(crate) const INVALID_SKU_OR_QUANTITY: ErrorText = ErrorText {
    error: "Invalid SKU or Quantity",
    message: "One or more line items have an invalid SKU or quantity specified.",
};

/// `401` for a missing or wrong key (seed 001's words; seed 002 shows none).
pub(crate) const UNAUTHORIZED: ErrorText = ErrorText {
    error: "Unauthorized Request",
    message: "The key provided is invalid.",
};

/// `403` for a key ADM knows but no longer lets in (not in the seeds; worded like the `401`).
pub(crate) const FORBIDDEN: ErrorText = ErrorText {
    error: "Forbidden Request",
    message: "The key provided is not allowed to make this request.",
};

/// `404` for an order ADM does not know.
pub(crate) const ORDER_NOT_FOUND: ErrorText = ErrorText {
    error: "Order Not Found",
    message: "The order with the specified ID was not found.",
};

/// `500`.
pub(crate) const SERVER_ERROR: ErrorText = ErrorText {
    error: "Server Error",
    message: "An error occurred on our server. Please try again later.",
};

/// `429` (not in the seeds: ADM documents no rate limit; the sandbox can pretend it has one).
pub(crate) const TOO_MANY_REQUESTS: ErrorText = ErrorText {
    error: "Too Many Requests",
    message: "Too many requests. Please retry after the time given in Retry-After.",
};

/// The `400` title for a body that is not JSON.
const MALFORMED_JSON: &str = "Malformed JSON";
/// The `400` title for other invalid fields; the message names the field.
const INVALID_REQUEST: &str = "Invalid Request";

/// The fields a Create Fulfillment body may have (seed 002's example plus `tracking_url`).
const BODY_FIELDS: [&str; 4] = ["order_id", "line_items", "tracking_number", "tracking_url"];
/// The fields a line item may have.
const LINE_FIELDS: [&str; 2] = ["sku", "quantity"];

/// Why a request is refused: status, title and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) message: String,
}

impl Rejection {
    pub(crate) fn fixed(status: StatusCode, text: ErrorText) -> Self {
        Self {
            status,
            error: text.error,
            message: text.message.to_owned(),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: INVALID_REQUEST,
            message: message.into(),
        }
    }

    pub(crate) fn invalid_lines() -> Self {
        Self::fixed(StatusCode::BAD_REQUEST, INVALID_SKU_OR_QUANTITY)
    }
}

/// A Create Fulfillment body that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FulfillmentRequest {
    /// `order_id` exactly as sent (integer or string), echoed in the answer.
    pub(crate) order_id_sent: Value,
    /// `order_id` as text: a string as is, an integer in decimal.
    pub(crate) order_id: String,
    /// `line_items` in the order sent.
    pub(crate) lines: Vec<(String, u64)>,
    pub(crate) tracking_number: String,
    pub(crate) tracking_url: Option<String>,
}

impl FulfillmentRequest {
    /// Units per SKU, summed over lines that repeat a SKU.
    pub(crate) fn units_by_sku(&self) -> BTreeMap<&str, u64> {
        let mut units = BTreeMap::new();
        for (sku, quantity) in &self.lines {
            let entry: &mut u64 = units.entry(sku.as_str()).or_default();
            *entry = entry.saturating_add(*quantity);
        }
        units
    }
}

/// The `order_id` of a body, as text, if it has a usable one (for the request log).
pub(crate) fn order_id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        Value::Number(number) => number.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

/// Checks a Create Fulfillment body. With `strict`, fields that seed 002 does not name are
/// refused too (an adapter sending the nested `line_items_by_fulfillment_order` or a
/// `carrier` shows up at once).
pub(crate) fn parse_fulfillment(
    body: &[u8],
    strict: bool,
) -> Result<FulfillmentRequest, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|error| Rejection {
        status: StatusCode::BAD_REQUEST,
        error: MALFORMED_JSON,
        message: format!("the body is not valid JSON: {error}"),
    })?;
    let Value::Object(object) = value else {
        return Err(Rejection::invalid("the body must be a JSON object"));
    };
    if strict && let Some(field) = unknown_field(&object, &BODY_FIELDS) {
        return Err(Rejection::invalid(format!(
            "unknown field `{field}`: expected order_id, line_items, tracking_number and \
             optionally tracking_url"
        )));
    }
    let order_id_sent = object.get("order_id").cloned().unwrap_or(Value::Null);
    let order_id = order_id_text(&order_id_sent).ok_or_else(|| {
        Rejection::invalid("order_id is required: an integer or a non-empty string")
    })?;
    let lines = line_items(object.get("line_items"), strict)?;
    let tracking_number = match object.get("tracking_number") {
        Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
        _ => {
            return Err(Rejection::invalid(
                "tracking_number is required: a non-empty string",
            ));
        }
    };
    let tracking_url = match object.get("tracking_url") {
        None | Some(Value::Null) => None,
        Some(Value::String(url)) if is_http_url(url) => Some(url.clone()),
        Some(_) => {
            return Err(Rejection::invalid(
                "tracking_url must be an http or https URL",
            ));
        }
    };
    Ok(FulfillmentRequest {
        order_id_sent,
        order_id,
        lines,
        tracking_number,
        tracking_url,
    })
}

/// `line_items`: a non-empty array of `{sku: non-empty string, quantity: integer >= 1}`.
/// Every problem there gets seed 002's one body; an unknown field in strict mode names it.
fn line_items(value: Option<&Value>, strict: bool) -> Result<Vec<(String, u64)>, Rejection> {
    let Some(Value::Array(items)) = value else {
        return Err(Rejection::invalid_lines());
    };
    if items.is_empty() {
        return Err(Rejection::invalid_lines());
    }
    let mut lines = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let Value::Object(line) = item else {
            return Err(Rejection::invalid_lines());
        };
        if strict && let Some(field) = unknown_field(line, &LINE_FIELDS) {
            return Err(Rejection::invalid(format!(
                "line_items[{index}] has an unknown field `{field}`: expected sku and quantity"
            )));
        }
        let sku = match line.get("sku") {
            Some(Value::String(sku)) if !sku.trim().is_empty() => sku.clone(),
            _ => return Err(Rejection::invalid_lines()),
        };
        let quantity = match line.get("quantity").and_then(Value::as_u64) {
            Some(quantity) if quantity >= 1 => quantity,
            _ => return Err(Rejection::invalid_lines()),
        };
        lines.push((sku, quantity));
    }
    Ok(lines)
}

fn unknown_field<'a>(object: &'a Map<String, Value>, known: &[&str]) -> Option<&'a str> {
    object
        .keys()
        .map(String::as_str)
        .find(|key| !known.contains(key))
}

fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|host| !host.is_empty() && !url.chars().any(char::is_whitespace))
}

/// RFC 3339 in UTC with a `Z` and whole seconds, like the seeds' examples.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A request log entry as the fake ADM's control path shows it: whole seconds, and neither
/// the query nor the monotonic arrival time.
pub(crate) fn request_json(entry: &RequestLog) -> Value {
    json!({
        "received_at": rfc3339(entry.received_at),
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "fault": entry.fault,
        "delay_ms": entry.delay.map(millis),
        "hung": entry.hung,
        "error": entry.error,
        "order_id": entry.order_id,
        "idempotency_key": entry.idempotency_key,
        "replayed": entry.replayed,
    })
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use serde_json::json;

    use super::{INVALID_SKU_OR_QUANTITY, parse_fulfillment};

    #[test]
    fn seed_002s_example_request_is_accepted() {
        let body = br#"{"order_id": 450789469, "line_items": [{"sku": "RPBF24-1941",
            "quantity": 1}], "tracking_number": "1ZE356F8YW01937117"}"#;
        let request = parse_fulfillment(body, true).unwrap();
        assert_eq!(request.order_id, "450789469");
        assert_eq!(request.order_id_sent, json!(450_789_469));
        assert_eq!(request.lines, [("RPBF24-1941".to_owned(), 1)]);
        assert_eq!(request.tracking_url, None);
    }

    #[test]
    fn line_problems_get_seed_002s_body() {
        for lines in [
            json!([]),
            json!({}),
            json!([{"sku": "", "quantity": 1}]),
            json!([{"sku": "A", "quantity": 0}]),
            json!([{"sku": "A", "quantity": -1}]),
            json!([{"sku": "A", "quantity": 1.5}]),
            json!([{"sku": "A", "quantity": "1"}]),
            json!([{"sku": 5, "quantity": 1}]),
            json!(["A"]),
        ] {
            let body = json!({"order_id": 1, "line_items": lines, "tracking_number": "T"});
            let rejection = parse_fulfillment(body.to_string().as_bytes(), true).unwrap_err();
            assert_eq!(rejection.status, StatusCode::BAD_REQUEST, "{lines}");
            assert_eq!(rejection.error, INVALID_SKU_OR_QUANTITY.error, "{lines}");
            assert_eq!(
                rejection.message, INVALID_SKU_OR_QUANTITY.message,
                "{lines}"
            );
        }
    }

    #[test]
    fn other_problems_name_the_field() {
        let cases = [
            (
                json!({"line_items": [{"sku": "A", "quantity": 1}], "tracking_number": "T"}),
                "order_id",
            ),
            (
                json!({"order_id": 1.5, "line_items": [{"sku": "A", "quantity": 1}], "tracking_number": "T"}),
                "order_id",
            ),
            (
                json!({"order_id": 1, "line_items": [{"sku": "A", "quantity": 1}], "tracking_number": " "}),
                "tracking_number",
            ),
            (
                json!({"order_id": 1, "line_items": [{"sku": "A", "quantity": 1}], "tracking_number": "T", "tracking_url": "ftp://x"}),
                "tracking_url",
            ),
            (
                json!({"order_id": 1, "line_items": [{"sku": "A", "quantity": 1}], "tracking_number": "T", "carrier": "UPS"}),
                "carrier",
            ),
            (
                json!({"order_id": 1, "line_items": [{"sku": "A", "quantity": 1, "price": "1.00"}], "tracking_number": "T"}),
                "price",
            ),
            (json!([1]), "object"),
        ];
        for (body, field) in cases {
            let rejection = parse_fulfillment(body.to_string().as_bytes(), true).unwrap_err();
            assert_eq!(rejection.error, "Invalid Request", "{body}");
            assert!(
                rejection.message.contains(field),
                "{body}: {}",
                rejection.message
            );
        }
        let not_json = parse_fulfillment(b"{", true).unwrap_err();
        assert_eq!(not_json.error, "Malformed JSON");
    }

    #[test]
    fn unknown_fields_pass_when_not_strict() {
        let body = json!({"order_id": "A-1", "line_items": [{"sku": "A", "quantity": 2, "x": 1}],
            "tracking_number": "T", "carrier": "UPS", "tracking_url": "https://t.example/1"});
        let request = parse_fulfillment(body.to_string().as_bytes(), false).unwrap();
        assert_eq!(request.order_id, "A-1");
        assert_eq!(request.tracking_url.as_deref(), Some("https://t.example/1"));
    }

    #[test]
    fn units_are_summed_per_sku() {
        let body = json!({"order_id": 1, "line_items": [{"sku": "A", "quantity": 2},
            {"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 3}], "tracking_number": "T"});
        let request = parse_fulfillment(body.to_string().as_bytes(), true).unwrap();
        let units: Vec<(&str, u64)> = request.units_by_sku().into_iter().collect();
        assert_eq!(units, [("A", 5), ("B", 1)]);
    }
}
