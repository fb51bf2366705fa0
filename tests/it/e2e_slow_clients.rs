//! Slow and hostile clients against the real binary (issue 15 item 2): 300 connections that
//! send their headers a byte at a time are closed within the header read timeout while a
//! normal webhook is answered in under a second; requests past `http.max_in_flight` get 503
//! with `Retry-After` at once, not timeouts.

use std::time::{Duration, Instant};

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::e2e_lifecycle::seed_order;
use crate::process::api::{ADM_KEY, WEBHOOK_KEY, http_client, webhook_sender};
use crate::process::{Launch, TempDir, with_adm};

const HEADER_TIMEOUT: Duration = Duration::from_millis(1500);
const SLOW_CLIENTS: usize = 300;

/// Opens a connection and sends a request's header a byte every 200 ms, never finishing it;
/// returns how long the server kept it open (None: still open after `give_up`).
async fn slow_header(address: std::net::SocketAddr, give_up: Duration) -> Option<Duration> {
    let mut stream = TcpStream::connect(address).await.expect("connecting");
    let opened = Instant::now();
    let header = b"POST /webhooks/adm/orders HTTP/1.1\r\nhost: orderbridge\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut buffer = [0_u8; 512];
    for byte in header.iter().cycle() {
        if opened.elapsed() > give_up {
            return None;
        }
        if stream.write_all(&[*byte]).await.is_err() {
            return Some(opened.elapsed());
        }
        // Closed by the server: a read ends (EOF, or a 408 answer then EOF) or fails.
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some(opened.elapsed()),
            Ok(Ok(_)) => {
                let _ = tokio::time::timeout(give_up, stream.read_to_end(&mut Vec::new())).await;
                return Some(opened.elapsed());
            }
            Err(_) => {}
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_clients_are_cut_at_the_header_timeout_and_others_are_still_served() {
    let dir = TempDir::new();
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let service = with_adm(Launch::new(), &adm)
        .cwd(dir.path())
        .env(
            "ORDERBRIDGE_HTTP_HEADER_READ_TIMEOUT_MS",
            &HEADER_TIMEOUT.as_millis().to_string(),
        )
        .env("ORDERBRIDGE_HTTP_MAX_CONNECTIONS", "512")
        .serve("orderbridge")
        .await;
    let address = service.address();
    let give_up = HEADER_TIMEOUT * 10;
    let slow: Vec<_> = (0..SLOW_CLIENTS)
        .map(|_| tokio::spawn(slow_header(address, give_up)))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Meanwhile, an ordinary webhook.
    let started = Instant::now();
    let reply = webhook_sender(&service.base_url())
        .send(&seed_order("5550001"))
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        took < Duration::from_secs(1),
        "answered in {took:?} beside the slow clients"
    );

    let mut kept = Vec::new();
    for task in slow {
        kept.push(task.await.unwrap());
    }
    let still_open = kept.iter().filter(|k| k.is_none()).count();
    assert_eq!(still_open, 0, "every slow client is closed");
    // The timeout counts from the connection's start; a second of margin for a busy machine.
    let longest = kept.iter().flatten().max().copied().unwrap_or_default();
    assert!(
        longest <= HEADER_TIMEOUT + Duration::from_secs(1),
        "the slowest was held {longest:?}, timeout {HEADER_TIMEOUT:?}"
    );
}

/// A webhook whose body never finishes: it holds one in-flight request until it is dropped.
async fn held_request(address: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.expect("connecting");
    let head = format!(
        "POST /webhooks/adm/orders HTTP/1.1\r\nhost: orderbridge\r\nauthorization: Bearer {WEBHOOK_KEY}\r\n\
         content-type: application/json\r\ncontent-length: 1000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.expect("writing");
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_over_max_in_flight_gets_503_with_retry_after_not_timeouts() {
    let dir = TempDir::new();
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let service = with_adm(Launch::new(), &adm)
        .cwd(dir.path())
        .env("ORDERBRIDGE_HTTP_MAX_IN_FLIGHT", "4")
        .serve("orderbridge")
        .await;
    let address = service.address();
    // Four requests in flight, their bodies still on the way.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(held_request(address).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let http = http_client();
    let url = format!("{}/v1/orders", service.base_url());
    let started = Instant::now();
    let burst: Vec<_> = (0..40)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                let response = http
                    .get(url)
                    .bearer_auth(crate::process::api::WAREHOUSE_KEY)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .expect("answered, not timed out");
                let retry = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap_or("").to_owned());
                let status = response.status().as_u16();
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                (status, retry, body)
            })
        })
        .collect();
    for task in burst {
        let (status, retry, body) = task.await.unwrap();
        assert_eq!(status, 503, "{body}");
        assert_eq!(retry.as_deref(), Some("1"));
        assert_eq!(body["error"], "Overloaded", "{body}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shed at once: {:?}",
        started.elapsed()
    );
    let health = http
        .get(format!("{}/healthz", service.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "liveness is exempt");

    // Once the held requests go, requests are served again.
    drop(held);
    let served = crate::process::eventually(Duration::from_secs(5), async || {
        let response = http
            .get(&url)
            .bearer_auth(crate::process::api::WAREHOUSE_KEY)
            .send()
            .await;
        response.is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(served, "served again once the in-flight requests ended");
}
