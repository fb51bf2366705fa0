//! The fake FeedAMP's JSON (reference §4 and §5), read and written straight from the JSON
//! with no types shared with the FeedAMP adapter: a refused call's `{"error": ..}` answer and
//! its headers, and money as bare JSON numbers from exact decimal text. The bodies it reads
//! and the orders it writes are in the modules below: `fulfil` and `refund` (the write
//! calls' bodies), `query` (the feed's query) and `order` (the v1 order object).

pub(crate) mod fulfil;
pub(crate) mod order;
pub(crate) mod query;
pub(crate) mod refund;

use std::str::FromStr;

use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Number, json};

/// A refused call: its status, the `error` text, and what to say in `Retry-After` or
/// `WWW-Authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) error: String,
    /// `Retry-After` seconds.
    pub(crate) retry_after_secs: Option<u64>,
    /// Whether to add `WWW-Authenticate: Basic`.
    pub(crate) basic_challenge: bool,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
            retry_after_secs: None,
            basic_challenge: false,
        }
    }

    pub(crate) fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub(crate) fn challenge(mut self) -> Self {
        self.basic_challenge = true;
        self
    }

    pub(crate) fn bad_request(error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error)
    }

    pub(crate) fn not_found(id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("order {id:?} not found"))
    }
}

/// `{"error": <text>}` with the error's status and headers.
pub(crate) fn error_response(error: &ApiError) -> Response {
    let mut response = (error.status, axum::Json(json!({ "error": error.error }))).into_response();
    let headers = response.headers_mut();
    if let Some(secs) = error.retry_after_secs {
        headers.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    if error.basic_challenge {
        headers.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"FeedAMP\""),
        );
    }
    response
}

/// The shortest form of plain non-negative decimal text (`"19.90"` -> `"19.9"`,
/// `"200.00"` -> `"200"`, `"007"` -> `"7"`), as FeedAMP's samples write money (`200`, `1.95`);
/// `None` for anything else (signs, exponents, spaces inside, empty parts).
pub(crate) fn canonical_decimal(text: &str) -> Option<String> {
    let text = text.trim();
    let (units, fraction) = match text.split_once('.') {
        Some((units, fraction)) if !fraction.is_empty() => (units, fraction),
        Some(_) => return None,
        None => (text, ""),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty() || !digits(units) || !digits(fraction) {
        return None;
    }
    let units = units.trim_start_matches('0');
    let units = if units.is_empty() { "0" } else { units };
    let fraction = fraction.trim_end_matches('0');
    Some(if fraction.is_empty() {
        units.to_owned()
    } else {
        format!("{units}.{fraction}")
    })
}

/// Decimal text as a JSON number with exactly that text (serde_json's `arbitrary_precision`
/// keeps it; no float is involved).
pub(crate) fn money_number(text: &str) -> Option<Number> {
    Number::from_str(&canonical_decimal(text)?).ok()
}

#[cfg(test)]
mod tests {
    use super::{canonical_decimal, money_number};

    #[test]
    fn money_is_written_in_its_shortest_exact_form() {
        for (text, written) in [
            ("19.99", "19.99"),
            ("200", "200"),
            ("200.00", "200"),
            ("19.90", "19.9"),
            ("0.10", "0.1"),
            ("0.2", "0.2"),
            ("007.50", "7.5"),
            ("0", "0"),
            ("12345678901234567890.01", "12345678901234567890.01"),
        ] {
            assert_eq!(canonical_decimal(text).as_deref(), Some(written), "{text}");
            assert_eq!(money_number(text).unwrap().to_string(), written, "{text}");
        }
        for text in ["", "-1", "1e3", "1.", ".5", "1.2.3", "1 000", "NaN", "+1"] {
            assert_eq!(canonical_decimal(text), None, "{text:?}");
        }
    }
}
