//! The fake FeedAMP's authentication: the token route's HTTP Basic check, its tokens (opaque
//! strings with a lifetime, at most a fixed number live at once; reference §2.1: "No more
//! than 100 tokens can be active at any one time"), and the `token` and `client` headers
//! (plus optional Basic) of every data route.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::feedamp::routes::FeedampApp;
use crate::feedamp::wire::ApiError;
use crate::kit::prng::SplitMix64;

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

/// Why a token was not accepted on a data route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Missing,
    Unknown,
    Expired,
}

/// The live tokens, with the time each expires. Expired ones are forgotten lazily, except
/// that [`Tokens::check`] still recognises one expired since the last prune, to say so.
#[derive(Debug)]
pub(crate) struct Tokens {
    live: HashMap<String, Instant>,
    ttl: Duration,
    max_live: usize,
    issued: u64,
    refused: u64,
    prng: SplitMix64,
}

impl Tokens {
    pub(crate) fn new(ttl: Duration, max_live: usize) -> Self {
        // Tokens only need to differ between runs, not to be secret.
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64);
        Self {
            live: HashMap::new(),
            ttl,
            max_live,
            issued: 0,
            refused: 0,
            prng: SplitMix64::new(seed),
        }
    }

    fn prune(&mut self, now: Instant) {
        self.live.retain(|_, expires| *expires > now);
    }

    /// A new token, or `Err(retry after)` when `max_live` tokens are live: the time until the
    /// oldest of them expires (at least one second).
    pub(crate) fn issue(&mut self, now: Instant) -> Result<String, Duration> {
        self.prune(now);
        if self.live.len() >= self.max_live {
            self.refused += 1;
            let first_expiry = self.live.values().min().copied().unwrap_or(now);
            let wait = first_expiry.saturating_duration_since(now);
            return Err(wait.max(Duration::from_secs(1)));
        }
        self.issued += 1;
        let token = format!(
            "{:08x}-{:04x}-sandbox-token-{:016x}",
            self.prng.next_u64() >> 32,
            self.issued & 0xffff,
            self.prng.next_u64()
        );
        self.live.insert(token.clone(), now + self.ttl);
        Ok(token)
    }

    /// Whether `token` is live now.
    pub(crate) fn check(&self, token: Option<&str>, now: Instant) -> Result<(), TokenProblem> {
        let token = token.ok_or(TokenProblem::Missing)?;
        match self.live.get(token) {
            None => Err(TokenProblem::Unknown),
            Some(expires) if *expires <= now => Err(TokenProblem::Expired),
            Some(_) => Ok(()),
        }
    }

    /// Expires every live token now; returns how many there were.
    pub(crate) fn expire_all(&mut self, now: Instant) -> usize {
        self.prune(now);
        let count = self.live.len();
        for expires in self.live.values_mut() {
            *expires = now;
        }
        count
    }

    pub(crate) fn live_count(&mut self, now: Instant) -> usize {
        self.prune(now);
        self.live.len()
    }

    pub(crate) fn max_live(&self) -> usize {
        self.max_live
    }

    pub(crate) fn issued(&self) -> u64 {
        self.issued
    }

    pub(crate) fn refused(&self) -> u64 {
        self.refused
    }

    /// Forgets every token and the counters.
    pub(crate) fn reset(&mut self) {
        self.live.clear();
        self.issued = 0;
        self.refused = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{TokenProblem, Tokens};

    #[test]
    fn the_cap_refuses_a_token_until_one_expires() {
        let mut tokens = Tokens::new(Duration::from_secs(10), 2);
        let now = Instant::now();
        let first = tokens.issue(now).unwrap();
        tokens.issue(now + Duration::from_secs(1)).unwrap();
        let wait = tokens.issue(now + Duration::from_secs(2)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(8));
        assert_eq!(tokens.check(Some(&first), now), Ok(()));
        let later = now + Duration::from_secs(10);
        assert_eq!(
            tokens.check(Some(&first), later),
            Err(TokenProblem::Expired)
        );
        assert!(tokens.issue(later).is_ok());
        assert_eq!(
            tokens.check(Some(&first), later),
            Err(TokenProblem::Unknown)
        );
        assert_eq!((tokens.issued(), tokens.refused()), (3, 1));
    }

    #[test]
    fn expire_all_ends_every_live_token() {
        let mut tokens = Tokens::new(Duration::from_secs(3600), 100);
        let now = Instant::now();
        let token = tokens.issue(now).unwrap();
        assert_eq!(tokens.expire_all(now), 1);
        assert_eq!(tokens.check(Some(&token), now), Err(TokenProblem::Expired));
        assert_eq!(tokens.live_count(now), 0);
        assert_eq!(tokens.check(None, now), Err(TokenProblem::Missing));
    }
}
