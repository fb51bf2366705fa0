//! `GET /v1/orders?overdue=true`: overdue orders only (deadline past at the clock's time, units
//! still open), oldest deadline first, paged by a cursor of their own, combined with `status`
//! and `channel`; every order says whether it is overdue.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    SEED_ORDER, WAREHOUSE_KEY, app, assert_error, call, get, json_request, post_order,
};

/// Stores the seed order as `external_id` due at `deliver_by` (none for `None`); returns its id.
async fn due(app: &axum::Router, external_id: &str, deliver_by: Option<&str>) -> String {
    let mut body: Value = serde_json::from_str(SEED_ORDER).unwrap();
    body["id"] = json!(external_id);
    match deliver_by {
        Some(at) => body["deliver_by"] = json!(at),
        None => {
            body.as_object_mut().unwrap().remove("deliver_by");
        }
    }
    let reply = post_order(app, &body.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let found = call(
        app,
        get(
            &format!("/v1/orders?channel=adm&external_id={external_id}"),
            Some(WAREHOUSE_KEY),
        ),
    )
    .await;
    found.json["orders"][0]["id"].as_str().unwrap().to_owned()
}

async fn ship(app: &axum::Router, id: &str, tracking: &str, units: u32) {
    let body =
        json!({"tracking_number": tracking, "line_items": [{"sku": "ABC-123", "quantity": units}]});
    let reply = call(
        app,
        json_request(
            "POST",
            &format!("/v1/orders/{id}/fulfillments"),
            Some(WAREHOUSE_KEY),
            &body.to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
}

/// The external ids of a page, and its cursor.
async fn page(app: &axum::Router, query: &str) -> (Vec<String>, Option<String>) {
    let reply = call(
        app,
        get(&format!("/v1/orders?{query}"), Some(WAREHOUSE_KEY)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
    let ids = reply.json["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["external_id"].as_str().unwrap().to_owned())
        .collect();
    let next = reply.json["next_cursor"].as_str().map(str::to_owned);
    (ids, next)
}

#[tokio::test]
async fn overdue_orders_come_oldest_deadline_first_a_page_at_a_time() {
    // The test clock stands at 2024-04-30T12:00:00Z.
    let app = app();
    due(&app, "LATE-2", Some("2024-01-02T00:00:00Z")).await;
    due(&app, "FUTURE", Some("2030-01-01T00:00:00Z")).await;
    due(&app, "LATE-1", Some("2023-12-01T00:00:00Z")).await;
    due(&app, "NO-DEADLINE", None).await;
    let shipped = due(&app, "SHIPPED", Some("2023-11-01T00:00:00Z")).await;
    ship(&app, &shipped, "T-ALL", 4).await;
    let partly = due(&app, "PARTLY", Some("2024-04-30T11:59:59Z")).await;
    ship(&app, &partly, "T-ONE", 1).await;

    let (first, next) = page(&app, "overdue=true&limit=2").await;
    assert_eq!(first, ["LATE-1", "LATE-2"]);
    let next = next.expect("a second page");
    let (rest, last) = page(&app, &format!("overdue=true&limit=2&cursor={next}")).await;
    assert_eq!((rest, last), (vec!["PARTLY".to_owned()], None));

    let (partial, _) = page(&app, "overdue=true&status=partially_fulfilled").await;
    assert_eq!(partial, ["PARTLY"]);
    let (open_adm, _) = page(&app, "overdue=true&status=open&channel=adm").await;
    assert_eq!(open_adm, ["LATE-1", "LATE-2"]);
    let (other_channel, _) = page(&app, "overdue=true&channel=feedamp").await;
    assert!(other_channel.is_empty());
    let (fulfilled, _) = page(&app, "overdue=true&status=fulfilled").await;
    assert!(fulfilled.is_empty(), "a fulfilled order is never overdue");
    let (found, _) = page(&app, "overdue=true&channel=adm&external_id=FUTURE").await;
    assert!(found.is_empty(), "the order found by its id is not overdue");

    // Without it, or false, every order, oldest change first, each saying whether it is late.
    let (all, _) = page(&app, "overdue=false").await;
    assert_eq!(all.len(), 6);
    let reply = call(&app, get("/v1/orders", Some(WAREHOUSE_KEY))).await;
    let overdue: Vec<(&str, bool)> = reply.json["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["external_id"].as_str().unwrap(),
                o["overdue"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        overdue,
        [
            ("LATE-2", true),
            ("FUTURE", false),
            ("LATE-1", true),
            ("NO-DEADLINE", false),
            ("SHIPPED", false),
            ("PARTLY", true),
        ]
    );
    let one = call(
        &app,
        get(&format!("/v1/orders/{partly}"), Some(WAREHOUSE_KEY)),
    )
    .await;
    assert_eq!(
        (&one.json["overdue"], &one.json["deliver_by"]),
        (&json!(true), &json!("2024-04-30T11:59:59Z"))
    );
}

#[tokio::test]
async fn a_cursor_of_one_listing_is_refused_by_the_other_naming_cursor() {
    let app = app();
    for n in 0..3 {
        due(&app, &format!("C-{n}"), Some("2024-01-01T00:00:00Z")).await;
    }
    let (_, by_change) = page(&app, "limit=1").await;
    let (_, by_deadline) = page(&app, "overdue=true&limit=1").await;
    let (by_change, by_deadline) = (by_change.unwrap(), by_deadline.unwrap());
    assert_ne!(by_change, by_deadline);
    for query in [
        format!("overdue=true&cursor={by_change}"),
        format!("cursor={by_deadline}"),
        format!("overdue=false&cursor={by_deadline}"),
    ] {
        let reply = call(
            &app,
            get(&format!("/v1/orders?{query}"), Some(WAREHOUSE_KEY)),
        )
        .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid Query");
        let message = reply.json["message"].as_str().unwrap();
        assert!(message.starts_with("cursor: "), "{query}: {message}");
    }
}

#[tokio::test]
async fn a_bad_overdue_value_or_updated_after_with_it_is_400_naming_the_parameter() {
    let app = app();
    for (query, field) in [
        ("overdue=yes", "overdue"),
        ("overdue=1", "overdue"),
        (
            "overdue=true&updated_after=2024-01-01T00:00:00Z",
            "updated_after",
        ),
        ("overdue=true&on_hold=true", "on_hold"),
        ("on_hold=maybe", "on_hold"),
    ] {
        let reply = call(
            &app,
            get(&format!("/v1/orders?{query}"), Some(WAREHOUSE_KEY)),
        )
        .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid Query");
        let message = reply.json["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{field}: ")),
            "{query}: {message}"
        );
    }
}

#[test]
fn the_document_describes_the_parameter_and_the_field() {
    let document: Value = serde_json::from_str(&orderbridge_http::openapi_json()).unwrap();
    let parameters = document["paths"]["/v1/orders"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let overdue = parameters.iter().find(|p| p["name"] == "overdue").unwrap();
    assert_eq!(overdue["in"], "query");
    assert!(
        overdue["schema"].to_string().contains("boolean"),
        "{overdue}"
    );
    let order = &document["components"]["schemas"]["OrderOut"];
    assert_eq!(order["properties"]["overdue"]["type"], "boolean");
    assert!(
        order["required"]
            .as_array()
            .unwrap()
            .contains(&json!("overdue"))
    );
}
