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

/// What a payload shows, and how it changes the seed.
type Case = (&'static str, fn(&mut Value));

/// Ten malformed-but-meaningful ADM payloads (issue 14): each is stored as an order (tolerance)
/// or kept in the quarantine and replayable; none is lost, and the seed still answers as
/// before.
#[tokio::test]
async fn ten_malformed_payloads_are_each_an_order_or_a_replayable_entry() {
    let app = app();
    let seed: Value = serde_json::from_str(SEED_ORDER).unwrap();
    let cases: [Case; 10] = [
        ("an email that is not an address", |v| {
            v["email"] = json!("jane at example")
        }),
        ("a three-letter country", |v| {
            v["shipping_address"]["country_code"] = json!("USA");
        }),
        ("a country name", |v| {
            v["shipping_address"]["country_code"] = json!("Germany");
        }),
        ("a date without a time", |v| {
            v["deliver_by"] = json!("2023-12-27")
        }),
        ("an unreadable date", |v| {
            v["deliver_by"] = json!("next week")
        }),
        ("a quantity as a string of digits", |v| {
            v["line_items"][0]["quantity"] = json!("2");
        }),
        ("a phone with letters", |v| {
            v["shipping_address"]["phone"] = json!("call the front desk");
        }),
        ("a quantity of zero", |v| {
            v["line_items"][0]["quantity"] = json!(0)
        }),
        ("a line without SKU", |v| {
            v["line_items"][1].as_object_mut().unwrap().remove("sku");
        }),
        ("a price that is not money", |v| {
            v["line_items"][0]["price"] = json!("a lot")
        }),
    ];
    let mut stored = 0;
    let mut kept = 0;
    for (n, (what, change)) in cases.iter().enumerate() {
        let mut payload = seed.clone();
        payload["id"] = json!(format!("77{n}"));
        change(&mut payload);
        let reply = post_order(&app, &payload.to_string()).await;
        match reply.status {
            StatusCode::OK => stored += 1,
            StatusCode::BAD_REQUEST => kept += 1,
            other => panic!("{what}: {other} {}", reply.text),
        }
    }
    let orders = call(&app, get("/v1/orders?limit=100", Some(WAREHOUSE_KEY))).await;
    let quarantined = call(&app, get("/v1/inbound?state=rejected", Some(WAREHOUSE_KEY))).await;
    assert_eq!(orders.json["orders"].as_array().unwrap().len(), stored);
    assert_eq!(entries(&quarantined.json).len(), kept);
    assert_eq!(stored + kept, 10, "none lost");
    assert_eq!(
        (stored, kept),
        (7, 3),
        "tolerated and refused as design section 11 says"
    );
    for entry in entries(&quarantined.json) {
        let id = entry["id"].as_str().unwrap();
        let replay = call(
            &app,
            json_request(
                "POST",
                &format!("/v1/inbound/{id}/replay"),
                Some(WAREHOUSE_KEY),
                "",
            ),
        )
        .await;
        assert_eq!(replay.status, StatusCode::OK, "{}", replay.text);
        assert_eq!(
            replay.json["outcome"], "still_rejected",
            "replayable, not yet readable"
        );
    }
    assert_eq!(post_order(&app, SEED_ORDER).await.status, StatusCode::OK);
}
