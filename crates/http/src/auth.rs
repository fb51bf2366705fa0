//! Authentication of the warehouse API: its keys compared in constant time, several active at
//! once for rotation. (Each marketplace's crate authenticates its own webhooks.)

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub(crate) use orderbridge_domain::values::ApiKeys;

use crate::error::ApiError;

/// The key from `Authorization: Bearer <key>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The key a caller presents: `Authorization: Bearer`, or the configured header.
#[must_use]
pub fn presented_key<'a>(headers: &'a HeaderMap, header: Option<&str>) -> Option<&'a str> {
    bearer(headers).or_else(|| {
        header
            .and_then(|name| headers.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    })
}

/// Checks a presented key.
///
/// # Errors
/// [`ApiError::unauthorized`] for a missing or unknown key.
pub fn check_key(
    keys: &ApiKeys,
    headers: &HeaderMap,
    header: Option<&str>,
) -> Result<(), ApiError> {
    match presented_key(headers, header) {
        Some(key) if keys.accepts(key) => Ok(()),
        _ => Err(ApiError::unauthorized()),
    }
}

/// Middleware letting through only requests with a warehouse key.
pub async fn require_warehouse_key(
    State(keys): State<ApiKeys>,
    request: Request,
    next: Next,
) -> Response {
    match check_key(&keys, request.headers(), None) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use orderbridge_domain::values::Secret;

    use super::{ApiKeys, check_key};

    fn keys() -> ApiKeys {
        ApiKeys::new([
            Secret::new("old-key"),
            Secret::new("new-key"),
            Secret::new(""),
        ])
    }

    #[test]
    fn any_active_key_is_accepted_during_rotation() {
        assert!(keys().accepts("old-key"));
        assert!(keys().accepts("new-key"));
        assert!(!keys().accepts("new-ke"));
        assert!(!keys().accepts(""), "an empty configured key never matches");
    }

    #[test]
    fn a_key_is_read_from_bearer_or_the_configured_header() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer new-key"));
        assert!(check_key(&keys(), &headers, None).is_ok());
        let mut headers = HeaderMap::new();
        headers.insert("x-adm-key", HeaderValue::from_static("old-key"));
        assert!(check_key(&keys(), &headers, Some("x-adm-key")).is_ok());
        assert!(check_key(&keys(), &headers, None).is_err());
        assert!(check_key(&keys(), &HeaderMap::new(), Some("x-adm-key")).is_err());
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "[redacted]");
        let printed = format!("{:?}", keys());
        assert!(
            !printed.contains("old-key") && !printed.contains("new-key"),
            "{printed}"
        );
    }
}
