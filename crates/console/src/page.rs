//! The page shell (head, navigation, the last action's result), the error pages, and how
//! times, ages and ids are shown.

use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use orderbridge_domain::ports::store::{StoreError, is_unavailable};

use crate::Console;
use crate::session::{Flash, Signed};

/// The navigation: path and label.
const NAV: [(&str, &str); 4] = [
    ("/console/orders", "Orders"),
    ("/console/deliveries", "Deliveries"),
    ("/console/inbound", "Inbound quarantine"),
    ("/console/channels", "Channels"),
];

/// What a signed-in page needs besides its data: the CSRF token for its forms and the last
/// action's result.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub csrf: String,
    pub flash: Option<Flash>,
}

impl Ctx {
    /// The context of `signed`'s page, taking its flash.
    pub(crate) fn new(console: &Console, signed: &Signed) -> Self {
        Self {
            csrf: signed.csrf.clone(),
            flash: console.sessions().take_flash(&signed.token),
        }
    }

    /// The hidden CSRF field of a form.
    pub(crate) fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }
}

/// The document around a page's body.
fn document(title: &str, nav: Option<(&str, &Ctx)>, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · orderbridge console" }
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/console.js" defer {}
            }
            body {
                header.top {
                    span.brand { "orderbridge" }
                    @if let Some((current, ctx)) = nav {
                        nav {
                            @for (path, label) in NAV {
                                a href=(path) aria-current=[(path == current).then_some("page")] { (label) }
                            }
                        }
                        form.sign-out method="post" action="/console/sign-out" {
                            (ctx.csrf_field())
                            button type="submit" id="sign-out" { "Sign out" }
                        }
                    }
                }
                main {
                    @if let Some((_, ctx)) = nav {
                        @if let Some(flash) = &ctx.flash {
                            p.flash.ok[flash.ok].failed[!flash.ok] role="status" id="flash" { (flash.text) }
                        }
                    }
                    (body)
                }
            }
        }
    }
}

/// A signed-in page: `section` is the navigation entry it belongs to.
pub(crate) fn page(title: &str, section: &str, ctx: &Ctx, body: &Markup) -> Response {
    Html(document(title, Some((section, ctx)), body).into_string()).into_response()
}

/// A page outside a session (the sign-in form).
pub(crate) fn bare(title: &str, body: &Markup) -> Markup {
    document(title, None, body)
}

/// Why a page could not be shown: each is an HTML page with its status, never a 500 for a
/// caller's mistake.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A bad id or filter (400).
    BadRequest(String),
    /// A form without the session's CSRF token (403).
    Forbidden(String),
    /// No such thing (404).
    NotFound(String),
    /// The store cannot be reached for now (503 with `Retry-After`).
    Unavailable,
    /// Anything else (500, logged; its details are not shown).
    Internal,
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        if is_unavailable(&error) {
            tracing::warn!(error = %error, "console: the store cannot be reached");
            Self::Unavailable
        } else {
            tracing::error!(error = %error, "console: a store call failed");
            Self::Internal
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            Self::BadRequest(text) => (StatusCode::BAD_REQUEST, text),
            Self::Forbidden(text) => (StatusCode::FORBIDDEN, text),
            Self::NotFound(text) => (StatusCode::NOT_FOUND, format!("{text} was not found")),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store cannot be reached right now; try again in a moment".to_owned(),
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on the server; it has been logged".to_owned(),
            ),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let body = html! {
            h1 { (title) }
            p.failed id="error" { (text) }
            p { a href="/console/orders" { "Back to the orders" } }
        };
        let mut response = (status, Html(bare(title, &body).into_string())).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
        }
        response
    }
}

/// The result of a page handler.
pub(crate) type PageResult = Result<Response, Failure>;

/// After an action: its result kept for the next page, and the browser sent there (303).
pub(crate) fn done(console: &Console, signed: &Signed, flash: Flash, to: &str) -> Response {
    console.sessions().set_flash(&signed.token, flash);
    Redirect::to(to).into_response()
}

/// A time as `2026-01-31 14:05:09 UTC`.
pub(crate) fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// An optional time, or a dash.
pub(crate) fn time_opt(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "–".to_owned(), time)
}

/// An age in seconds as `3d 4h`, `2h 5m`, `4m 10s` or `12s`.
pub(crate) fn age(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// The last 8 characters of an id, for tables (the full id is in the link or title): ids are
/// UUIDv7, whose first characters are the time and alike for ids made together.
pub(crate) fn short(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::age;

    #[test]
    fn ages_read_in_their_two_largest_units() {
        assert_eq!(age(-5), "0s");
        assert_eq!(age(42), "42s");
        assert_eq!(age(250), "4m 10s");
        assert_eq!(age(7_500), "2h 5m");
        assert_eq!(age(3 * 86_400 + 4 * 3_600 + 59), "3d 4h");
    }
}
