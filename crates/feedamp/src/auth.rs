//! FeedAMP's token: fetched with HTTP Basic from the token route, cached and shared by every
//! call of one client, and renewed only when a data call is refused with 401.
//!
//! FeedAMP caps an account at 100 active tokens and documents no lifetime, so a token is never
//! fetched per call. The cache is single flight: the slot sits behind an async mutex held
//! across the token call, so at most one token call is in flight and everyone else waits for
//! its result. Each stored token has a generation number; a caller whose token (generation
//! `g`) was refused renews only if the slot still holds generation `g`, and otherwise takes the
//! token someone else has just fetched. Concurrent 401s thus cost one token call.

use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::api::Api;
use crate::error::{CallError, classify, describe, forbidden};

/// The cached token and its generation.
#[derive(Debug)]
pub(crate) struct TokenCache {
    slot: Mutex<TokenSlot>,
}

#[derive(Debug, Default)]
struct TokenSlot {
    /// The token, marked sensitive so that `Debug` of the header never shows it.
    token: Option<HeaderValue>,
    /// How many tokens have been stored so far; the current one's number.
    generation: u64,
}

impl TokenCache {
    pub(crate) fn new() -> Self {
        Self {
            slot: Mutex::new(TokenSlot::default()),
        }
    }
}

/// The token route's answer: `{"token": "..."}`.
#[derive(Deserialize)]
struct TokenReply {
    token: Option<Value>,
}

impl Api {
    /// The cached token and its generation, fetching one if none is cached.
    pub(crate) async fn current_token(&self) -> Result<(HeaderValue, u64), CallError> {
        let mut slot = self.tokens.slot.lock().await;
        if let Some(token) = &slot.token {
            return Ok((token.clone(), slot.generation));
        }
        let token = self.fetch_token().await?;
        slot.generation = slot.generation.wrapping_add(1);
        slot.token = Some(token.clone());
        Ok((token, slot.generation))
    }

    /// A token to replace the one of generation `refused`: the one already fetched by another
    /// caller since, or a new one.
    pub(crate) async fn renew_token(&self, refused: u64) -> Result<HeaderValue, CallError> {
        let mut slot = self.tokens.slot.lock().await;
        if slot.generation != refused
            && let Some(token) = &slot.token
        {
            return Ok(token.clone());
        }
        // The refused token is no use to anyone; if fetching fails, the next caller fetches.
        slot.token = None;
        let token = self.fetch_token().await?;
        slot.generation = slot.generation.wrapping_add(1);
        slot.token = Some(token.clone());
        Ok(token)
    }

    /// Calls the token route. A 401 there means the user name or password is wrong, a 403
    /// that the account refuses this client, any other 4xx that the route itself is wrong:
    /// all auth failures, since no data call can succeed until the settings change.
    async fn fetch_token(&self) -> Result<HeaderValue, CallError> {
        tracing::debug!("fetching a FeedAMP token");
        let reply = self.send_token_request().await?;
        let status = reply.status;
        if status.is_success() {
            return token_from(&reply.body);
        }
        let described = describe(status, &reply.body);
        match status {
            StatusCode::UNAUTHORIZED => Err(CallError::AuthFailed {
                reason: format!(
                    "{described} (FeedAMP refused the username or password on the token route)"
                ),
            }),
            StatusCode::FORBIDDEN => {
                tracing::error!(
                    client_id = %self.client_id(),
                    "FeedAMP's token route answered 403: a configuration error (check the \
                     credentials and the IP allowlist)"
                );
                Err(CallError::AuthFailed {
                    reason: forbidden(self.client_id(), &described),
                })
            }
            _ => match classify(&reply, self.client_id(), chrono::Utc::now()) {
                Err(CallError::Rejected { reason }) => Err(CallError::AuthFailed {
                    reason: format!(
                        "{reason} (the token route refused the call: check token_path)"
                    ),
                }),
                Err(other) => Err(other),
                Ok(()) => Err(CallError::retry(described)),
            },
        }
    }
}

/// The token from the route's 2xx body, as a sensitive header value.
fn token_from(body: &[u8]) -> Result<HeaderValue, CallError> {
    let reply: Option<TokenReply> = serde_json::from_slice(body).ok();
    let text = match reply.and_then(|r| r.token) {
        Some(Value::String(text)) if !text.trim().is_empty() => text,
        _ => {
            return Err(CallError::retry(
                "FeedAMP's token route answered without a token",
            ));
        }
    };
    let mut value = HeaderValue::from_str(text.trim()).map_err(|_| CallError::AuthFailed {
        reason: "FeedAMP issued a token an HTTP header cannot carry".to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::token_from;
    use crate::error::CallError;

    #[test]
    fn the_token_is_read_from_its_field_and_marked_sensitive() {
        let token = token_from(br#"{"token": "53bf15c-this-is-an-example-token", "x": 1}"#);
        assert!(token.as_ref().is_ok_and(|t| t.is_sensitive()), "{token:?}");
        assert_eq!(
            token.ok().and_then(|t| t.to_str().ok().map(str::to_owned)),
            Some("53bf15c-this-is-an-example-token".to_owned())
        );
    }

    #[test]
    fn an_answer_without_a_token_is_retried() {
        for body in [
            &b"{}"[..],
            b"{\"token\": \"\"}",
            b"{\"token\": 5}",
            b"<html>",
        ] {
            assert!(
                matches!(token_from(body), Err(CallError::Retry { .. })),
                "{body:?}"
            );
        }
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_an_auth_failure() {
        assert!(matches!(
            token_from(b"{\"token\": \"a\\nb\"}"),
            Err(CallError::AuthFailed { .. })
        ));
    }
}
