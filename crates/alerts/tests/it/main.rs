//! The alerts webhook against a local receiver: the body, the Standard Webhooks headers and
//! signature, and how each answer is classified.

use std::time::Duration;

use chrono::{DateTime, Utc};
use orderbridge_alerts::{WebhookAlerts, body};
use orderbridge_domain::alert::{Alert, AlertKind};
use orderbridge_domain::ports::alerts::AlertSink;
use orderbridge_domain::ports::marketplace::Outcome;
use orderbridge_domain::standard_webhooks::SigningKey;
use orderbridge_domain::values::{AlertId, ChannelId, DeliveryId, OrderId, Secret};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn alert() -> Alert {
    Alert {
        id: AlertId::from_uuid(Uuid::now_v7()),
        kind: AlertKind::DeliveryParked,
        channel: ChannelId::parse("adm").unwrap(),
        order_id: Some(OrderId::from_uuid(Uuid::now_v7())),
        delivery_id: Some(DeliveryId::from_uuid(Uuid::now_v7())),
        message: "fulfillment parked: rejected: 400 Invalid SKU".to_owned(),
        at: DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap(),
    }
}

#[tokio::test]
async fn an_alert_is_posted_as_json_with_the_signed_standard_webhooks_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    // The specification's example secret form.
    let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let sink = WebhookAlerts::new(
        &format!("{}/hook", server.uri()),
        Some(&secret),
        Duration::from_secs(5),
        false,
    )
    .unwrap();
    let alert = alert();
    assert_eq!(
        sink.send(&alert).await,
        Outcome::Delivered { remote_ref: None }
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let json: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(json["kind"], "delivery_parked");
    assert_eq!(json["channel"], "adm");
    assert_eq!(json["order_id"], alert.order_id.unwrap().to_string());
    assert_eq!(json["delivery_id"], alert.delivery_id.unwrap().to_string());
    assert_eq!(json["message"], alert.message);
    assert_eq!(json["at"], "2024-04-30T12:00:00Z");
    assert!(
        json["text"]
            .as_str()
            .unwrap()
            .contains("Delivery parked on adm")
    );
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("webhook-id"), alert.id.to_string());
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
    assert!((Utc::now().timestamp() - timestamp).abs() < 60);
    let key = SigningKey::parse(&secret).unwrap();
    assert_eq!(
        header("webhook-signature"),
        key.sign(&alert.id.to_string(), timestamp, &request.body)
    );
    assert_eq!(
        request.body,
        body(&alert),
        "the body signed is the body sent"
    );
}

#[test]
fn the_signature_matches_the_standard_webhooks_reference_example() {
    // From the Standard Webhooks reference libraries' tests.
    let key = SigningKey::parse(&Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).unwrap();
    let signed = key.sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

#[tokio::test]
async fn answers_are_classified_and_an_unsigned_alert_has_no_signature() {
    let server = MockServer::start().await;
    for (route, status) in [
        ("/busy", 503),
        ("/slow", 429),
        ("/gone", 404),
        ("/nope", 400),
    ] {
        Mock::given(method("POST"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(status).insert_header("retry-after", "7"))
            .mount(&server)
            .await;
    }
    let sink = |route: &str| {
        WebhookAlerts::new(
            &format!("{}{route}", server.uri()),
            None,
            Duration::from_secs(5),
            false,
        )
        .unwrap()
    };
    let alert = alert();
    assert!(matches!(
        sink("/busy").send(&alert).await,
        Outcome::Retry { retry_after: Some(d), .. } if d == Duration::from_secs(7)
    ));
    assert!(matches!(
        sink("/slow").send(&alert).await,
        Outcome::Retry { .. }
    ));
    assert!(matches!(
        sink("/gone").send(&alert).await,
        Outcome::Rejected { .. }
    ));
    assert!(matches!(
        sink("/nope").send(&alert).await,
        Outcome::Rejected { .. }
    ));
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("webhook-signature").is_none())
    );
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("webhook-id").is_some())
    );
    let closed = WebhookAlerts::new(
        "http://127.0.0.1:9/hook",
        None,
        Duration::from_secs(2),
        false,
    )
    .unwrap();
    assert!(
        matches!(closed.send(&alert).await, Outcome::Retry { .. }),
        "connection refused"
    );
}

#[test]
fn a_bad_url_or_secret_is_refused_by_name() {
    for url in ["ftp://example.com/x", "not a url", "/relative"] {
        let error = WebhookAlerts::new(url, None, Duration::from_secs(1), false).unwrap_err();
        assert!(
            error.to_string().starts_with("alerts.webhook_url"),
            "{error}"
        );
    }
    let error = WebhookAlerts::new(
        "https://example.com/x",
        Some(&Secret::new("whsec_!!notbase64")),
        Duration::from_secs(1),
        false,
    )
    .unwrap_err();
    assert!(
        error.to_string().starts_with("alerts.signing_secret"),
        "{error}"
    );
}

#[test]
fn plain_http_is_refused_by_name_except_to_loopback_or_when_allowed() {
    let error = WebhookAlerts::new(
        "http://hooks.example/x",
        None,
        Duration::from_secs(1),
        false,
    )
    .unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("alerts.webhook_url") && text.contains("allow_insecure_http"),
        "{text}"
    );
    for (url, insecure) in [
        ("https://hooks.example/x", false),
        ("http://hooks.example/x", true),
        ("http://127.0.0.1:9/x", false),
        ("http://[::1]:9/x", false),
        ("http://localhost:9/x", false),
    ] {
        assert!(
            WebhookAlerts::new(url, None, Duration::from_secs(1), insecure).is_ok(),
            "{url} refused"
        );
    }
}
