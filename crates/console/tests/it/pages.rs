//! The pages: bad input answered with a 400 page (never a 500), customer data on an order's
//! page only, and the static files.

use axum::http::StatusCode;

use std::sync::Arc;

use orderbridge_domain::ports::store::{MockOrderStore, StoreError};

use crate::support::{app, app_over, get, post, send, sign_in};

#[tokio::test]
async fn bad_ids_and_filters_get_a_400_page_never_a_500() {
    let app = app();
    let session = sign_in(&app.router).await;
    let cookie = Some(session.cookie.as_str());
    for path in [
        "/console/orders/not-a-uuid",
        "/console/orders?status=shipped",
        "/console/orders?channel=ADM%20!",
        "/console/orders?after=junk",
        "/console/orders?on_hold=maybe",
        "/console/orders?overdue=often",
        "/console/orders?q=%00",
        "/console/deliveries?state=lost",
        "/console/deliveries?after=x",
        "/console/inbound?state=lost",
        "/console/inbound/42",
    ] {
        let reply = send(&app.router, get(path, cookie)).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.text
        );
        assert!(
            reply.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
    }
    let missing = send(
        &app.router,
        get(
            "/console/orders/0193a0b0-0000-7000-8000-000000000001",
            cookie,
        ),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let csrf = &session.csrf;
    for (path, body) in [
        ("/console/deliveries/nope/retry", format!("csrf={csrf}")),
        ("/console/channels/NOPE!/pause", format!("csrf={csrf}")),
    ] {
        let reply = send(&app.router, post(path, cookie, &body)).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.text
        );
    }
    // Refusals of an action come back as its result on the next page.
    let unknown = "/console/deliveries/0193a0b0-0000-7000-8000-000000000009/resolve";
    for (note, says) in [
        ("", "needs a note"),
        ("a%00b", "note"),
        ("done", "No delivery"),
    ] {
        let reply = send(
            &app.router,
            post(unknown, cookie, &format!("csrf={csrf}&note={note}")),
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{note}");
        let page = send(&app.router, get("/console/deliveries", cookie)).await;
        assert!(page.text.contains(says), "{note}: {}", page.text);
    }
    let retried = send(
        &app.router,
        post(
            "/console/deliveries/retry",
            cookie,
            &format!("csrf={csrf}&created_from=soon"),
        ),
    )
    .await;
    assert_eq!(retried.status, StatusCode::SEE_OTHER);
    let page = send(&app.router, get("/console/deliveries", cookie)).await;
    assert!(
        page.text.contains("queued from: expected a date"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn customer_data_shows_on_the_order_s_page_only() {
    let app = app();
    let order = app.order("5001", "jane.doe@example.com").await;
    let session = sign_in(&app.router).await;
    let cookie = Some(session.cookie.as_str());
    for path in [
        "/console/orders",
        "/console/orders?q=5001",
        "/console/deliveries?state=all",
        "/console/channels",
    ] {
        let page = send(&app.router, get(path, cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.text.contains("jane.doe"), "{path} shows the customer");
    }
    let listed = send(&app.router, get("/console/orders?q=5001", cookie)).await;
    assert!(
        listed.text.contains(&format!("/console/orders/{order}")),
        "found by its marketplace id"
    );
    let none = send(&app.router, get("/console/orders?q=5002", cookie)).await;
    assert!(none.text.contains("No orders match"));
    let page = send(
        &app.router,
        get(&format!("/console/orders/{order}"), cookie),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("jane.doe@example.com"));
}

#[tokio::test]
async fn pages_come_a_page_at_a_time() {
    let app = app();
    for n in 0..55 {
        app.order(&format!("{}", 6000 + n), "a@example.com").await;
    }
    let session = sign_in(&app.router).await;
    let cookie = Some(session.cookie.as_str());
    let first = send(&app.router, get("/console/orders", cookie)).await;
    assert_eq!(
        first
            .text
            .matches("<tr><td><a href=\"/console/orders/")
            .count(),
        50
    );
    let at = first
        .text
        .find("id=\"next-page\"")
        .map(|_| ())
        .and_then(|()| {
            let start = first.text.find("href=\"/console/orders?after=")?;
            let rest = &first.text[start + 6..];
            Some(rest[..rest.find('"')?].replace("&amp;", "&"))
        });
    let next = at.expect("a next page link");
    let second = send(&app.router, get(&next, cookie)).await;
    assert_eq!(second.status, StatusCode::OK, "{next}");
    assert_eq!(
        second
            .text
            .matches("<tr><td><a href=\"/console/orders/")
            .count(),
        5
    );
    assert!(!second.text.contains("id=\"next-page\""));
}

#[tokio::test]
async fn the_static_files_are_served_and_nothing_else() {
    let app = app();
    let css = send(&app.router, get("/console/static/console.css", None)).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let js = send(&app.router, get("/console/static/console.js", None)).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(!js.text.contains("http"), "nothing fetched from elsewhere");
    let other = send(&app.router, get("/console/static/..%2Fsecret", None)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unreachable_store_is_a_503_page_with_retry_after_never_a_500() {
    let refused = || {
        StoreError::unavailable(
            "cannot reach the store",
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"),
        )
    };
    let mut orders = MockOrderStore::new();
    orders.expect_get().returning(move |_| Err(refused()));
    orders.expect_list().returning(move |_| Err(refused()));
    orders
        .expect_find_by_external()
        .returning(move |_, _| Err(refused()));
    let app = app_over(Some(Arc::new(orders)));
    let session = sign_in_without_orders(&app.router).await;
    for path in [
        "/console/orders",
        "/console/orders?q=5001",
        "/console/orders/0193a0b0-0000-7000-8000-000000000001",
    ] {
        let reply = send(&app.router, get(path, Some(&session))).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(reply.headers.contains_key("retry-after"), "{path}");
        assert!(reply.text.contains("try again"), "{path}: {}", reply.text);
        assert!(
            !reply.text.contains("refused"),
            "no internals: {}",
            reply.text
        );
    }
}

/// A session's cookie, signed in without opening the orders page (its store is down).
async fn sign_in_without_orders(router: &axum::Router) -> String {
    let reply = crate::support::sign_in_with(router, crate::support::KEY).await;
    let (token, _) = reply.cookie("ob_console").expect("a session cookie");
    format!("ob_console={token}")
}
