//! The fake ADM's authentication: the API key as `Authorization: Bearer <key>` or, when
//! configured, bare in a header of its own.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::adm::routes::AdmApp;

/// The header that carried the right key: `Authorization: Bearer <key>` or the configured
/// header with the bare key. `None` when neither does.
pub(crate) fn authorized_by(app: &AdmApp, headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    if bearer == Some(app.api_key.as_str()) {
        return Some(AUTHORIZATION.as_str().to_owned());
    }
    let header = app.api_key_header.as_ref()?;
    let presented = headers.get(header)?.to_str().ok()?.trim();
    (presented == app.api_key).then(|| header.as_str().to_owned())
}
