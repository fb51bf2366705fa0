//! Turning request fields into domain values, each error naming its field.

use chrono::{DateTime, Utc};
use orderbridge_domain::order::Order;
use orderbridge_domain::values::{CleanText, InvalidValue, Quantity, Sku};

use crate::dto::SkuQuantity;
use crate::error::{ApiError, INVALID_LINES};

/// A value error as a 400 naming `field`.
pub(crate) fn invalid(field: &str) -> impl FnOnce(InvalidValue) -> ApiError + '_ {
    move |e| ApiError::bad_request("Invalid Request", format!("{field}: {e}"))
}

/// An RFC 3339 time with an offset, converted to UTC.
pub(crate) fn time(field: &str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad_request(
                "Invalid Request",
                format!("{field}: expected an RFC 3339 time with an offset, such as 2024-04-30T12:00:00Z"),
            )
        })
}

/// Units by SKU from a request's `line_items`.
pub(crate) fn sku_quantities(items: &[SkuQuantity]) -> Result<Vec<(Sku, Quantity)>, ApiError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let sku = Sku::parse(&item.sku).map_err(|e| {
                ApiError::bad_request(INVALID_LINES, format!("line_items[{i}].sku: {e}"))
            })?;
            let quantity = Quantity::from_i64(item.quantity).map_err(|e| {
                ApiError::bad_request(INVALID_LINES, format!("line_items[{i}].quantity: {e}"))
            })?;
            Ok((sku, quantity))
        })
        .collect()
}

/// A page size from 1 to 500, 100 when absent.
pub(crate) fn limit(raw: Option<u32>) -> Result<u32, ApiError> {
    match raw {
        None => Ok(100),
        Some(n @ 1..=500) => Ok(n),
        Some(_) => Err(ApiError::bad_request(
            "Invalid Query",
            "limit: must be between 1 and 500",
        )),
    }
}

/// A free-text field an operator writes: trimmed, at least one character, at most `max`, and no
/// control characters (it goes into one-line history entries).
pub(crate) fn one_line(field: &'static str, raw: &str, max: usize) -> Result<String, ApiError> {
    let problem = match CleanText::line(max).check(field, raw) {
        Ok(Some(text)) => return Ok(text),
        Ok(None) => "must not be empty".to_owned(),
        Err(InvalidValue::NotPrintable { .. }) => {
            "must not hold control characters (line breaks included)".to_owned()
        }
        Err(_) => format!("at most {max} characters"),
    };
    Err(ApiError::bad_request(
        "Invalid Request",
        format!("{field}: {problem}"),
    ))
}

/// The `note` of a cancellation or a refund, checked by the domain's rules for notes
/// ([`Order::NOTE`]): tab and newline allowed, no other control character, at most 2000
/// characters; blank is no note.
pub(crate) fn note(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    Order::NOTE.check("note", raw).map_err(|e| {
        let problem = match e {
            InvalidValue::NotPrintable { .. } => {
                "must not hold control characters other than tab and newline".to_owned()
            }
            _ => format!("at most {} characters", Order::NOTE.max()),
        };
        ApiError::bad_request("Invalid Request", format!("note: {problem}"))
    })
}

/// `items` when there are at most [`Order::MAX_LINES`] of them: a request holds no more
/// entries than an order has lines. Refused with a 400 naming `field` before any is read.
pub(crate) fn at_most<'a, T>(field: &str, items: &'a [T]) -> Result<&'a [T], ApiError> {
    if items.len() > Order::MAX_LINES {
        return Err(ApiError::bad_request(
            INVALID_LINES,
            format!("{field}: at most {} entries", Order::MAX_LINES),
        ));
    }
    Ok(items)
}

/// One keyset page from `found`, fetched with a limit of `limit + 1`: the first `limit` items,
/// and the cursor of the next page (the last item's, by `cursor`) when there was one more.
pub(crate) fn keyset_page<T>(
    mut found: Vec<T>,
    limit: u32,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = found.len() > limit;
    found.truncate(limit);
    let next = if more { found.last().map(cursor) } else { None };
    (found, next)
}
