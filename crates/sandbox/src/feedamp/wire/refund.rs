//! The v1 refund body (reference §5.4, inferred from the answer's `refund_info`), read straight
//! from the JSON: one order line per call, money as bare JSON numbers kept with their exact text.
//!
//! ```json
//! {"refund_info": {"cp_refund_number": "R-1", "mp_line_number": "1",
//!   "refund_reason": "customer_return", "currency": "USD", "refund_quantity": 1,
//!   "item_refund": 19.99, "item_tax_refund": 1.6, "shipping_refund": 0,
//!   "shipping_tax_refund": 0, "discount_refund": 0, "refund_notes": "damaged"}}
//! ```

use serde_json::{Map, Value};

use crate::feedamp::wire::canonical_decimal;

/// The amounts a refund may carry: optional, each a non-negative plain JSON number.
pub const REFUND_AMOUNTS: [&str; 5] = [
    "item_refund",
    "item_tax_refund",
    "shipping_refund",
    "shipping_tax_refund",
    "discount_refund",
];

const REQUIRED: [&str; 5] = [
    "cp_refund_number",
    "mp_line_number",
    "refund_reason",
    "currency",
    "refund_quantity",
];

/// A refund body that passed the checks needing no order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RefundBody {
    pub(crate) cp_refund_number: String,
    pub(crate) mp_line_number: String,
    pub(crate) currency: String,
    pub(crate) refund_quantity: u64,
    /// `refund_info` as sent, numbers with their text.
    pub(crate) info: Value,
}

/// Reads a refund body; `Err` is the `error` text of the `400`.
pub(crate) fn parse(bytes: &[u8]) -> Result<RefundBody, String> {
    let body: Value = serde_json::from_slice(bytes)
        .map_err(|error| format!("the body is not valid JSON: {error}"))?;
    let Value::Object(mut object) = body else {
        return Err("the body must be a JSON object with refund_info".to_owned());
    };
    if let Some(key) = object.keys().find(|key| key.as_str() != "refund_info") {
        return Err(format!(
            "the body has an unknown field `{key}` (expected: refund_info)"
        ));
    }
    let Some(Value::Object(info)) = object.remove("refund_info") else {
        return Err("refund_info is required: an object".to_owned());
    };
    let known = |key: &str| {
        REQUIRED.contains(&key) || REFUND_AMOUNTS.contains(&key) || key == "refund_notes"
    };
    if let Some(key) = info.keys().find(|key| !known(key)) {
        return Err(format!(
            "refund_info has an unknown field `{key}` (expected: {}, {}, refund_notes)",
            REQUIRED.join(", "),
            REFUND_AMOUNTS.join(", ")
        ));
    }
    let cp_refund_number = text(&info, "cp_refund_number")?;
    let mp_line_number = text(&info, "mp_line_number")?;
    text(&info, "refund_reason")?;
    let currency = text(&info, "currency")?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "refund_info.currency {currency:?} is not an ISO 4217 code such as USD"
        ));
    }
    let refund_quantity = info
        .get("refund_quantity")
        .and_then(Value::as_u64)
        .ok_or("refund_info.refund_quantity must be a whole number >= 0")?;
    let mut any_amount = false;
    for field in REFUND_AMOUNTS {
        match info.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Number(number)) => {
                let written = number.to_string();
                let Some(canonical) = canonical_decimal(&written) else {
                    return Err(format!(
                        "refund_info.{field} {written} must be a non-negative plain decimal \
                         number (no sign, no exponent)"
                    ));
                };
                any_amount |= canonical != "0";
            }
            Some(other) => {
                return Err(format!(
                    "refund_info.{field} must be a JSON number, not {other}"
                ));
            }
        }
    }
    match info.get("refund_notes") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(_) => return Err("refund_info.refund_notes must be a string".to_owned()),
    }
    if refund_quantity == 0 && !any_amount {
        return Err("the refund is empty: refund_quantity and every amount are 0".to_owned());
    }
    Ok(RefundBody {
        cp_refund_number,
        mp_line_number,
        currency,
        refund_quantity,
        info: Value::Object(info),
    })
}

fn text(info: &Map<String, Value>, field: &str) -> Result<String, String> {
    match info.get(field) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        _ => Err(format!(
            "refund_info.{field} is required: a non-empty string"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn amounts_keep_their_exact_text() {
        let body = parse(
            br#"{"refund_info": {"cp_refund_number": "R1", "mp_line_number": "1",
                "refund_reason": "customer_return", "currency": "USD", "refund_quantity": 1,
                "item_refund": 19.99, "item_tax_refund": 0.10}}"#,
        )
        .unwrap();
        assert_eq!(body.info["item_refund"].to_string(), "19.99");
        assert_eq!(body.info["item_tax_refund"].to_string(), "0.10");
    }

    #[test]
    fn amounts_as_strings_negative_or_with_exponents_are_refused() {
        for amount in [r#""19.99""#, "-1", "1e2"] {
            let body = format!(
                r#"{{"refund_info": {{"cp_refund_number": "R1", "mp_line_number": "1",
                "refund_reason": "x", "currency": "USD", "refund_quantity": 1,
                "item_refund": {amount}}}}}"#
            );
            let error = parse(body.as_bytes()).unwrap_err();
            assert!(error.contains("item_refund"), "{error}");
        }
    }
}
