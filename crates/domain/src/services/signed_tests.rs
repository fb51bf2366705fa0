//! Signed calls: valid, wrong, stale and replayed, and a failed call's retry.

use std::sync::Arc;

use chrono::TimeDelta;

use super::{CallRefused, SignedCalls};
use crate::ports::webhook::Headers;
use crate::standard_webhooks::{SignatureError, SigningKey};
use crate::testing::ManualClock;
use crate::values::{ChannelId, Secret};

const BODY: &[u8] = br#"{"id":"1001"}"#;

fn key() -> SigningKey {
    SigningKey::parse(&Secret::new("whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=")).unwrap()
}

fn signed(clock: &ManualClock, id: &str, body: &[u8]) -> Headers {
    use crate::ports::clock::Clock;
    let at = clock.now().timestamp();
    Headers::new([
        ("webhook-id".to_owned(), id.to_owned()),
        ("webhook-timestamp".to_owned(), at.to_string()),
        ("webhook-signature".to_owned(), key().sign(id, at, body)),
    ])
}

fn setup() -> (Arc<ManualClock>, SignedCalls, ChannelId) {
    let clock = Arc::new(ManualClock::fixed());
    let calls = SignedCalls::in_process(clock.clone());
    (clock, calls, ChannelId::parse("adm").unwrap())
}

#[tokio::test]
async fn a_valid_call_is_admitted_once_and_its_replay_refused_within_the_window() {
    let (clock, calls, adm) = setup();
    let headers = signed(&clock, "msg_1", BODY);
    assert!(calls.check_headers(&headers).is_ok());
    assert!(calls.admit(&adm, &key(), &headers, BODY).await.is_ok());
    clock.advance(TimeDelta::minutes(4));
    assert!(matches!(
        calls.admit(&adm, &key(), &headers, BODY).await,
        Err(CallRefused::Replayed(id)) if id == "msg_1"
    ));
    // The same id on another channel account is another call.
    let other = ChannelId::parse("adm-eu").unwrap();
    assert!(calls.admit(&other, &key(), &headers, BODY).await.is_ok());
}

#[tokio::test]
async fn a_wrong_signature_or_a_stale_timestamp_is_refused_and_records_nothing() {
    let (clock, calls, adm) = setup();
    let headers = signed(&clock, "msg_2", BODY);
    let wrong = calls
        .admit(&adm, &key(), &headers, br#"{"id":"1002"}"#)
        .await;
    assert!(matches!(
        wrong,
        Err(CallRefused::Unsigned(SignatureError::Mismatch))
    ));
    let other_key = SigningKey::parse(&Secret::new("not the key")).unwrap();
    assert!(matches!(
        calls.admit(&adm, &other_key, &headers, BODY).await,
        Err(CallRefused::Unsigned(SignatureError::Mismatch))
    ));
    // Refused calls were not recorded: the genuine one is admitted.
    assert!(calls.admit(&adm, &key(), &headers, BODY).await.is_ok());

    let stale = signed(&clock, "msg_3", BODY);
    clock.advance(TimeDelta::minutes(5) + TimeDelta::seconds(1));
    assert_eq!(
        calls.check_headers(&stale).unwrap_err(),
        SignatureError::Stale
    );
    assert!(matches!(
        calls.admit(&adm, &key(), &stale, BODY).await,
        Err(CallRefused::Unsigned(SignatureError::Stale))
    ));
}

#[tokio::test]
async fn a_call_that_failed_here_is_admitted_again_when_its_sender_retries() {
    let (clock, calls, adm) = setup();
    let first = signed(&clock, "msg_4", BODY);
    let admitted = calls.admit(&adm, &key(), &first, BODY).await.unwrap();
    calls.failed(&admitted).await.unwrap();
    // The retry: the same id, a new timestamp and signature.
    clock.advance(TimeDelta::seconds(30));
    let retry = signed(&clock, "msg_4", BODY);
    assert!(calls.admit(&adm, &key(), &retry, BODY).await.is_ok());
    assert!(matches!(
        calls.admit(&adm, &key(), &retry, BODY).await,
        Err(CallRefused::Replayed(_))
    ));
}
