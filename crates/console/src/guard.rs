//! What stands before every page: the session check (no session: to the sign-in form), the
//! CSRF check of posted forms, the cookies, and the headers every console answer carries.

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, HOST, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::Console;
use crate::page::Failure;
use crate::session::{SESSION_COOKIE, Signed, same_token};

/// Nothing but the console's own files: no inline script or style, nothing from elsewhere, no
/// framing. A second line of defence behind the escaping.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// Whether the request came to a loopback name or address (its `Host`): there the cookies go
/// without `Secure`, since plain HTTP is all a local browser has; anywhere else they need
/// HTTPS (a proxy in front that terminates TLS).
fn loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/console`, Secure outside loopback;
/// `max_age` 0 deletes it, `None` makes it last as long as the browser.
pub(crate) fn set_cookie(
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if !loopback(headers) {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Adds a `Set-Cookie` to a response.
pub(crate) fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}

/// Lets through requests with a live session (handing the handler its [`Signed`]); sends the
/// others to the sign-in form.
pub(crate) async fn require_session(
    State(console): State<Console>,
    mut request: Request,
    next: Next,
) -> Response {
    let now = console.now();
    let signed = cookie(request.headers(), SESSION_COOKIE)
        .and_then(|token| console.sessions().touch(token, now));
    match signed {
        Some(signed) => {
            request.extensions_mut().insert(signed);
            next.run(request).await
        }
        None if request.method() == Method::GET => Redirect::to("/console/sign-in").into_response(),
        // A form posted without a session: its action is refused, and the browser lands on
        // the sign-in form.
        None => Redirect::to("/console/sign-in?expired=1").into_response(),
    }
}

/// Checks a posted form's CSRF token against its session's.
///
/// # Errors
/// [`Failure::Forbidden`] when it is missing or wrong.
pub(crate) fn check_csrf(signed: &Signed, presented: &str) -> Result<(), Failure> {
    if same_token(&signed.csrf, presented) {
        Ok(())
    } else {
        Err(Failure::Forbidden(
            "this form has expired or did not come from the console; open the page again"
                .to_owned(),
        ))
    }
}

/// The headers of every console answer: its content policy, no framing, no sniffing, no
/// referrer, and no caching of pages (they hold live data, some of it personal).
pub(crate) async fn page_headers(request: Request, next: Next) -> Response {
    let is_static = request.uri().path().starts_with("/console/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !is_static {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::{cookie, loopback, set_cookie};

    fn host(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn cookies_are_secure_except_on_loopback() {
        for local in ["127.0.0.1:8080", "localhost:3000", "[::1]:80", "localhost"] {
            assert!(loopback(&host(local)), "{local}");
            let value = set_cookie(&host(local), "a", "b", None);
            assert!(!value.to_str().unwrap().contains("Secure"), "{local}");
        }
        for remote in ["ops.example.com", "10.0.0.5:8080", "[2001:db8::1]:443"] {
            let value = set_cookie(&host(remote), "a", "b", Some(60));
            let text = value.to_str().unwrap();
            assert!(text.ends_with("; Secure"), "{remote}: {text}");
            assert!(text.contains("HttpOnly; SameSite=Strict"), "{text}");
        }
        assert!(!loopback(&HeaderMap::new()), "no Host: Secure");
    }

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append("cookie", HeaderValue::from_static("x=1; ob_console=abc"));
        headers.append("cookie", HeaderValue::from_static("y=2"));
        assert_eq!(cookie(&headers, "ob_console"), Some("abc"));
        assert_eq!(cookie(&headers, "y"), Some("2"));
        assert_eq!(cookie(&headers, "ob"), None);
    }
}
