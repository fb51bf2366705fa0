//! The new-orders feed over HTTP: query parameters, cursors through several pages, the end of
//! the feed, per-order failures and how failed pages are classified.

use orderbridge_domain::ports::source::{OrderSource, SourceError};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client, config, token_route, v1_order};

const NEW_ORDERS: &str = "/api/v1/orders/new";
const PAGE: &str = include_str!("../fixtures/new_orders_page.json");

async fn page_at(server: &MockServer, cursor: Option<&str>, body: serde_json::Value) {
    let mock = Mock::given(method("GET"))
        .and(path(NEW_ORDERS))
        .and(query_param("limit", "100"))
        .and(query_param("include_raw", "false"));
    let mock = match cursor {
        None => mock.and(query_param_is_missing("cursor")),
        Some(cursor) => mock.and(query_param("cursor", cursor)),
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn three_pages_are_read_by_passing_each_cursor_on_until_a_null_one() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    page_at(
        &server,
        None,
        json!({"orders": [v1_order("1"), v1_order("2")], "next_cursor": "c2"}),
    )
    .await;
    page_at(
        &server,
        Some("c2"),
        json!({"orders": [v1_order("3")], "next_cursor": "c3"}),
    )
    .await;
    page_at(
        &server,
        Some("c3"),
        json!({"orders": [v1_order("4")], "next_cursor": null}),
    )
    .await;
    let client = client(config(&server));

    let mut cursor = None;
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let page = client
            .fetch_page(cursor)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        pages += 1;
        for sourced in page.orders {
            let order = sourced.order.unwrap_or_else(|e| panic!("{e}"));
            ids.push(order.external_id.as_str().to_owned());
        }
        cursor = page.next_cursor;
        if cursor.is_none() || pages > 5 {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(ids, ["1", "2", "3", "4"]);
}

#[tokio::test]
async fn an_empty_cursor_ends_the_feed_and_a_repeated_one_does_too() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    page_at(&server, None, json!({"orders": [], "next_cursor": ""})).await;
    page_at(
        &server,
        Some("same"),
        json!({"orders": [v1_order("9")], "next_cursor": "same"}),
    )
    .await;
    let client = client(config(&server));
    let first = client
        .fetch_page(None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(first.orders.is_empty());
    assert_eq!(first.next_cursor, None);
    let repeated = client
        .fetch_page(Some("same".to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(repeated.orders.len(), 1);
    assert_eq!(repeated.next_cursor, None);
}

#[tokio::test]
async fn the_configured_path_and_page_size_are_used() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path("/api/v1/orders"))
        .and(query_param("limit", "200"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"orders": []})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(
        config(&server)
            .with_new_orders_path("/api/v1/orders")
            .with_page_limit(200),
    );
    let page = client.fetch_page(None).await;
    assert!(page.is_ok_and(|p| p.next_cursor.is_none()));
}

#[tokio::test]
async fn a_page_maps_each_order_on_its_own_and_keeps_its_exact_text() {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path(NEW_ORDERS))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PAGE, "application/json"))
        .mount(&server)
        .await;
    let page = client(config(&server))
        .fetch_page(None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.next_cursor, None);
    let [good, also_good, bad] = &page.orders[..] else {
        panic!("three orders expected: {:?}", page.orders);
    };
    let good = good.order.as_ref().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(good.external_id.as_str(), "109872189273617283");
    assert_eq!(good.channel.as_str(), "feedamp");
    let prices: Vec<String> = good
        .lines
        .iter()
        .map(|l| l.unit_price.to_string())
        .collect();
    assert_eq!(prices, ["19.99", "200"]);
    let raw = good.raw_payload.as_deref().unwrap_or_default();
    let start = PAGE
        .find("{\n      \"id\": \"109872189273617283\"")
        .unwrap_or(usize::MAX);
    assert_eq!(
        PAGE.get(start..start + raw.len()),
        Some(raw),
        "byte for byte"
    );
    assert!(also_good.order.is_ok());
    assert_eq!(
        bad.external_id.as_ref().map(|id| id.as_str()),
        Some("109872189273617285")
    );
    assert_eq!(
        bad.order,
        Err("order_info.order_lines[0].unit_price: expected a decimal number".to_owned())
    );
}

async fn page_error(response: ResponseTemplate) -> SourceError {
    let server = MockServer::start().await;
    token_route(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path(NEW_ORDERS))
        .respond_with(response)
        .mount(&server)
        .await;
    match client(config(&server)).fetch_page(None).await {
        Ok(page) => panic!("not an error: {page:?}"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn failed_pages_are_classified() {
    let error = page_error(ResponseTemplate::new(503).insert_header("Retry-After", "30")).await;
    assert!(
        matches!(error, SourceError::Retry { retry_after: Some(wait), .. } if wait.as_secs() == 30),
        "{error:?}"
    );
    let error = page_error(ResponseTemplate::new(429).insert_header("Retry-After", "4")).await;
    assert!(
        matches!(error, SourceError::RateLimited { retry_after: Some(wait), .. } if wait.as_secs() == 4),
        "{error:?}"
    );
    let error = page_error(ResponseTemplate::new(400).set_body_string("limit out of range")).await;
    assert_eq!(
        error,
        SourceError::Rejected {
            reason: "400 Bad Request: limit out of range".to_owned()
        }
    );
    let error = page_error(ResponseTemplate::new(200).set_body_string("<html>")).await;
    assert!(
        matches!(&error, SourceError::Rejected { reason } if reason.starts_with("the new-orders page is not")),
        "{error:?}"
    );
}
