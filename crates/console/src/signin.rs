//! Signing in with a warehouse key, and out. The sign-in form has a CSRF token of its own
//! (a cookie and the same value in the form), so that no other site can sign a browser in.

use axum::Extension;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::Console;
use crate::guard::{check_csrf, cookie, set_cookie, with_cookie};
use crate::input::form;
use crate::page::{PageResult, bare};
use crate::session::{SESSION_COOKIE, SIGN_IN_COOKIE, Signed, random_token, same_token};

/// What the sign-in page says above its form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignInNotice {
    signed_out: Option<String>,
    expired: Option<String>,
}

/// The sign-in form as posted.
#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    csrf: String,
}

/// The posted sign-out form.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

fn sign_in_page(token: &str, notice: Option<(bool, &str)>) -> Markup {
    let body = html! {
        section.sign-in {
            h1 { "Sign in" }
            p { "Sign in with one of the warehouse API's keys (" code { "ORDERBRIDGE_WAREHOUSE_API_KEYS" } ")." }
            @if let Some((ok, text)) = notice {
                p.flash.ok[ok].failed[!ok] role="status" id="flash" { (text) }
            }
            form method="post" action="/console/sign-in" {
                input type="hidden" name="csrf" value=(token);
                label for="key" { "Warehouse key" }
                input type="password" id="key" name="key" autocomplete="current-password" required autofocus;
                button type="submit" id="sign-in" { "Sign in" }
            }
        }
    };
    bare("Sign in", &body)
}

/// The form, with a fresh CSRF cookie.
fn form_response(
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<(bool, &str)>,
) -> Response {
    let token = random_token();
    let response = (status, Html(sign_in_page(&token, notice).into_string())).into_response();
    with_cookie(response, set_cookie(headers, SIGN_IN_COOKIE, &token, None))
}

/// `GET /console/sign-in`.
pub(crate) async fn form_page(
    headers: HeaderMap,
    notice: Result<Query<SignInNotice>, QueryRejection>,
) -> Response {
    let notice = notice.map(|Query(n)| n).unwrap_or_default();
    let text = if notice.signed_out.is_some() {
        Some((true, "You are signed out."))
    } else if notice.expired.is_some() {
        Some((
            false,
            "Your session has ended; sign in again. Nothing was changed.",
        ))
    } else {
        None
    };
    form_response(&headers, StatusCode::OK, text)
}

/// `POST /console/sign-in`: a known key opens a session.
pub(crate) async fn sign_in(
    State(console): State<Console>,
    headers: HeaderMap,
    posted: Result<Form<SignInForm>, FormRejection>,
) -> PageResult {
    let posted = form(posted)?;
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(expected, &posted.csrf) {
        return Ok(form_response(
            &headers,
            StatusCode::FORBIDDEN,
            Some((false, "The sign-in form had expired; try again.")),
        ));
    }
    if !console.inner.keys.accepts(posted.key.trim()) {
        tracing::warn!("console: a sign-in with an unknown key was refused");
        return Ok(form_response(
            &headers,
            StatusCode::UNAUTHORIZED,
            Some((false, "That key is not one of the warehouse keys.")),
        ));
    }
    let signed = console.sessions().open(console.now());
    tracing::info!("console: a session was opened");
    let response = Redirect::to("/console/orders").into_response();
    let response = with_cookie(
        response,
        set_cookie(&headers, SESSION_COOKIE, &signed.token, None),
    );
    Ok(with_cookie(
        response,
        set_cookie(&headers, SIGN_IN_COOKIE, "", Some(0)),
    ))
}

/// `POST /console/sign-out`: the session ends here and now.
pub(crate) async fn sign_out(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    headers: HeaderMap,
    posted: Result<Form<CsrfOnly>, FormRejection>,
) -> PageResult {
    let posted = form(posted)?;
    check_csrf(&signed, &posted.csrf)?;
    console.sessions().close(&signed.token);
    tracing::info!("console: a session was closed by sign-out");
    let response = Redirect::to("/console/sign-in?signed_out=1").into_response();
    Ok(with_cookie(
        response,
        set_cookie(&headers, SESSION_COOKIE, "", Some(0)),
    ))
}
