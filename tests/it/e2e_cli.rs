//! The command line of the real binary (issue 7 §3): `config` redacts secrets, `--version`
//! prints the version, and `serve` refuses bad settings with a message naming them.

use std::time::Duration;

use crate::process::{Launch, TempDir};

const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_prints_the_settings_with_every_secret_redacted() {
    let secrets = [
        "hunter2-xyz",
        "webhook-s3cret-1",
        "wh-s3cret-2",
        "pg-s3cret-3",
        "signing-s3cret-4",
        "standard-s3cret-5",
    ];
    let (status, stdout, stderr) = Launch::new()
        .env("ORDERBRIDGE_ADM_API_KEY", secrets[0])
        .env("ORDERBRIDGE_ADM_WEBHOOK_KEYS", secrets[1])
        .env(
            "ORDERBRIDGE_ADM_BASE_URL",
            "https://adm.example.invalid:8081",
        )
        .env("ORDERBRIDGE_WAREHOUSE_API_KEYS", secrets[2])
        .env(
            "DATABASE_URL",
            &format!("postgres://ob:{}@db.example.invalid/ob", secrets[3]),
        )
        .env("ORDERBRIDGE_ADM_SIGNING_SECRET", secrets[4])
        .env("ORDERBRIDGE_ADM_STANDARD_WEBHOOKS_SECRET", secrets[5])
        .run(&["config"], PATIENCE)
        .await;
    assert!(status.success(), "{status}: {stderr}");
    // The values that are no secret are shown, with where they came from...
    assert!(
        stdout.contains("https://adm.example.invalid:8081"),
        "{stdout}"
    );
    assert!(stdout.contains("ORDERBRIDGE_ADM_BASE_URL"), "{stdout}");
    assert!(stdout.contains("127.0.0.1:0"), "{stdout}");
    // ...and each secret as [redacted] only.
    for key in [
        "adm.api_key",
        "adm.webhook_keys",
        "warehouse.api_keys",
        "database.url",
        "adm.signing_secret",
        "adm.standard_webhooks_secret",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no line for {key}:\n{stdout}"));
        assert!(line.contains("[redacted]"), "{line}");
    }
    for secret in secrets {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} printed:\n{stdout}\n{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_prints_the_version() {
    let (status, stdout, stderr) = Launch::new().run(&["--version"], PATIENCE).await;
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(
        stdout.trim(),
        format!("orderbridge {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_bad_settings_with_a_message_naming_them() {
    // Run where a start by mistake would leave no file behind in the workspace.
    let dir = TempDir::new();
    // (variable, value, whether the message quotes the value)
    for (name, value, quoted) in [
        ("ORDERBRIDGE_DISPATCH_CONCURRENCY", "lots", true),
        ("ORDERBRIDGE_ADM_BASEURL", "x", false),
        ("ORDERBRIDGE_LOG_FORMAT", "xml", true),
        ("DATABASE_URL", "mysql://db.example.invalid/ob", false),
        // Plain http to a host that is not loopback: alerts would travel in clear.
        (
            "ORDERBRIDGE_ALERTS_WEBHOOK_URL",
            "http://hooks.example.invalid/x",
            false,
        ),
    ] {
        let (status, stdout, stderr) = Launch::new()
            .cwd(dir.path())
            .env(name, value)
            .run(&["serve"], PATIENCE)
            .await;
        assert!(
            !status.success(),
            "{name}={value}: serve exited with {status}\n{stdout}{stderr}"
        );
        assert!(
            stderr.contains(name),
            "{name}={value}: the message does not name {name}:\n{stderr}"
        );
        if quoted {
            assert!(
                stderr.contains(&format!("{value:?}")),
                "{name}={value}: {stderr}"
            );
        }
    }
    assert!(
        !dir.path().join("orderbridge.sqlite").exists(),
        "serve opened a store despite the bad settings"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_lease_shorter_than_one_marketplace_call() {
    let dir = TempDir::new();
    let (status, stdout, stderr) = Launch::new()
        .cwd(dir.path())
        .env("ORDERBRIDGE_ADM_BASE_URL", "http://127.0.0.1:9")
        .env("ORDERBRIDGE_ADM_API_KEY", "adm-key")
        .env("ORDERBRIDGE_ADM_WEBHOOK_KEYS", "hook-key")
        .env("ORDERBRIDGE_ADM_REQUEST_TIMEOUT_SECS", "20")
        .env("ORDERBRIDGE_DISPATCH_LEASE_SECS", "10")
        .run(&["serve"], PATIENCE)
        .await;
    assert!(
        !status.success(),
        "serve exited with {status}\n{stdout}{stderr}"
    );
    assert!(
        stderr.contains("dispatch.lease_secs (10 s) is shorter than one call to channel adm")
            && stderr.contains("at least 20"),
        "{stderr}"
    );
}
