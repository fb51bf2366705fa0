//! The `orders/create` body as it arrives on the wire, and the reading of JSON and type errors
//! into rejections that name the field path.
//!
//! Ids, SKUs, quantities and prices are read as `serde_json::Value` and converted by hand in
//! `convert.rs`: the workspace builds serde_json with `arbitrary_precision`, so a number keeps
//! its exact text there, and every such field gets one clear message whatever its JSON type.
//! The fields that only inform (times, email, address, shipping service) are `Value`s too, so
//! that one of an unexpected type is flagged by `tolerant.rs` instead of refusing the order.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_path_to_error::Path;

use orderbridge_domain::order::Order;

use crate::webhook::{INVALID_ORDER, INVALID_SKU_OR_QUANTITY, MALFORMED_JSON, WebhookRejection};

/// The webhook body. Every field is optional here; `convert.rs` decides what is required.
/// Fields not listed (`fulfillments`, `refunds`, anything new) are ignored.
#[derive(Debug, Deserialize)]
pub(super) struct OrderDto {
    pub id: Option<Value>,
    pub created_at: Option<Value>,
    pub deliver_by: Option<Value>,
    pub cancelled_at: Option<Value>,
    pub cancel_reason: Option<Value>,
    pub email: Option<Value>,
    pub line_items: Option<Capped<Object<LineDto>>>,
    pub shipping_address: Option<Value>,
    pub shipping_service: Option<Value>,
    pub subtotal_price: Option<Value>,
    pub total_discounts: Option<Value>,
    pub total_price: Option<Value>,
    pub total_shipping_price: Option<Value>,
    pub total_tax: Option<Value>,
}

/// One entry of `line_items`.
#[derive(Debug, Deserialize)]
pub(super) struct LineDto {
    pub sku: Option<Value>,
    pub quantity: Option<Value>,
    pub price: Option<Value>,
    pub total_discount: Option<Value>,
    pub total_tax: Option<Value>,
    /// Not in the documents; kept as the line's external id when ADM sends one.
    pub id: Option<Value>,
    /// Not in the documents; kept as the product name when ADM sends one.
    pub title: Option<Value>,
}

/// `shipping_address`, with both spellings of the country and region keys (design section 4),
/// taken from its JSON object by name. Every field is read by `tolerant.rs`.
#[derive(Debug, Default)]
pub(super) struct AddressDto {
    pub first_name: Option<Value>,
    pub last_name: Option<Value>,
    pub name: Option<Value>,
    pub company: Option<Value>,
    pub address1: Option<Value>,
    pub address2: Option<Value>,
    pub city: Option<Value>,
    pub province: Option<Value>,
    pub province_code: Option<Value>,
    pub zip: Option<Value>,
    pub country: Option<Value>,
    pub country_code: Option<Value>,
    pub phone: Option<Value>,
}

impl AddressDto {
    /// The fields of a `shipping_address` object; other keys are ignored.
    pub(super) fn from_map(mut map: Map<String, Value>) -> Self {
        let mut take = |key: &str| map.remove(key);
        Self {
            first_name: take("first_name"),
            last_name: take("last_name"),
            name: take("name"),
            company: take("company"),
            address1: take("address1"),
            address2: take("address2"),
            city: take("city"),
            province: take("province"),
            province_code: take("province_code"),
            zip: take("zip"),
            country: take("country"),
            country_code: take("country_code"),
            phone: take("phone"),
        }
    }
}

/// A `T` read from a JSON object only. serde's derived structs also take an array of the
/// fields in order, which ADM never sends and which would let a garbled body through.
#[derive(Debug)]
pub(super) struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }

        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

/// A JSON array read no further than [`Order::MAX_LINES`] entries: one more is refused at once,
/// so that a body of a million tiny entries costs no more than one of a thousand.
#[derive(Debug)]
pub(super) struct Capped<T>(pub Vec<T>);

/// The error a [`Capped`] array raises past its cap; [`data_error`] words it.
const TOO_MANY: &str = "more entries than an order may have lines";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Capped<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CappedVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for CappedVisitor<T> {
            type Value = Capped<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Capped<T>, A::Error> {
                let mut items = Vec::new();
                while items.len() < Order::MAX_LINES {
                    match seq.next_element()? {
                        Some(item) => items.push(item),
                        None => return Ok(Capped(items)),
                    }
                }
                // One more entry, whatever it is, is one too many; it is skipped, not read.
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(A::Error::custom(TOO_MANY));
                }
                Ok(Capped(items))
            }
        }

        deserializer.deserialize_seq(CappedVisitor(PhantomData))
    }
}

/// The body as text: JSON is UTF-8, and the text is kept as the raw payload.
pub(super) fn utf8(body: &[u8]) -> Result<&str, WebhookRejection> {
    std::str::from_utf8(body).map_err(|error| {
        let valid = body.get(..error.valid_up_to()).unwrap_or_default();
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        WebhookRejection::new(
            MALFORMED_JSON,
            format!("the body is not valid UTF-8 at line {line} column {column}"),
        )
    })
}

/// Reads the body into the DTO; JSON and type errors become rejections naming the line and
/// column or the field path.
pub(super) fn deserialize(text: &str) -> Result<OrderDto, WebhookRejection> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let Object(dto) = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let (path, inner) = (error.path().clone(), error.into_inner());
        match inner.classify() {
            serde_json::error::Category::Data => data_error(&path, &inner),
            _ => malformed(&inner),
        }
    })?;
    deserializer.end().map_err(|error| malformed(&error))?;
    Ok(dto)
}

/// A syntax error: serde_json's own words, which quote no input, with line and column.
fn malformed(error: &serde_json::Error) -> WebhookRejection {
    WebhookRejection::new(
        MALFORMED_JSON,
        format!("the body is not valid JSON: {error}"),
    )
}

/// A value of the wrong type at `path`. serde's message quotes the value, which may be
/// personal data, so it is rebuilt from the expected and found kinds only.
fn data_error(path: &Path, error: &serde_json::Error) -> WebhookRejection {
    let path = path.to_string();
    let name = if path == "." {
        "the body"
    } else {
        path.as_str()
    };
    let text = error.to_string();
    // serde_json appends " at line L column C" to a data error.
    let text = text
        .rfind(" at line ")
        .and_then(|at| text.get(..at))
        .unwrap_or(&text);
    let message = if let Some(rest) = text.strip_prefix("invalid type: ") {
        match rest.rsplit_once(", expected ") {
            Some((found, expected)) => format!(
                "{name} must be {}, found {}",
                plain_expected(expected),
                kind_of(found)
            ),
            None => format!("{name} has the wrong type"),
        }
    } else if text == TOO_MANY {
        format!("{name} must hold at most {} line items", Order::MAX_LINES)
    } else if let Some(field) = text.strip_prefix("duplicate field ") {
        format!("{name} has a duplicate field {field}")
    } else {
        format!("{name} is invalid")
    };
    let title = if is_line_items_shape(&path) {
        INVALID_SKU_OR_QUANTITY
    } else {
        INVALID_ORDER
    };
    WebhookRejection::new(title, message)
}

/// True for `line_items`, `line_items[n]`, `line_items[n].sku` and `line_items[n].quantity`:
/// the paths whose problems ADM's documents title "Invalid SKU or Quantity".
fn is_line_items_shape(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("line_items") else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(after_index) = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map(|(_, after)| after)
    else {
        return false;
    };
    matches!(after_index, "" | ".sku" | ".quantity")
}

/// serde's name for an expected type, in JSON words.
fn plain_expected(expected: &str) -> &str {
    match expected {
        "a sequence" => "an array",
        "a map" => "an object",
        other => other,
    }
}

/// The JSON kind of what serde found, without the value itself.
fn kind_of(found: &str) -> &'static str {
    let kind = found.split([' ', '`', '"']).next().unwrap_or_default();
    match kind {
        "sequence" => "an array",
        "map" => "an object",
        "string" | "character" => "a string",
        "integer" | "floating" | "number" => "a number",
        "boolean" => "a boolean",
        "unit" | "null" | "Option" => "null",
        _ => "another type",
    }
}

#[cfg(test)]
mod tests {
    use super::{is_line_items_shape, kind_of, utf8};

    #[test]
    fn only_the_shape_of_line_items_and_their_sku_and_quantity_count_as_line_problems() {
        assert!(is_line_items_shape("line_items"));
        assert!(is_line_items_shape("line_items[3]"));
        assert!(is_line_items_shape("line_items[0].sku"));
        assert!(is_line_items_shape("line_items[12].quantity"));
        assert!(!is_line_items_shape("line_items[0].price"));
        assert!(!is_line_items_shape("email"));
        assert!(!is_line_items_shape("."));
    }

    #[test]
    fn found_kinds_never_carry_the_value() {
        assert_eq!(kind_of("string \"Jane Doe\""), "a string");
        assert_eq!(kind_of("integer `5`"), "a number");
        assert_eq!(kind_of("floating point `1.5`"), "a number");
        assert_eq!(kind_of("map"), "an object");
        assert_eq!(kind_of("boolean `true`"), "a boolean");
    }

    #[test]
    fn invalid_utf8_is_reported_with_line_and_column() {
        let rejection = utf8(b"{\n  \"id\": \"\xff\"}").err();
        assert_eq!(
            rejection.map(|r| r.message),
            Some("the body is not valid UTF-8 at line 2 column 10".to_owned())
        );
    }
}
