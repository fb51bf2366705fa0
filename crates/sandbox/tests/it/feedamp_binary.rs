//! `orderbridge-sandbox feedamp`: serves a fake FeedAMP with generated orders until told to
//! stop, with its control paths reachable from another process.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use orderbridge_sandbox::FeedampOrderGenerator;
use reqwest::StatusCode;
use serde_json::json;

use crate::feedamp_support::{error_of, fetch_token, ids};
use crate::support::{client, post, reply};

const BIN: &str = env!("CARGO_BIN_EXE_orderbridge-sandbox");

#[test]
fn help_describes_feedamp_and_bad_options_fail() {
    let help = Command::new(BIN)
        .args(["feedamp", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(
        text.contains("--client-id") && text.contains("--token-ttl-secs"),
        "{text}"
    );
    for args in [
        vec!["feedamp"],
        vec!["feedamp", "--username", "u", "--password", "p"],
        vec![
            "feedamp",
            "--username",
            "u",
            "--password",
            "p",
            "--client-id",
            "c",
            "--bogus",
            "1",
        ],
        vec![
            "feedamp",
            "--username",
            "u",
            "--password",
            "p",
            "--client-id",
            "c",
            "--orders",
            "x",
        ],
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty());
    }
}

#[tokio::test]
async fn feedamp_serves_generated_orders_until_told_to_stop() {
    let mut child = Command::new(BIN)
        .args([
            "feedamp",
            "--listen",
            "127.0.0.1:0",
            "--username",
            "U",
            "--password",
            "P",
            "--client-id",
            "77",
            "--orders",
            "3",
            "--seed",
            "2",
            "--token-ttl-secs",
            "60",
        ])
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
        .strip_prefix("fake FeedAMP listening on ")
        .unwrap_or_else(|| panic!("{first_line}"))
        .to_owned();
    let http = client();

    assert_eq!(
        error_of(&fetch_token(&http, &base, "U", "bad").await, 401),
        "invalid username or password"
    );
    let token = fetch_token(&http, &base, "U", "P").await;
    let token = token.json["token"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let request = http
            .get(format!("{base}{path}"))
            .header("token", &token)
            .header("client", "77");
        async move { reply(request.send().await.unwrap()).await }
    };
    let expected: Vec<String> = FeedampOrderGenerator::new(2)
        .take(3)
        .map(|order| order.order_id().unwrap().to_owned())
        .collect();
    assert_eq!(ids(&get("/api/v1/orders/new".to_owned()).await), expected);

    let confirmed = reply(
        http.put(format!("{base}/api/v1/orders/{}/confirm", expected[0]))
            .header("token", &token)
            .header("client", "77")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    post(
        &http,
        &format!("{base}/_sandbox/faults"),
        None,
        &json!({"server_errors": 1}),
    )
    .await;
    assert_eq!(
        get("/api/v1/orders".to_owned()).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let added = post(
        &http,
        &format!("{base}/_sandbox/orders"),
        None,
        &json!({"count": 2, "seed": 8}),
    )
    .await;
    assert_eq!(added.json["added"].as_array().unwrap().len(), 2);
    assert_eq!(ids(&get("/api/v1/orders".to_owned()).await).len(), 4);

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
            rest.iter().any(|l| l.contains("1 order(s) confirmed")),
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
