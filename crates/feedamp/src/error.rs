//! Classification of FeedAMP's answers (and of failures to get one) into retry, rejected and
//! auth failure, shared by the `Marketplace` calls and the new-orders feed: 2xx succeeded;
//! 400, 404, 409, 422 and other unexpected statuses rejected with FeedAMP's body text; 401
//! (after one token refresh) and 403 auth failures; 408, 429, 5xx, timeouts and connection
//! errors retried, honouring `Retry-After`.

use orderbridge_domain::ports::marketplace::clip_reason;
pub(crate) use orderbridge_domain::ports::marketplace::retry_after as parse_retry_after;
use std::time::Duration;

use chrono::{DateTime, Utc};
use orderbridge_domain::ports::marketplace::Outcome;
use orderbridge_domain::ports::source::SourceError;
use reqwest::StatusCode;

/// The longest piece of FeedAMP's body kept in a reason, in characters (about 1 KiB).
const MAX_REASON_TEXT: usize = 1024;

/// How a FeedAMP call failed, before it is turned into the port's own type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    /// A passing failure.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// A permanent refusal of this request.
    Rejected { reason: String },
    /// Credentials or the client id were refused.
    AuthFailed { reason: String },
}

impl CallError {
    /// A retry without a requested wait.
    pub(crate) fn retry(reason: impl Into<String>) -> Self {
        Self::Retry {
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// A rejection.
    pub(crate) fn rejected(reason: impl Into<String>) -> Self {
        Self::Rejected {
            reason: reason.into(),
        }
    }

    /// The `Marketplace` port's outcome.
    pub(crate) fn into_outcome(self) -> Outcome {
        match self {
            Self::Retry {
                reason,
                retry_after,
            } => Outcome::Retry {
                reason,
                retry_after,
            },
            Self::Rejected { reason } => Outcome::Rejected { reason },
            Self::AuthFailed { reason } => Outcome::AuthFailed { reason },
        }
    }

    /// The `OrderSource` port's error.
    pub(crate) fn into_source_error(self) -> SourceError {
        match self {
            Self::Retry {
                reason,
                retry_after,
            } => SourceError::Retry {
                reason,
                retry_after,
            },
            Self::Rejected { reason } => SourceError::Rejected { reason },
            Self::AuthFailed { reason } => SourceError::AuthFailed { reason },
        }
    }
}

/// One answer from FeedAMP: status, raw `Retry-After`, and as much of the body as was read.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: Vec<u8>,
    /// False when the body broke off or was longer than the cap.
    pub(crate) complete: bool,
}

/// `Ok` for a 2xx answer, else the failure. `client_id` goes into the 403 message: it is the
/// setting to check, and it is not a secret.
pub(crate) fn classify(
    reply: &Reply,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<(), CallError> {
    let status = reply.status;
    if status.is_success() {
        return Ok(());
    }
    let reason = describe(status, &reply.body);
    Err(match status.as_u16() {
        401 => CallError::AuthFailed {
            reason: format!("{reason} (FeedAMP refused a freshly fetched token)"),
        },
        403 => CallError::AuthFailed {
            reason: forbidden(client_id, &reason),
        },
        408 | 429 | 500..=599 => CallError::Retry {
            reason,
            retry_after: reply
                .retry_after
                .as_deref()
                .and_then(|value| parse_retry_after(value, now)),
        },
        _ => CallError::Rejected { reason },
    })
}

/// The reason given for a 403: the client id is not authorised, a configuration error.
pub(crate) fn forbidden(client_id: &str, described: &str) -> String {
    format!(
        "{described} (FeedAMP does not authorise client id {client_id}: a configuration error; \
         check the client id setting and FeedAMP's IP allowlist)"
    )
}

/// Classifies a call that got no response. Timeouts, refused or reset connections and DNS
/// failures are passing; a request that could not even be built is not.
pub(crate) fn classify_send_error(error: &reqwest::Error) -> CallError {
    let cause = causes(error);
    if error.is_builder() {
        return CallError::rejected(format!(
            "the request to FeedAMP could not be built: {cause}"
        ));
    }
    if error.is_timeout() {
        CallError::retry(format!("FeedAMP did not answer in time: {cause}"))
    } else if error.is_connect() {
        CallError::retry(format!("could not connect to FeedAMP: {cause}"))
    } else {
        CallError::retry(format!("the call to FeedAMP failed: {cause}"))
    }
}

/// The error's causes, without its own message (which holds the URL).
fn causes(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    if parts.is_empty() {
        if error.is_timeout() {
            "timed out".to_owned()
        } else {
            "no further detail".to_owned()
        }
    } else {
        parts.join(": ")
    }
}

/// `"<status> <phrase>: <body text>"`, the body clipped; FeedAMP documents no error format, so
/// its body is kept as opaque text.
pub(crate) fn describe(status: StatusCode, body: &[u8]) -> String {
    let code = status.as_u16();
    let phrase = status.canonical_reason().unwrap_or("Unexpected Status");
    let text = clip_reason(&String::from_utf8_lossy(body), MAX_REASON_TEXT);
    if text.is_empty() {
        format!("{code} {phrase}")
    } else {
        format!("{code} {phrase}: {text}")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use reqwest::StatusCode;

    use super::{CallError, Reply, classify, parse_retry_after};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn reply(status: u16, retry_after: Option<&str>, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            retry_after: retry_after.map(str::to_owned),
            body: body.as_bytes().to_vec(),
            complete: true,
        }
    }

    #[test]
    fn success_statuses_pass() {
        for status in [200, 201, 202, 204] {
            assert_eq!(classify(&reply(status, None, ""), "1", now()), Ok(()));
        }
    }

    #[test]
    fn client_errors_are_rejected_with_the_body_text() {
        for status in [400, 404, 409, 422, 405, 302] {
            let result = classify(&reply(status, Some("3"), "{\"error\":\"bad\"}"), "1", now());
            assert!(
                matches!(&result, Err(CallError::Rejected { reason }) if reason.ends_with("{\"error\":\"bad\"}")),
                "{status}: {result:?}"
            );
        }
    }

    #[test]
    fn a_403_names_the_client_id_as_not_authorised() {
        let result = classify(&reply(403, None, ""), "4711", now());
        assert!(
            matches!(&result, Err(CallError::AuthFailed { reason })
                if reason.starts_with("403 Forbidden") && reason.contains("client id 4711")),
            "{result:?}"
        );
    }

    #[test]
    fn passing_failures_are_retried_with_the_wait_asked_for() {
        for status in [408, 429, 500, 502, 503, 504] {
            let result = classify(&reply(status, Some("7"), ""), "1", now());
            assert!(
                matches!(result, Err(CallError::Retry { retry_after: Some(wait), .. }) if wait == Duration::from_secs(7)),
                "{status}: {result:?}"
            );
        }
    }

    #[test]
    fn a_long_body_is_clipped_to_about_a_kibibyte() {
        let body = format!("<html>\n{}</html>", "x".repeat(5000));
        let Err(CallError::Rejected { reason }) = classify(&reply(400, None, &body), "1", now())
        else {
            panic!("not rejected");
        };
        assert!(
            reason.starts_with("400 Bad Request: <html> xxx"),
            "{reason}"
        );
        assert!(reason.chars().count() <= 1024 + 20, "{}", reason.len());
    }

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        assert_eq!(parse_retry_after("7", now()), Some(Duration::from_secs(7)));
        for value in [
            "Wed, 21 Oct 2015 07:30:00 GMT",
            "Wednesday, 21-Oct-15 07:30:00 GMT",
            "Wed Oct 21 07:30:00 2015",
        ] {
            assert_eq!(
                parse_retry_after(value, now()),
                Some(Duration::from_secs(120)),
                "{value}"
            );
        }
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        for value in ["", "soon", "-5", "1.5"] {
            assert_eq!(parse_retry_after(value, now()), None, "{value:?}");
        }
    }
}
