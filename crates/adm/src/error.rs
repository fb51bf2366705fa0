//! Classification of ADM's answers (and of failures to get one) into the domain's [`Outcome`]:
//! 2xx delivered; 400, 404, 422 rejected with ADM's `error` and `message`; 401, 403 auth
//! failure; 408, 429, 5xx, timeouts and connection errors retried, honouring `Retry-After`;
//! anything else rejected.

use orderbridge_domain::ports::marketplace::clip_reason;
pub(crate) use orderbridge_domain::ports::marketplace::retry_after as parse_retry_after;

use chrono::{DateTime, Utc};
use orderbridge_domain::ports::marketplace::Outcome;
use reqwest::StatusCode;
use serde_json::Value;

use crate::model::{response_json, text_field};

/// The longest piece of ADM's text kept in an outcome's reason, in characters.
const MAX_REASON_TEXT: usize = 300;

/// Classifies a response by status. `retry_after` is the raw `Retry-After` header; `now` turns
/// an HTTP date in it into a delay.
pub(crate) fn classify_response(
    status: StatusCode,
    retry_after: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Outcome {
    let json = response_json(body);
    if status.is_success() {
        return Outcome::Delivered {
            remote_ref: text_field(&json, "created_at").and_then(|r| Outcome::REFERENCE.clean(&r)),
        };
    }
    let reason = describe(status, &json, body);
    match status.as_u16() {
        400 | 404 | 422 => Outcome::Rejected { reason },
        401 | 403 => Outcome::AuthFailed { reason },
        408 | 429 | 500..=599 => Outcome::Retry {
            reason,
            retry_after: retry_after.and_then(|value| parse_retry_after(value, now)),
        },
        _ => Outcome::Rejected { reason },
    }
}

/// Classifies a call that got no response. Timeouts, refused or reset connections and DNS
/// failures are passing; a request that could not even be built is not.
pub(crate) fn classify_send_error(error: &reqwest::Error) -> Outcome {
    let cause = causes(error);
    if error.is_builder() {
        return Outcome::Rejected {
            reason: format!("the request to ADM could not be built: {cause}"),
        };
    }
    let reason = if error.is_timeout() {
        format!("ADM did not answer in time: {cause}")
    } else if error.is_connect() {
        format!("could not connect to ADM: {cause}")
    } else {
        format!("the call to ADM failed: {cause}")
    };
    Outcome::Retry {
        reason,
        retry_after: None,
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

/// `"<status> <ADM's error>: <ADM's message>"`, falling back on the status's reason phrase and
/// a short piece of a body that is not JSON.
fn describe(status: StatusCode, json: &Value, body: &[u8]) -> String {
    let code = status.as_u16();
    let phrase = status.canonical_reason().unwrap_or("Unexpected Status");
    let error = text_field(json, "error").map(|t| clip_reason(&t, MAX_REASON_TEXT));
    let message = text_field(json, "message").map(|t| clip_reason(&t, MAX_REASON_TEXT));
    match (error, message) {
        (Some(error), Some(message)) => format!("{code} {error}: {message}"),
        (Some(error), None) => format!("{code} {error}"),
        (None, Some(message)) => format!("{code} {phrase}: {message}"),
        (None, None) => {
            let text = clip_reason(&String::from_utf8_lossy(body), MAX_REASON_TEXT);
            if text.is_empty() {
                format!("{code} {phrase}")
            } else {
                format!("{code} {phrase}: {text}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use orderbridge_domain::ports::marketplace::Outcome;
    use reqwest::StatusCode;

    use super::{classify_response, parse_retry_after};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn classify(status: u16, retry_after: Option<&str>, body: &str) -> Outcome {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
        classify_response(status, retry_after, body.as_bytes(), now())
    }

    #[test]
    fn retry_after_takes_seconds() {
        assert_eq!(parse_retry_after("7", now()), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now()), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_takes_an_http_date_in_all_three_forms() {
        let in_two_minutes = Some(Duration::from_secs(120));
        for value in [
            "Wed, 21 Oct 2015 07:30:00 GMT",
            "Wednesday, 21-Oct-15 07:30:00 GMT",
            "Wed Oct 21 07:30:00 2015",
        ] {
            assert_eq!(parse_retry_after(value, now()), in_two_minutes, "{value}");
        }
    }

    #[test]
    fn a_retry_after_date_in_the_past_means_no_wait() {
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn a_garbled_retry_after_is_ignored() {
        for value in ["", "soon", "-5", "1.5", "99999999999999999999999"] {
            assert_eq!(parse_retry_after(value, now()), None, "{value:?}");
        }
    }

    #[test]
    fn a_redirect_or_a_wrong_method_is_rejected() {
        for status in [301, 302, 307, 405, 409, 410] {
            assert!(
                matches!(classify(status, None, ""), Outcome::Rejected { .. }),
                "{status}"
            );
        }
    }

    #[test]
    fn a_rejection_without_json_keeps_a_clipped_piece_of_the_body() {
        let body = format!("<html>\n<b>Bad</b>\t{}</html>", "x".repeat(1000));
        let Outcome::Rejected { reason } = classify(400, None, &body) else {
            panic!("not rejected");
        };
        assert!(
            reason.starts_with("400 Bad Request: <html> <b>Bad</b> xxx"),
            "{reason}"
        );
        assert!(reason.chars().count() < 400, "{reason}");
    }

    #[test]
    fn an_empty_error_body_gives_the_status_phrase() {
        assert_eq!(
            classify(404, None, ""),
            Outcome::Rejected {
                reason: "404 Not Found".to_owned()
            }
        );
    }

    #[test]
    fn retry_after_counts_only_on_statuses_worth_retrying() {
        assert_eq!(
            classify(502, Some("3"), ""),
            Outcome::Retry {
                reason: "502 Bad Gateway".to_owned(),
                retry_after: Some(Duration::from_secs(3)),
            }
        );
        assert!(matches!(
            classify(400, Some("3"), ""),
            Outcome::Rejected { .. }
        ));
    }

    #[test]
    fn any_success_status_is_delivered_even_without_a_body() {
        for status in [200, 201, 202, 204] {
            assert_eq!(
                classify(status, None, ""),
                Outcome::Delivered { remote_ref: None },
                "{status}"
            );
        }
    }
}
