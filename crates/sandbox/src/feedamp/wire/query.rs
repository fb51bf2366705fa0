//! The new-orders feed's query: `limit` (50 to 200), the opaque `cursor` (the last order's
//! sequence number, base64url-encoded) and the `include_raw` flag.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::Uri;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::feedamp::wire::{ApiError, canonical_decimal};

/// The smallest `limit` of the feed.
pub const MIN_LIMIT: u64 = 50;
/// The largest `limit` of the feed.
pub const MAX_LIMIT: u64 = 200;
/// The `limit` of the feed when none is given.
pub const DEFAULT_LIMIT: u64 = 100;

/// What a cursor holds before it is base64url-encoded.
const CURSOR_PREFIX: &str = "after:";

pub(crate) fn query(uri: &Uri) -> Result<HashMap<String, String>, ApiError> {
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|Query(params)| params)
        .map_err(|error| ApiError::bad_request(format!("invalid query string: {error}")))
}

/// `limit`: a whole number from 50 to 200 (`100.0` reads as 100); 100 when absent.
pub(crate) fn limit(params: &HashMap<String, String>) -> Result<usize, ApiError> {
    let Some(text) = params.get("limit") else {
        return Ok(usize::try_from(DEFAULT_LIMIT).unwrap_or(100));
    };
    let limit = canonical_decimal(text)
        .and_then(|canonical| canonical.parse::<u64>().ok())
        .filter(|limit| (MIN_LIMIT..=MAX_LIMIT).contains(limit))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "limit must be a whole number from {MIN_LIMIT} to {MAX_LIMIT}, not {text:?}"
            ))
        })?;
    Ok(usize::try_from(limit).unwrap_or(100))
}

pub(crate) fn flag(params: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match params
        .get(name)
        .map(|text| text.trim().to_ascii_lowercase())
    {
        None => Ok(false),
        Some(text) if text == "true" || text == "1" => Ok(true),
        Some(text) if text == "false" || text == "0" || text.is_empty() => Ok(false),
        Some(text) => Err(ApiError::bad_request(format!(
            "{name} must be true or false, not {text:?}"
        ))),
    }
}

pub(crate) fn encode_cursor(after: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{after}"))
}

pub(crate) fn cursor(params: &HashMap<String, String>) -> Result<Option<u64>, ApiError> {
    let Some(text) = params.get("cursor").filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|decoded| decoded.strip_prefix(CURSOR_PREFIX)?.parse().ok())
        .map(Some)
        .ok_or_else(|| ApiError::bad_request(format!("invalid cursor {text:?}")))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{cursor, encode_cursor, limit};

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_cursor_reads_back_and_garbage_is_refused() {
        let text = encode_cursor(41);
        assert_eq!(cursor(&params(&[("cursor", &text)])).unwrap(), Some(41));
        assert_eq!(cursor(&params(&[])).unwrap(), None);
        assert!(cursor(&params(&[("cursor", "nope")])).is_err());
    }

    #[test]
    fn limits_outside_50_to_200_are_refused() {
        assert_eq!(limit(&params(&[])).unwrap(), 100);
        assert_eq!(limit(&params(&[("limit", "50")])).unwrap(), 50);
        assert_eq!(limit(&params(&[("limit", "200.0")])).unwrap(), 200);
        for bad in ["49", "201", "0", "-1", "abc", "75.5", ""] {
            assert!(limit(&params(&[("limit", bad)])).is_err(), "{bad}");
        }
    }
}
