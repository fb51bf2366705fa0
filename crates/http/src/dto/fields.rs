//! Turning request fields into domain values, each error naming its field.

use chrono::{DateTime, Utc};
use orderbridge_domain::values::{InvalidValue, Quantity, Sku};

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
pub(crate) fn note(field: &str, raw: &str, max: usize) -> Result<String, ApiError> {
    let text = raw.trim();
    let problem = if text.is_empty() {
        Some("must not be empty".to_owned())
    } else if text.chars().count() > max {
        Some(format!("at most {max} characters"))
    } else if text.chars().any(char::is_control) {
        Some("must not hold control characters (line breaks included)".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ApiError::bad_request(
            "Invalid Request",
            format!("{field}: {problem}"),
        )),
        None => Ok(text.to_owned()),
    }
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
