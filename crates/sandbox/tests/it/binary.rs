//! The `orderbridge-sandbox` binary: help, serving a fake ADM, and sending generated orders.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use orderbridge_sandbox::{AdmOrderGenerator, AdmSandboxConfig};
use reqwest::StatusCode;
use serde_json::json;

use crate::sender::receiver;
use crate::support::{KEY, body, client, post, sandbox_with};

const BIN: &str = env!("CARGO_BIN_EXE_orderbridge-sandbox");

async fn run(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || Command::new(BIN).args(args).output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn help_lists_the_commands_and_a_wrong_command_fails() {
    for args in [vec!["--help"], vec!["help"], vec!["adm", "--help"], vec![]] {
        let output = run(args.iter().map(|s| (*s).to_owned()).collect()).await;
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains("adm-orders") && text.contains("--accept-unknown-orders"));
    }
    for args in [
        vec!["nope"],
        vec!["adm"],
        vec!["adm", "--api-key"],
        vec!["adm", "--bogus", "1"],
    ] {
        let output = run(args.iter().map(|s| (*s).to_owned()).collect()).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty());
    }
}

#[tokio::test]
async fn adm_serves_until_told_to_stop() {
    let mut child = Command::new(BIN)
        .args(["adm", "--listen", "127.0.0.1:0", "--api-key", KEY])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (first_line, lines) = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        (lines.next().unwrap().unwrap(), lines)
    })
    .await
    .unwrap();
    let base = first_line
        .strip_prefix("fake ADM listening on ")
        .unwrap_or_else(|| panic!("{first_line}"))
        .to_owned();
    let url = format!("{base}/fulfillments");
    let client = client();

    // Without --accept-unknown-orders, orders must be registered first.
    let seed = body(json!(450_789_469), &[("RPBF24-1941", 1)], "1Z");
    assert_eq!(
        post(&client, &url, Some(KEY), &seed).await.status,
        StatusCode::NOT_FOUND
    );
    let registration =
        json!({"id": "450789469", "line_items": [{"sku": "RPBF24-1941", "quantity": 1}]});
    post(
        &client,
        &format!("{base}/_sandbox/orders"),
        None,
        &registration,
    )
    .await;
    post(
        &client,
        &format!("{base}/_sandbox/faults"),
        None,
        &json!({"server_errors": 1}),
    )
    .await;
    let failed = post(&client, &url, Some(KEY), &seed).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        post(&client, &url, Some(KEY), &seed).await.status,
        StatusCode::OK
    );

    #[cfg(unix)]
    {
        let pid = child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let (status, rest) = tokio::task::spawn_blocking(move || {
            let rest: Vec<String> = lines.map_while(Result::ok).collect();
            (child.wait().unwrap(), rest)
        })
        .await
        .unwrap();
        assert!(status.success(), "{status:?}");
        assert!(
            rest.iter().any(|l| l.contains("1 fulfillment(s) accepted")),
            "{rest:?}"
        );
    }
    #[cfg(not(unix))]
    {
        drop(lines);
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[tokio::test]
async fn adm_orders_sends_generated_orders_and_registers_them_with_a_fake_adm() {
    let (webhook, received) = receiver().await;
    let config = AdmSandboxConfig::new(KEY).with_accept_unknown_orders(false);
    let sandbox = sandbox_with(config).await;
    let args = [
        "adm-orders",
        "--webhook",
        &webhook,
        "--api-key",
        "hook-key",
        "--count",
        "3",
        "--seed",
        "2",
        "--signing-secret",
        "s",
        "--register-with",
        &sandbox.base_url(),
    ];
    let output = run(args.iter().map(|s| (*s).to_owned()).collect()).await;
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let expected: Vec<_> = AdmOrderGenerator::new(2).take(3).collect();
    for order in &expected {
        assert!(
            stdout.contains(&format!("order {}: 200", order.id)),
            "{stdout}"
        );
        let (sku, _) = &order.lines[0];
        assert_eq!(sandbox.shipped_units(&order.id, sku), Some(0), "registered");
    }
    let seen = received.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for ((headers, body), order) in seen.iter().zip(&expected) {
        assert_eq!(headers["authorization"], "Bearer hook-key");
        assert!(headers.contains_key("x-adm-signature"));
        let sent: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(sent["id"], order.id.as_str());
        assert_eq!(sent["line_items"], order.payload["line_items"]);
    }
}
