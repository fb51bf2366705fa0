//! The inbound quarantine over HTTP: an ADM order that cannot be read still gets the seed's
//! 400, and is kept whole (once per body), listed, read and discarded through the warehouse API.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    SEED_ORDER, WAREHOUSE_KEY, app, assert_error, call, get, json_request, post_order,
};

fn entries(page: &Value) -> &Vec<Value> {
    page["entries"].as_array().unwrap()
}

#[tokio::test]
async fn an_unreadable_order_gets_the_seeds_400_and_is_kept_once_whole() {
    let app = app();
    let body = SEED_ORDER
        .replace("987654321", "555")
        .replace("\"quantity\": 2", "\"quantity\": 0");
    let first = post_order(&app, &body).await;
    assert_error(&first, StatusCode::BAD_REQUEST, "Invalid SKU or Quantity");
    let again = post_order(&app, &body).await;
    assert_eq!(
        (again.status, again.json.clone()),
        (first.status, first.json.clone())
    );
    let listed = call(&app, get("/v1/inbound?state=rejected", Some(WAREHOUSE_KEY))).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(entries(&listed.json).len(), 1, "one body, kept once");
    let entry = &entries(&listed.json)[0];
    assert_eq!(entry["channel"], "adm");
    assert_eq!(entry["external_id"], "555");
    assert_eq!(entry["seen"], 2);
    assert_eq!(entry["state"], "rejected");
    assert!(
        entry["error"].as_str().unwrap().contains("quantity"),
        "{entry}"
    );
    assert!(entry.get("body_base64").is_none(), "lists leave bodies out");
    let id = entry["id"].as_str().unwrap();
    let one = call(&app, get(&format!("/v1/inbound/{id}"), Some(WAREHOUSE_KEY))).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.json["body_text"], body.as_str(), "kept whole");
    assert_eq!(one.json["body_bytes"], body.len());

    let replayed = call(
        &app,
        json_request(
            "POST",
            &format!("/v1/inbound/{id}/replay"),
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_eq!(replayed.status, StatusCode::OK, "{}", replayed.text);
    assert_eq!(replayed.json["outcome"], "still_rejected");
    assert!(
        replayed.json["error"]
            .as_str()
            .unwrap()
            .contains("quantity")
    );
    assert_eq!(replayed.json["entry"]["state"], "rejected");
    assert_eq!(replayed.json["order_id"], Value::Null);

    let discarded = call(
        &app,
        json_request(
            "POST",
            &format!("/v1/inbound/{id}/discard"),
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_eq!(discarded.status, StatusCode::OK, "{}", discarded.text);
    assert_eq!(discarded.json["state"], "discarded");
    let twice = call(
        &app,
        json_request(
            "POST",
            &format!("/v1/inbound/{id}/discard"),
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_error(&twice, StatusCode::CONFLICT, "Inbound Closed");
    let late = call(
        &app,
        json_request(
            "POST",
            &format!("/v1/inbound/{id}/replay"),
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_error(&late, StatusCode::CONFLICT, "Inbound Closed");
    let rejected = call(&app, get("/v1/inbound?state=rejected", Some(WAREHOUSE_KEY))).await;
    assert!(entries(&rejected.json).is_empty());
    let all = call(&app, get("/v1/inbound", Some(WAREHOUSE_KEY))).await;
    assert_eq!(entries(&all.json).len(), 1);
}

#[tokio::test]
async fn a_readable_order_is_not_quarantined_and_bad_queries_are_refused_by_name() {
    let app = app();
    assert_eq!(post_order(&app, SEED_ORDER).await.status, StatusCode::OK);
    let listed = call(&app, get("/v1/inbound", Some(WAREHOUSE_KEY))).await;
    assert_eq!(listed.json, json!({"entries": [], "next_cursor": null}));
    for (query, field) in [
        ("state=lost", "state"),
        ("channel=has%20space", "channel"),
        ("cursor=nope", "cursor"),
        ("limit=0", "limit"),
    ] {
        let reply = call(
            &app,
            get(&format!("/v1/inbound?{query}"), Some(WAREHOUSE_KEY)),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.text
        );
        assert!(
            reply.json["message"].as_str().unwrap().contains(field),
            "{query}"
        );
    }
    let unknown = call(
        &app,
        get(
            "/v1/inbound/0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b",
            Some(WAREHOUSE_KEY),
        ),
    )
    .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "Not Found");
    let bad = call(&app, get("/v1/inbound/123", Some(WAREHOUSE_KEY))).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "Invalid Request");
}
