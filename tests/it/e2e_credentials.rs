//! Credentials through the real binary (issue 15 items 4 and 5): two `orderbridge` processes
//! on one PostgreSQL database, ADM's key in a custom header, the HMAC signature and a Standard
//! Webhooks signature; a call replayed to the other instance is refused, and the debug logs,
//! which show every request's headers, never show a key or a signature.

use std::time::Duration;

use orderbridge_domain::standard_webhooks::SigningKey;
use orderbridge_domain::values::Secret;
use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::json;

use crate::process::api::{ADM_KEY, SHUTDOWN_SECS, WAREHOUSE_KEY, WEBHOOK_KEY, http_client};
use crate::process::{Api, Launch, TestDb, with_adm};

/// ADM's key arrives in this header, which only the settings name.
const KEY_HEADER: &str = "X-Adm-Key";
/// The HMAC signing secret.
const HMAC_SECRET: &str = "e2e-hmac-secret";
/// The Standard Webhooks secret.
const SW_SECRET: &str = "whsec_ZTJlLXN0YW5kYXJkLXdlYmhvb2tz";

/// A signed `orders/create` call as ADM would send it: the key in its header, the HMAC of the
/// body, and the Standard Webhooks headers for `id` at `at` (Unix seconds). Returns the request
/// and the two signature values.
fn signed(
    http: &reqwest::Client,
    base_url: &str,
    id: &str,
    at: i64,
    body: &[u8],
) -> (reqwest::RequestBuilder, String, String) {
    let hmac = orderbridge_adm::webhook::sign(HMAC_SECRET, body);
    let key = SigningKey::parse(&Secret::new(SW_SECRET)).unwrap();
    let signature = key.sign(id, at, body);
    let request = http
        .post(format!("{base_url}/webhooks/adm/orders"))
        .header("content-type", "application/json")
        .header(KEY_HEADER, WEBHOOK_KEY)
        .header("X-ADM-Signature", &hmac)
        .header("webhook-id", id)
        .header("webhook-timestamp", at.to_string())
        .header("webhook-signature", &signature)
        .body(body.to_vec());
    (request, hmac, signature)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_to_another_instance_is_refused_and_no_credential_reaches_the_debug_logs() {
    let db = TestDb::create().await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let launch = with_adm(Launch::new(), &adm)
        .env("DATABASE_URL", db.url())
        .env("ORDERBRIDGE_LOG_FILTER", "debug")
        .env("ORDERBRIDGE_ADM_WEBHOOK_KEY_HEADER", KEY_HEADER)
        .env("ORDERBRIDGE_ADM_SIGNING_SECRET", HMAC_SECRET)
        .env("ORDERBRIDGE_ADM_STANDARD_WEBHOOKS_SECRET", SW_SECRET);
    let mut first = launch.serve("instance 1").await;
    let mut second = launch.serve("instance 2").await;
    let http = http_client();
    let body = json!({
        "id": "9150001",
        "created_at": "2024-05-01T08:30:00Z",
        "line_items": [{"price": "5.00", "quantity": 1, "sku": "SIG-1"}]
    })
    .to_string();

    let now = chrono::Utc::now().timestamp();
    let (call, hmac, signature) =
        signed(&http, &first.base_url(), "msg_e2e_1", now, body.as_bytes());
    let replay = call.try_clone().unwrap();
    let reply = call.send().await.unwrap();
    assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    // The very same request, to the other instance: the id is in the shared store.
    let replayed = http
        .execute(
            replay
                .build()
                .map(|mut r| {
                    *r.url_mut() = format!("{}/webhooks/adm/orders", second.base_url())
                        .parse()
                        .unwrap();
                    r
                })
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(replayed.status(), 409);
    let answer: serde_json::Value = replayed.json().await.unwrap();
    assert_eq!(answer["error"], "Webhook Already Received", "{answer}");
    // Signed six minutes ago: stale.
    let ago = now - 360;
    let (stale, _, _) = signed(&http, &second.base_url(), "msg_e2e_2", ago, body.as_bytes());
    assert_eq!(stale.send().await.unwrap().status(), 401);
    // The warehouse reads the order with its bearer key.
    let api = Api::new(&second.base_url());
    let (status, _) = api.get("/v1/orders?limit=5").await;
    assert_eq!(status, 200);

    let mut lines = Vec::new();
    for service in [&mut first, &mut second] {
        let status = service
            .terminate(Duration::from_secs(SHUTDOWN_SECS + 10))
            .await
            .expect("orderbridge exits after SIGTERM");
        assert!(status.success(), "{status}");
        lines.extend(service.logs().lines());
    }
    let text = lines.join("\n");
    // The request headers are logged at debug, by name, with credentials shown as Sensitive...
    assert!(
        text.contains("started processing request") && text.contains("x-adm-key"),
        "the debug logs show request headers"
    );
    assert!(text.contains("Sensitive"), "credential headers are marked");
    assert!(
        text.contains("webhook replay refused"),
        "the replay is logged"
    );
    // ...and no key or signature, in any line of either instance.
    let encoded = signature.trim_start_matches("v1,");
    let mut leaks = Vec::new();
    for secret in [
        WEBHOOK_KEY,
        WAREHOUSE_KEY,
        ADM_KEY,
        HMAC_SECRET,
        SW_SECRET,
        hmac.as_str(),
        encoded,
    ] {
        leaks.extend(
            lines
                .iter()
                .filter(|line| line.contains(secret))
                .map(|line| format!("{secret:?} in: {line}")),
        );
    }
    assert!(
        leaks.is_empty(),
        "{} log lines of {} carry credentials:\n{}",
        leaks.len(),
        lines.len(),
        leaks.join("\n")
    );
    db.drop_now().await;
}
