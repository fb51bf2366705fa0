//! The fake FeedAMP's authentication: the token route's HTTP Basic check and cap of live
//! tokens, and the `token` and `client` headers (plus optional Basic) of every data route.

use std::time::Instant;

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::feedamp::error::ApiError;
use crate::feedamp::routes::FeedampApp;
use crate::feedamp::tokens::TokenProblem;

pub(crate) fn issue_token(
    app: &FeedampApp,
    headers: &HeaderMap,
    now: Instant,
) -> Result<(StatusCode, Value), ApiError> {
    let challenge = |error: &str| ApiError::new(StatusCode::UNAUTHORIZED, error).challenge();
    match basic_credentials(headers) {
        None => return Err(challenge("HTTP Basic authentication is required")),
        Some((user, password)) if user != app.username || password != app.password => {
            return Err(challenge("invalid username or password"));
        }
        Some(_) => {}
    }
    let issued = app.tokens().issue(now);
    match issued {
        Ok(token) => Ok((StatusCode::OK, json!({ "token": token }))),
        Err(wait) => {
            let max = app.tokens().max_live();
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many active tokens: at most {max} may be active at once; reuse the \
                     token you have until it expires"
                ),
            )
            .retry_after(secs))
        }
    }
}

/// Basic (optional, but right when sent), then `token`, then `client`.
pub(crate) fn authorise(
    app: &FeedampApp,
    headers: &HeaderMap,
    now: Instant,
) -> Result<(), ApiError> {
    if let Some((user, password)) = basic_credentials(headers)
        && (user != app.username || password != app.password)
    {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid username or password in the Basic credentials",
        ));
    }
    let token = header_text(headers, "token");
    let checked = app.tokens().check(token, now);
    if let Err(problem) = checked {
        let error = match problem {
            TokenProblem::Missing => {
                "the token header is required: get one from GET /api/v1/get_token"
            }
            TokenProblem::Unknown => "invalid token",
            TokenProblem::Expired => {
                "the token has expired: get a new one from GET /api/v1/get_token"
            }
        };
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, error));
    }
    match header_text(headers, "client") {
        Some(client) if client == app.client_id => Ok(()),
        Some(client) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("client {client:?} is not authorised for this account"),
        )),
        None => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the client header is required",
        )),
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// `Authorization: Basic base64(user:password)`, decoded; `None` when absent or not Basic.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}
