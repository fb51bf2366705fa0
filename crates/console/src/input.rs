//! Reading what a browser sends: query strings and posted forms (their rejections become 400
//! pages), ids, channels, notes, and where to go back to.

use axum::Form;
use axum::extract::Query;
use axum::extract::rejection::{FormRejection, QueryRejection};
use orderbridge_domain::values::{ChannelId, CleanText};

use crate::page::Failure;

/// A query string's fields, or a 400 page.
pub(crate) fn query<T>(found: Result<Query<T>, QueryRejection>) -> Result<T, Failure> {
    found
        .map(|Query(q)| q)
        .map_err(|e| Failure::BadRequest(format!("the address's query is not valid: {e}")))
}

/// A posted form's fields, or a 400 page.
pub(crate) fn form<T>(found: Result<Form<T>, FormRejection>) -> Result<T, Failure> {
    found
        .map(|Form(f)| f)
        .map_err(|e| Failure::BadRequest(format!("the form is not valid: {e}")))
}

/// A field's value, with an empty one (a form's untouched field) as none.
pub(crate) fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// An id from the path.
pub(crate) fn id<T>(
    what: &str,
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, orderbridge_domain::values::InvalidValue>,
) -> Result<T, Failure> {
    parse(raw).map_err(|_| Failure::BadRequest(format!("{what}: expected a UUID")))
}

/// A channel account's id.
pub(crate) fn channel(raw: &str) -> Result<ChannelId, Failure> {
    ChannelId::parse(raw.trim()).map_err(|e| Failure::BadRequest(format!("channel: {e}")))
}

/// An optional channel filter.
pub(crate) fn channel_filter(raw: Option<&str>) -> Result<Option<ChannelId>, Failure> {
    given(raw).map(channel).transpose()
}

/// A note of one line, as the API takes it: refused (not cleaned) when it holds control
/// characters or is longer than `max`; `Ok(None)` when empty.
pub(crate) fn note(what: &'static str, raw: &str, max: usize) -> Result<Option<String>, String> {
    CleanText::line(max)
        .check(what, raw)
        .map_err(|e| format!("{what}: {e}"))
}

/// Where to go after an action: `back` when it is a console page, else `fallback`. (Never
/// another site: a path under `/console/` only.)
pub(crate) fn back<'a>(raw: Option<&'a str>, fallback: &'a str) -> &'a str {
    match given(raw) {
        Some(path)
            if path.starts_with("/console/")
                && !path.contains("//")
                && !path.contains('\\')
                && path.chars().all(|c| c.is_ascii_graphic()) =>
        {
            path
        }
        _ => fallback,
    }
}

/// `raw` percent-encoded for a query string (all but the unreserved characters).
pub(crate) fn url_encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{back, note, url_encode};

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(url_encode("u123_abc-DEF"), "u123_abc-DEF");
    }

    #[test]
    fn only_console_pages_are_gone_back_to() {
        assert_eq!(
            back(Some("/console/deliveries?state=dead"), "/x"),
            "/console/deliveries?state=dead"
        );
        for outside in [
            "https://evil.example/",
            "//evil.example/console/",
            "/console/\\evil",
            "/consolex",
            "/console/a b",
            "",
        ] {
            assert_eq!(back(Some(outside), "/console/orders"), "/console/orders");
        }
        assert_eq!(back(None, "/console/orders"), "/console/orders");
    }

    #[test]
    fn a_note_with_control_characters_or_too_long_is_refused() {
        assert_eq!(
            note("note", " done by hand ", 20),
            Ok(Some("done by hand".into()))
        );
        assert_eq!(note("note", "  ", 20), Ok(None));
        assert!(note("note", "a\u{0}b", 20).is_err());
        assert!(note("note", "two\nlines", 20).is_err());
        assert!(note("note", &"x".repeat(21), 20).is_err());
    }
}
