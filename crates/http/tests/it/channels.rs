//! The channel routes: every configured channel with its health and queue; an operator's pause
//! and resume; refusals by name.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{WAREHOUSE_KEY, app, assert_error, call, get, json_request, stored_order};

fn post(path: &str, body: &Value) -> axum::http::Request<axum::body::Body> {
    json_request("POST", path, Some(WAREHOUSE_KEY), &body.to_string())
}

fn channel<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == id)
        .unwrap_or_else(|| panic!("{id} listed: {list}"))
}

#[tokio::test]
async fn channels_are_listed_paused_and_resumed_by_an_operator() {
    let app = app();
    let id = stored_order(&app, "C1").await;
    let shipped = call(
        &app,
        post(
            &format!("/v1/orders/{id}/fulfillments"),
            &json!({"tracking_number": "T1", "line_items": [{"sku": "ABC-123", "quantity": 1}]}),
        ),
    )
    .await;
    assert_eq!(shipped.status, StatusCode::CREATED, "{}", shipped.text);
    let listed = call(&app, get("/v1/channels", Some(WAREHOUSE_KEY))).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let adm = channel(&listed.json, "adm");
    assert_eq!(adm["state"], "active");
    assert_eq!(
        (adm["pending"].clone(), adm["parked"].clone()),
        (json!(1), json!(0))
    );
    assert!(adm["oldest_pending_age_secs"].as_i64().unwrap() >= 0);
    assert_eq!(channel(&listed.json, "feedamp")["pending"], 0);

    let paused = call(
        &app,
        post(
            "/v1/channels/adm/pause",
            &json!({"note": "ADM maintenance until 14:00"}),
        ),
    )
    .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.text);
    assert_eq!(paused.json["state"], "paused");
    assert_eq!(paused.json["paused_by"], "operator");
    assert_eq!(paused.json["state_reason"], "ADM maintenance until 14:00");
    let default_note = call(&app, post("/v1/channels/feedamp/pause", &json!({}))).await;
    assert_eq!(default_note.json["state_reason"], "paused by an operator");
    let listed = call(&app, get("/v1/channels", Some(WAREHOUSE_KEY))).await;
    assert_eq!(channel(&listed.json, "adm")["state"], "paused");

    let resumed = call(
        &app,
        json_request("POST", "/v1/channels/adm/resume", Some(WAREHOUSE_KEY), ""),
    )
    .await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.text);
    assert_eq!(resumed.json["state"], "active");
    assert_eq!(resumed.json["state_reason"], Value::Null);
}

#[tokio::test]
async fn an_unknown_channel_or_a_bad_note_is_refused_by_name() {
    let app = app();
    let unknown = call(&app, post("/v1/channels/bazaar/pause", &json!({}))).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "Not Found");
    assert!(unknown.json["message"].as_str().unwrap().contains("bazaar"));
    let unknown = call(
        &app,
        json_request(
            "POST",
            "/v1/channels/bazaar/resume",
            Some(WAREHOUSE_KEY),
            "",
        ),
    )
    .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "Not Found");
    let bad = call(&app, post("/v1/channels/adm/pause", &json!({"note": " "}))).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "Invalid Request");
    assert!(bad.json["message"].as_str().unwrap().starts_with("note"));
    let typo = call(
        &app,
        post("/v1/channels/adm/pause", &json!({"reason": "x"})),
    )
    .await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST, "{}", typo.text);
    let listed = call(&app, get("/v1/channels", Some(WAREHOUSE_KEY))).await;
    assert_eq!(
        channel(&listed.json, "adm")["state"],
        "active",
        "refusals change nothing"
    );
}
