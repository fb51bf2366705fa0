//! Sessions and CSRF: no page without a session, no action without the session's token, and
//! the cookies' attributes.

use axum::http::StatusCode;

use crate::support::{KEY, app, get, post, send, sign_in, sign_in_with};

const PAGES: [&str; 7] = [
    "/console",
    "/console/orders",
    "/console/orders/0193a0b0-0000-7000-8000-000000000001",
    "/console/deliveries",
    "/console/inbound",
    "/console/inbound/0193a0b0-0000-7000-8000-000000000001",
    "/console/channels",
];

#[tokio::test]
async fn every_page_without_a_session_goes_to_the_sign_in_form() {
    let app = app();
    for path in PAGES {
        for cookie in [None, Some("ob_console=forged"), Some("ob_console=")] {
            let reply = send(&app.router, get(path, cookie)).await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path} {cookie:?}");
            assert_eq!(reply.location(), "/console/sign-in", "{path}");
        }
    }
    let reply = send(
        &app.router,
        post("/console/channels/adm/pause", None, "csrf=x"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location(), "/console/sign-in?expired=1");
    let channels = app.services.channels.channels().await.unwrap();
    assert!(
        channels.iter().all(|c| c.health.state.as_str() == "active"),
        "nothing was paused"
    );
}

#[tokio::test]
async fn a_wrong_key_or_a_sign_in_form_from_elsewhere_opens_no_session() {
    let app = app();
    let wrong = sign_in_with(&app.router, "not-the-key").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("not one of the warehouse keys"));
    assert!(wrong.cookie("ob_console").is_none());
    // Posted without the form's own cookie (from another site): refused.
    let forged = send(
        &app.router,
        post("/console/sign-in", None, &format!("key={KEY}&csrf=abc")),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.cookie("ob_console").is_none());
    let mismatched = send(
        &app.router,
        post(
            "/console/sign-in",
            Some("ob_console_sign_in=abc"),
            &format!("key={KEY}&csrf=abd"),
        ),
    )
    .await;
    assert_eq!(mismatched.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_secure_outside_loopback() {
    let app = app();
    let reply = sign_in_with(&app.router, KEY).await;
    let (_, header) = reply.cookie("ob_console").unwrap();
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Strict"),
        "{header}"
    );
    assert!(
        !header.contains("Secure"),
        "plain HTTP on loopback: {header}"
    );
    let form = send(
        &app.router,
        axum::http::Request::builder()
            .uri("/console/sign-in")
            .header("host", "ops.example.com")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    let (_, header) = form.cookie("ob_console_sign_in").unwrap();
    assert!(header.ends_with("; Secure"), "{header}");
    assert_eq!(form.headers["cache-control"], "no-store");
    let csp = form.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
}

#[tokio::test]
async fn a_form_without_the_session_s_token_changes_nothing() {
    let app = app();
    let session = sign_in(&app.router).await;
    for body in ["", "csrf=", "csrf=0000", &format!("csrf={}x", session.csrf)] {
        let reply = send(
            &app.router,
            post("/console/channels/adm/pause", Some(&session.cookie), body),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{body}: {}",
            reply.text
        );
        assert!(
            reply.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    let channels = app.services.channels.channels().await.unwrap();
    assert!(channels.iter().all(|c| c.health.state.as_str() == "active"));
    // With the token, it is paused, and the next page says so once.
    let body = format!("csrf={}&note=maintenance", session.csrf);
    let reply = send(
        &app.router,
        post("/console/channels/adm/pause", Some(&session.cookie), &body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let page = send(&app.router, get("/console/channels", Some(&session.cookie))).await;
    assert!(page.text.contains("Channel adm is paused"), "{}", page.text);
    assert!(page.text.contains("maintenance"));
    let again = send(&app.router, get("/console/channels", Some(&session.cookie))).await;
    assert!(!again.text.contains("Channel adm is paused"), "shown once");
}

#[tokio::test]
async fn after_sign_out_the_session_opens_nothing() {
    let app = app();
    let session = sign_in(&app.router).await;
    let out = send(
        &app.router,
        post(
            "/console/sign-out",
            Some(&session.cookie),
            &format!("csrf={}", session.csrf),
        ),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let (cleared, header) = out.cookie("ob_console").unwrap();
    assert!(
        cleared.is_empty() && header.contains("Max-Age=0"),
        "{header}"
    );
    let page = send(&app.router, get("/console/orders", Some(&session.cookie))).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/console/sign-in");
}
