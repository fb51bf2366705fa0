//! Create Fulfillment as seed 002 documents it: the 200 answer, auth, body checks, known
//! orders, records and the request log.

use std::time::Duration;

use chrono::{DateTime, Utc};
use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig, FulfilledLine};
use reqwest::StatusCode;
use serde_json::json;
use tokio::net::TcpListener;

use crate::support::{
    KEY, assert_error, assert_invalid_lines, body, client, fulfill, keys, post, sandbox,
    sandbox_with, seed_body,
};

#[tokio::test]
async fn seed_002s_request_gets_seed_002s_answer() {
    let sandbox = sandbox().await;
    let before = Utc::now();
    let reply = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        keys(&reply.json),
        ["created_at", "order_id", "status", "tracking_number"]
    );
    assert_eq!(reply.json["order_id"], json!(450_789_469));
    assert_eq!(reply.json["status"], "created");
    assert_eq!(reply.json["tracking_number"], "1ZE356F8YW01937117");
    let created_at = reply.json["created_at"].as_str().unwrap();
    assert!(created_at.ends_with('Z'), "{created_at}");
    let created_at: DateTime<Utc> = created_at.parse().unwrap();
    assert!(created_at >= before - chrono::Duration::seconds(1));
    assert!(created_at <= Utc::now());
}

#[tokio::test]
async fn an_accepted_fulfillment_is_recorded_with_what_was_sent() {
    let sandbox = sandbox().await;
    let mut sent = body(json!("ORD-7"), &[("A", 2), ("B", 1)], "TRACK-1");
    sent["tracking_url"] = json!("https://track.example/TRACK-1");
    let reply = fulfill(&sandbox, &sent).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json["order_id"], "ORD-7",
        "a string id is echoed as a string"
    );

    assert_eq!(sandbox.accepted_count(), 1);
    let accepted = sandbox.accepted();
    let record = &accepted[0];
    assert_eq!(record.order_id, "ORD-7");
    assert_eq!(record.order_id_sent, json!("ORD-7"));
    assert_eq!(
        record.line_items,
        [
            FulfilledLine {
                sku: "A".to_owned(),
                quantity: 2
            },
            FulfilledLine {
                sku: "B".to_owned(),
                quantity: 1
            }
        ]
    );
    assert_eq!(record.tracking_number, "TRACK-1");
    assert_eq!(
        record.tracking_url.as_deref(),
        Some("https://track.example/TRACK-1")
    );
    assert_eq!(record.content_type.as_deref(), Some("application/json"));
    assert_eq!(record.key_header, "authorization");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&record.body).unwrap(),
        sent
    );
}

#[tokio::test]
async fn a_missing_or_wrong_key_gets_401() {
    let sandbox = sandbox().await;
    let url = sandbox.fulfillment_url();
    for key in [None, Some("wrong-key"), Some("")] {
        let reply = post(&client(), &url, key, &seed_body()).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "Unauthorized Request");
        assert_eq!(reply.json["message"], "The key provided is invalid.");
    }
    let basic = client()
        .post(&url)
        .basic_auth(KEY, None::<&str>)
        .json(&seed_body())
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sandbox.accepted_count(), 0);
}

#[tokio::test]
async fn the_key_may_come_in_a_configured_header() {
    let config = AdmSandboxConfig::new(KEY).with_api_key_header("X-ADM-Key");
    let sandbox = sandbox_with(config).await;
    let send = |key: &'static str| {
        client()
            .post(sandbox.fulfillment_url())
            .header("x-adm-key", key)
            .json(&seed_body())
            .send()
    };
    assert_eq!(send(KEY).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        send("nope").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sandbox.accepted()[0].key_header, "x-adm-key");
    // Bearer still works.
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_bad_sku_or_quantity_gets_seed_002s_400() {
    let sandbox = sandbox().await;
    let bad = [
        body(json!(1), &[("", 1)], "T"),
        body(json!(1), &[("A", 0)], "T"),
        body(json!(1), &[], "T"),
        json!({"order_id": 1, "line_items": [{"sku": "A"}], "tracking_number": "T"}),
        json!({"order_id": 1, "line_items": [{"sku": "A", "quantity": "2"}], "tracking_number": "T"}),
        json!({"order_id": 1, "tracking_number": "T"}),
    ];
    for sent in bad {
        assert_invalid_lines(&fulfill(&sandbox, &sent).await);
    }
    assert_eq!(sandbox.accepted_count(), 0);
}

#[tokio::test]
async fn a_missing_tracking_number_or_order_id_gets_400_naming_the_field() {
    let sandbox = sandbox().await;
    let mut no_tracking = seed_body();
    no_tracking
        .as_object_mut()
        .unwrap()
        .remove("tracking_number");
    let reply = fulfill(&sandbox, &no_tracking).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid Request");
    assert!(reply.text.contains("tracking_number"), "{}", reply.text);

    let mut no_id = seed_body();
    no_id.as_object_mut().unwrap().remove("order_id");
    let reply = fulfill(&sandbox, &no_id).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid Request");
    assert!(reply.text.contains("order_id"), "{}", reply.text);

    let mut nested = seed_body();
    nested["line_items_by_fulfillment_order"] = json!([]);
    let reply = fulfill(&sandbox, &nested).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Invalid Request");
    assert!(reply.text.contains("line_items_by_fulfillment_order"));
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_400_and_a_wrong_content_type_415() {
    let sandbox = sandbox().await;
    let send = |content_type: &'static str, body: &'static str| {
        client()
            .post(sandbox.fulfillment_url())
            .bearer_auth(KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let reply = crate::support::reply(send("application/json", "{not json").await.unwrap()).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "Malformed JSON");
    let reply = crate::support::reply(send("text/plain", "{}").await.unwrap()).await;
    assert_error(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported Media Type",
    );
}

#[tokio::test]
async fn an_unknown_order_gets_404_when_orders_must_be_registered() {
    let config = AdmSandboxConfig::new(KEY).with_accept_unknown_orders(false);
    let sandbox = sandbox_with(config).await;
    let reply = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.json,
        json!({
            "error": "Order Not Found",
            "message": "The order with the specified ID was not found."
        })
    );
    sandbox.register_order("450789469", &[("RPBF24-1941", 1)]);
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn more_units_than_ordered_over_two_fulfillments_get_400() {
    let sandbox = sandbox().await;
    // Seed 001's example: two lines of ABC-123, two units each.
    sandbox.register_order("987654321", &[("ABC-123", 2), ("ABC-123", 2)]);
    let first = fulfill(&sandbox, &body(json!(987_654_321), &[("ABC-123", 3)], "T1")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let second = fulfill(&sandbox, &body(json!(987_654_321), &[("ABC-123", 2)], "T2")).await;
    assert_invalid_lines(&second);
    assert_eq!(sandbox.shipped_units("987654321", "ABC-123"), Some(3));
    let last = fulfill(&sandbox, &body(json!("987654321"), &[("ABC-123", 1)], "T3")).await;
    assert_eq!(
        last.status,
        StatusCode::OK,
        "the string id is the same order"
    );
    assert_eq!(sandbox.shipped_units("987654321", "ABC-123"), Some(4));
}

#[tokio::test]
async fn a_sku_not_on_a_known_order_gets_400_and_ships_nothing() {
    let sandbox = sandbox().await;
    sandbox.register_order("55", &[("A", 1), ("B", 1)]);
    let reply = fulfill(&sandbox, &body(json!(55), &[("A", 1), ("Z", 1)], "T")).await;
    assert_invalid_lines(&reply);
    assert_eq!(sandbox.shipped_units("55", "A"), Some(0), "rejected whole");
    assert_eq!(sandbox.shipped_units("nope", "A"), None);
}

#[tokio::test]
async fn repeats_are_accepted_and_counted_as_duplicates() {
    let sandbox = sandbox().await;
    for _ in 0..3 {
        assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
    }
    assert_eq!(sandbox.accepted_count(), 3);
    assert_eq!(sandbox.duplicates(), 2);
}

#[tokio::test]
async fn every_request_is_logged_with_its_status() {
    let sandbox = sandbox().await;
    let client = client();
    let url = sandbox.fulfillment_url();
    post(&client, &url, None, &seed_body()).await;
    post(&client, &url, Some(KEY), &body(json!(9), &[("A", 0)], "T")).await;
    post(&client, &url, Some(KEY), &seed_body()).await;
    let wrong_method = client.get(&url).send().await.unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    let unknown = client
        .get(format!("{}/nowhere", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let log = sandbox.requests();
    let statuses: Vec<Option<u16>> = log.iter().map(|entry| entry.status).collect();
    assert_eq!(
        statuses,
        [Some(401), Some(400), Some(200), Some(405), Some(404)]
    );
    assert_eq!(log[1].error.as_deref(), Some("Invalid SKU or Quantity"));
    assert_eq!(log[1].order_id.as_deref(), Some("9"));
    assert_eq!(log[2].order_id.as_deref(), Some("450789469"));
    assert_eq!(log[4].path, "/nowhere");
}

#[tokio::test]
async fn waiting_for_accepted_fulfillments_ends_when_they_arrive_or_time_runs_out() {
    let sandbox = sandbox().await;
    assert!(
        !sandbox
            .wait_for_accepted(1, Duration::from_millis(50))
            .await
    );
    let url = sandbox.fulfillment_url();
    let sender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        for n in 0..2 {
            post(
                &client(),
                &url,
                Some(KEY),
                &body(json!(n), &[("A", 1)], "T"),
            )
            .await;
        }
    });
    assert!(sandbox.wait_for_accepted(2, Duration::from_secs(10)).await);
    sender.await.unwrap();
    assert!(sandbox.wait_for_accepted(2, Duration::ZERO).await);
}

#[tokio::test]
async fn a_bound_listener_and_another_path_can_be_given() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = AdmSandboxConfig::new(KEY).with_fulfillment_path("/api/v1/fulfillments");
    let sandbox = AdmSandbox::from_listener(listener, config).unwrap();
    assert_eq!(sandbox.local_addr(), addr);
    assert_eq!(sandbox.base_url(), format!("http://{addr}"));
    assert_eq!(
        sandbox.fulfillment_url(),
        format!("http://{addr}/api/v1/fulfillments")
    );
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn invalid_settings_are_refused() {
    for config in [
        AdmSandboxConfig::new(" "),
        AdmSandboxConfig::new(KEY).with_api_key_header("bad header"),
        AdmSandboxConfig::new(KEY).with_fulfillment_path("fulfillments"),
        AdmSandboxConfig::new(KEY).with_fulfillment_path("/_sandbox/faults"),
    ] {
        assert!(
            AdmSandbox::start(config.clone()).await.is_err(),
            "{config:?}"
        );
    }
    assert!(!format!("{:?}", AdmSandboxConfig::new("s3cr3t")).contains("s3cr3t"));
}

#[tokio::test]
async fn after_shutdown_nothing_answers() {
    let sandbox = sandbox().await;
    let url = sandbox.fulfillment_url();
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
    sandbox.shutdown().await;
    let error = crate::support::try_post(&client(), &url, Some(KEY), &seed_body())
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");
}

#[tokio::test]
async fn a_scripted_answer_is_given_verbatim_to_the_next_keyed_request_and_records_nothing() {
    let sandbox = sandbox().await;
    sandbox.answer_next(200, r#"{"created_at": "2024\u0000-01\u001b"}"#);
    sandbox.answer_next(400, r#"{"error": "Bad\u0000", "message": "no\nway"}"#);
    let refused = post(&client(), &sandbox.fulfillment_url(), None, &seed_body()).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "a wrong key takes none"
    );
    let first = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.text, r#"{"created_at": "2024\u0000-01\u001b"}"#);
    let second = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(second.status, StatusCode::BAD_REQUEST);
    assert_eq!(second.json["message"], "no\nway");
    assert_eq!(sandbox.accepted_count(), 0, "nothing recorded");
    let third = fulfill(&sandbox, &seed_body()).await;
    assert_eq!(
        third.status,
        StatusCode::OK,
        "handled again: {}",
        third.text
    );
    assert_eq!(sandbox.accepted_count(), 1);
    let statuses: Vec<Option<u16>> = sandbox.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(401), Some(200), Some(400), Some(200)]);
}
