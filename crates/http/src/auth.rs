//! Authentication: API keys compared in constant time, several active at once for rotation,
//! and the optional HMAC-SHA256 signature of the ADM webhook's raw body.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// A secret string whose `Debug` output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The API keys accepted for one kind of caller. Empty means nobody is let in.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys(Vec<Secret>);

impl ApiKeys {
    /// These keys; empty ones are dropped.
    #[must_use]
    pub fn new(keys: impl IntoIterator<Item = Secret>) -> Self {
        Self(keys.into_iter().filter(|k| !k.0.is_empty()).collect())
    }

    /// True when `presented` equals one of the keys. Every key is compared, in constant time,
    /// so timing tells nothing about which key or how much of it matched.
    #[must_use]
    pub fn accepts(&self, presented: &str) -> bool {
        let presented = presented.as_bytes();
        self.0.iter().fold(false, |found, key| {
            found | bool::from(key.0.as_bytes().ct_eq(presented))
        })
    }

    /// True when no key is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

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

/// Checks `signature` (base64 of HMAC-SHA256 over `body` with `secret`) in constant time.
#[must_use]
pub fn signature_matches(secret: &Secret, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The base64 HMAC-SHA256 signature of `body`, as a sender computes it (tests, sandbox).
#[must_use]
pub fn sign(secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
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

    use super::{ApiKeys, Secret, check_key, sign, signature_matches};

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
    fn a_signature_matches_only_its_body_and_secret() {
        let signature = sign("s3cret", b"{\"id\":1}");
        let secret = Secret::new("s3cret");
        assert!(signature_matches(&secret, b"{\"id\":1}", &signature));
        assert!(!signature_matches(&secret, b"{\"id\":2}", &signature));
        assert!(!signature_matches(
            &Secret::new("other"),
            b"{\"id\":1}",
            &signature
        ));
        assert!(!signature_matches(&secret, b"{\"id\":1}", "not base64!"));
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        assert_eq!(
            format!("{:?}", Secret::new("hunter2")),
            "Secret([redacted])"
        );
        let printed = format!("{:?}", keys());
        assert!(
            !printed.contains("old-key") && !printed.contains("new-key"),
            "{printed}"
        );
    }
}
