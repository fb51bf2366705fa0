//! `Idempotency-Key`: the fake ADM answers a key seen before with the first answer and records
//! nothing more; the fake FeedAMP only logs the key. Both logs carry it.

use orderbridge_sandbox::AdmSandboxConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::feedamp_support::{Api, feedamp, two_line_order};
use crate::support::{KEY, Reply, body, client, fulfill, reply, sandbox, sandbox_with, seed_body};

const FIRST: &str = "0190f00d-0000-7000-8000-000000000001";
const SECOND: &str = "0190f00d-0000-7000-8000-000000000002";

/// POSTs `body` to the fake ADM with `api_key` and `Idempotency-Key: key`.
async fn fulfill_with(url: &str, api_key: &str, key: &str, body: &Value) -> Reply {
    let request = client()
        .post(url)
        .bearer_auth(api_key)
        .header("Idempotency-Key", key)
        .json(body);
    reply(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_re_sent_key_gets_the_first_answer_and_records_no_second_fulfillment() {
    let sandbox = sandbox().await;
    let url = sandbox.fulfillment_url();
    let first = fulfill_with(&url, KEY, FIRST, &seed_body()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    // Later, so that a fresh answer would carry another `created_at` second.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let again = fulfill_with(&url, KEY, FIRST, &seed_body()).await;
    assert_eq!(again.status, first.status);
    assert_eq!(again.text, first.text, "the same body, byte for byte");
    assert_eq!(sandbox.accepted_count(), 1);
    assert_eq!(sandbox.duplicates(), 0);

    // Another key, or none, is another fulfillment, as before.
    assert_eq!(
        fulfill_with(&url, KEY, SECOND, &seed_body()).await.status,
        StatusCode::OK
    );
    assert_eq!(fulfill(&sandbox, &seed_body()).await.status, StatusCode::OK);
    assert_eq!(sandbox.accepted_count(), 3);
    assert_eq!(sandbox.duplicates(), 2);

    let log = sandbox.requests();
    let keys: Vec<(Option<&str>, bool)> = log
        .iter()
        .map(|entry| (entry.idempotency_key.as_deref(), entry.replayed))
        .collect();
    assert_eq!(
        keys,
        [
            (Some(FIRST), false),
            (Some(FIRST), true),
            (Some(SECOND), false),
            (None, false)
        ]
    );
}

#[tokio::test]
async fn a_refusal_leaves_the_key_free_so_a_re_send_after_the_fix_is_accepted() {
    let sandbox = sandbox_with(AdmSandboxConfig::new(KEY).with_accept_unknown_orders(false)).await;
    let url = sandbox.fulfillment_url();
    let order = body(json!(77), &[("A", 2)], "1ZREPLAY");
    // The order check refuses, twice: nothing was recorded, so nothing is replayed.
    assert_eq!(
        fulfill_with(&url, KEY, FIRST, &order).await.status,
        StatusCode::NOT_FOUND
    );
    sandbox.register_order("77", &[("A", 1)]);
    let too_many = fulfill_with(&url, KEY, FIRST, &order).await;
    assert_eq!(
        too_many.status,
        StatusCode::BAD_REQUEST,
        "{}",
        too_many.text
    );
    // A wrong API key, an injected fault and a bad body record nothing either.
    assert_eq!(
        fulfill_with(&url, "wrong", FIRST, &order).await.status,
        StatusCode::UNAUTHORIZED
    );
    sandbox.faults().fail_next(1);
    assert_eq!(
        fulfill_with(&url, KEY, FIRST, &order).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let bad = fulfill_with(&url, KEY, FIRST, &json!({"order_id": 77})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(sandbox.accepted_count(), 0);

    // The cause is fixed at ADM: the same delivery goes through, once.
    sandbox.register_order("77", &[("A", 2)]);
    let accepted = fulfill_with(&url, KEY, FIRST, &order).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
    assert_eq!(
        fulfill_with(&url, KEY, FIRST, &order).await.text,
        accepted.text
    );
    // A wrong API key with a recorded key is refused, not answered from the record.
    assert_eq!(
        fulfill_with(&url, "wrong", FIRST, &order).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sandbox.accepted_count(), 1);
    let replayed: Vec<bool> = sandbox.requests().iter().map(|e| e.replayed).collect();
    assert_eq!(
        replayed,
        [false, false, false, false, false, false, true, false]
    );
}

#[tokio::test]
async fn requests_sent_at_once_with_one_key_are_handled_once() {
    let sandbox = sandbox().await;
    let url = sandbox.fulfillment_url();
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let url = url.clone();
        sends.spawn(async move { fulfill_with(&url, KEY, FIRST, &seed_body()).await });
    }
    let replies = sends.join_all().await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    assert!(replies.iter().all(|r| r.text == replies[0].text));
    assert_eq!(sandbox.accepted_count(), 1);
    let fresh = sandbox.requests().iter().filter(|e| !e.replayed).count();
    assert_eq!(fresh, 1);
}

#[tokio::test]
async fn the_control_path_shows_keys_and_a_reset_forgets_them() {
    let sandbox = sandbox().await;
    let url = sandbox.fulfillment_url();
    fulfill_with(&url, KEY, FIRST, &seed_body()).await;
    fulfill_with(&url, KEY, FIRST, &seed_body()).await;
    let base = sandbox.base_url();
    let requests = reply(
        client()
            .get(format!("{base}/_sandbox/requests"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(requests.json["requests"][0]["idempotency_key"], FIRST);
    assert_eq!(requests.json["requests"][0]["replayed"], false);
    assert_eq!(requests.json["requests"][1]["replayed"], true);
    sandbox.reset();
    fulfill_with(&url, KEY, FIRST, &seed_body()).await;
    assert_eq!(sandbox.accepted_count(), 1, "handled afresh after a reset");
    assert!(!sandbox.requests()[0].replayed);
}

#[tokio::test]
async fn the_fake_feedamp_logs_the_key_and_handles_every_request() {
    let sandbox = feedamp().await;
    let id = sandbox.add_order(two_line_order()).unwrap();
    let api = Api::new(&sandbox).await;
    let url = format!("{}/api/v1/orders/{id}/confirm", sandbox.base_url());
    for _ in 0..2 {
        let confirmed = api
            .http
            .put(&url)
            .header("token", &api.token)
            .header("client", &api.client)
            .header("Idempotency-Key", FIRST)
            .send()
            .await
            .unwrap();
        assert_eq!(confirmed.status(), StatusCode::OK);
    }
    assert_eq!(sandbox.confirm_count(&id), 2);
    let keys: Vec<Option<String>> = sandbox
        .requests()
        .into_iter()
        .map(|entry| entry.idempotency_key)
        .collect();
    assert_eq!(keys, [None, Some(FIRST.to_owned()), Some(FIRST.to_owned())]);
    let shown = reply(
        client()
            .get(format!("{}/_sandbox/requests", sandbox.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        shown.json["requests"][1]["idempotency_key"], FIRST,
        "{}",
        shown.text
    );
}
