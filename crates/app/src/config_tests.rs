//! Tests of the typed configuration: defaults, stores, marketplace accounts, errors naming
//! their setting.

use orderbridge_domain::ports::webhook::Headers;

use super::{Config, Database};
use crate::settings::Loaded;

fn config(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
    let vars = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    Config::from_settings(&Loaded::load(None, vars)?)
}

fn from_file(text: &str) -> anyhow::Result<Config> {
    Config::from_settings(&Loaded::load(Some(("ob.toml", text)), Vec::new())?)
}

#[test]
fn with_nothing_set_orderbridge_runs_on_sqlite_without_channels() {
    let config = config(&[]).unwrap();
    assert_eq!(
        config.database,
        Database::Sqlite {
            path: "orderbridge.sqlite".to_owned(),
            busy_timeout: std::time::Duration::from_secs(30),
        }
    );
    assert!(config.accounts.is_empty());
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
}

#[test]
fn a_postgres_url_selects_postgres() {
    let postgres = config(&[("DATABASE_URL", "postgres://postgres@127.0.0.1/db")]).unwrap();
    assert!(matches!(
        postgres.database,
        Database::Postgres {
            max_connections: 10,
            ..
        }
    ));
    assert!(
        config(&[("DATABASE_URL", "mysql://x")])
            .unwrap_err()
            .to_string()
            .contains("DATABASE_URL")
    );
}

#[test]
fn enabling_adm_requires_its_keys_and_url() {
    let error = config(&[("ORDERBRIDGE_ADM_WEBHOOK_KEYS", "k")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("ORDERBRIDGE_ADM_BASE_URL"), "{error}");
    let error = config(&[("ORDERBRIDGE_ADM_BASE_URL", "https://adm.example")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("ORDERBRIDGE_ADM_WEBHOOK_KEYS"), "{error}");
    let ok = config(&[
        ("ORDERBRIDGE_ADM_BASE_URL", "https://adm.example"),
        ("ORDERBRIDGE_ADM_WEBHOOK_KEYS", "k1, k2"),
        ("ORDERBRIDGE_ADM_API_KEY", "secret"),
    ])
    .unwrap();
    let webhook = ok.accounts.first().and_then(|a| a.webhook()).unwrap();
    for key in ["k1", "k2"] {
        let headers = Headers::new([("authorization".to_owned(), format!("Bearer {key}"))]);
        assert!(webhook.authenticate(&headers).is_ok(), "{key} is accepted");
    }
}

#[test]
fn enabling_feedamp_requires_its_credentials_and_checks_its_page_limit() {
    let error = config(&[("ORDERBRIDGE_FEEDAMP_BASE_URL", "https://f.example")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("ORDERBRIDGE_FEEDAMP_USERNAME"), "{error}");
    let full = [
        ("ORDERBRIDGE_FEEDAMP_BASE_URL", "https://f.example"),
        ("ORDERBRIDGE_FEEDAMP_USERNAME", "u"),
        ("ORDERBRIDGE_FEEDAMP_PASSWORD", "p"),
        ("ORDERBRIDGE_FEEDAMP_CLIENT_ID", "42"),
    ];
    let ok = config(&full).unwrap();
    assert_eq!(
        ok.accounts
            .first()
            .and_then(|a| a.polled())
            .map(|p| p.interval.as_secs()),
        Some(60)
    );
    let mut bad = full.to_vec();
    bad.push(("ORDERBRIDGE_FEEDAMP_PAGE_LIMIT", "500"));
    assert!(config(&bad).unwrap_err().to_string().contains("feedamp"));
}

#[test]
fn bad_values_name_their_setting() {
    for (name, value) in [
        ("ORDERBRIDGE_LISTEN", "localhost"),
        ("ORDERBRIDGE_LOG_FORMAT", "xml"),
        ("ORDERBRIDGE_DISPATCH_CONCURRENCY", "0"),
        ("ORDERBRIDGE_ADM_CURRENCY", "dollars"),
    ] {
        let mut pairs = vec![(name, value)];
        if name.contains("ADM") {
            pairs.extend([
                ("ORDERBRIDGE_ADM_BASE_URL", "https://adm.example"),
                ("ORDERBRIDGE_ADM_WEBHOOK_KEYS", "k"),
                ("ORDERBRIDGE_ADM_API_KEY", "s"),
            ]);
        }
        let error = config(&pairs).unwrap_err().to_string();
        assert!(error.contains(name), "{name}: {error}");
    }
}

const TWO_OF_EACH: &str = "[[adm]]\nchannel = \"adm-us\"\nwebhook_keys = [\"us-in\"]\nbase_url = \"http://127.0.0.1:1\"\napi_key = \"us-out\"\n\
    [[adm]]\nchannel = \"adm-eu\"\ncurrency = \"EUR\"\nwebhook_keys = [\"eu-in\"]\nbase_url = \"http://127.0.0.1:2\"\napi_key = \"eu-out\"\n\
    [[feedamp]]\nchannel = \"feedamp-a\"\nbase_url = \"http://127.0.0.1:3\"\nusername = \"a\"\npassword = \"pa\"\nclient_id = \"1\"\n\
    [[feedamp]]\nchannel = \"feedamp-b\"\nbase_url = \"http://127.0.0.1:4\"\nusername = \"b\"\npassword = \"pb\"\nclient_id = \"2\"\n";

#[test]
fn several_accounts_per_marketplace_each_with_its_channel() {
    let config = from_file(TWO_OF_EACH).unwrap();
    let pushed: Vec<&str> = (config.accounts.iter())
        .filter(|a| a.webhook().is_some())
        .map(|a| a.channel().as_str())
        .collect();
    assert_eq!(pushed, ["adm-us", "adm-eu"]);
    let polled: Vec<&str> = (config.accounts.iter())
        .filter(|a| a.polled().is_some())
        .map(|a| a.channel().as_str())
        .collect();
    assert_eq!(polled, ["feedamp-a", "feedamp-b"]);
}

#[test]
fn two_accounts_on_one_channel_are_refused() {
    let same = TWO_OF_EACH.replace("adm-eu", "adm-us");
    let error = from_file(&same).unwrap_err().to_string();
    assert!(
        error.contains("adm-us") && error.contains("channel"),
        "{error}"
    );
    let missing = TWO_OF_EACH.replace("api_key = \"eu-out\"\n", "");
    let error = from_file(&missing).unwrap_err().to_string();
    assert!(error.contains("adm[1].api_key"), "{error}");
}

#[test]
fn retention_is_unset_by_default_read_in_days_and_never_zero() {
    assert_eq!(config(&[]).unwrap().retention, None, "keep everything");
    let days = config(&[("ORDERBRIDGE_RETENTION_DAYS", "30")]).unwrap();
    assert_eq!(days.retention.map(|p| p.get()), Some(30));
    let file = from_file("[retention]\ndays = 365\n").unwrap();
    assert_eq!(file.retention.map(|p| p.get()), Some(365));
    let zero = config(&[("ORDERBRIDGE_RETENTION_DAYS", "0")])
        .unwrap_err()
        .to_string();
    assert!(zero.contains("ORDERBRIDGE_RETENTION_DAYS"), "{zero}");
    assert!(zero.contains("at least 1 day"), "{zero}");
    let in_file = from_file("[retention]\ndays = 0\n")
        .unwrap_err()
        .to_string();
    assert!(in_file.contains("`retention.days` in ob.toml"), "{in_file}");
    let text = config(&[("ORDERBRIDGE_RETENTION_DAYS", "a month")])
        .unwrap_err()
        .to_string();
    assert!(text.contains("ORDERBRIDGE_RETENTION_DAYS"), "{text}");
}

/// The error of a configuration that sets `pairs` over a complete ADM, FeedAMP and alerts
/// setup whose URLs are all https.
fn with_urls(pairs: &[(&'static str, &'static str)]) -> anyhow::Result<Config> {
    let mut all = vec![
        ("ORDERBRIDGE_ADM_BASE_URL", "https://adm.example"),
        ("ORDERBRIDGE_ADM_WEBHOOK_KEYS", "k"),
        ("ORDERBRIDGE_ADM_API_KEY", "s"),
        ("ORDERBRIDGE_FEEDAMP_BASE_URL", "https://feedamp.example"),
        ("ORDERBRIDGE_FEEDAMP_USERNAME", "u"),
        ("ORDERBRIDGE_FEEDAMP_PASSWORD", "p"),
        ("ORDERBRIDGE_FEEDAMP_CLIENT_ID", "42"),
        (
            "ORDERBRIDGE_ALERTS_WEBHOOK_URL",
            "https://hooks.example/T0/B0/x",
        ),
    ];
    for (name, value) in pairs {
        all.retain(|(n, _)| n != name);
        all.push((name, value));
    }
    config(&all)
}

#[test]
fn marketplace_and_alert_urls_are_https_and_plain_http_fails_naming_the_setting() {
    assert!(with_urls(&[]).is_ok(), "https everywhere");
    for (name, url, key) in [
        (
            "ORDERBRIDGE_ADM_BASE_URL",
            "http://adm.example",
            "adm[0].base_url",
        ),
        (
            "ORDERBRIDGE_FEEDAMP_BASE_URL",
            "http://feedamp.example",
            "feedamp[0].base_url",
        ),
        (
            "ORDERBRIDGE_ALERTS_WEBHOOK_URL",
            "http://hooks.example/x",
            "alerts.webhook_url",
        ),
    ] {
        let error = with_urls(&[(name, url)]).unwrap_err().to_string();
        assert!(
            error.contains(name) && error.contains(key) && error.contains("allow_insecure_http"),
            "{name}: {error}"
        );
    }
}

#[test]
fn plain_http_to_loopback_or_with_the_insecure_setting_is_accepted() {
    for url in [
        "http://127.0.0.1:8081",
        "http://localhost:8081",
        "http://[::1]:8081",
        "http://127.0.0.2",
    ] {
        let urls = [
            ("ORDERBRIDGE_ADM_BASE_URL", url),
            ("ORDERBRIDGE_FEEDAMP_BASE_URL", url),
            ("ORDERBRIDGE_ALERTS_WEBHOOK_URL", url),
        ];
        assert!(with_urls(&urls).is_ok(), "{url}");
    }
    let insecure = with_urls(&[
        ("ORDERBRIDGE_ADM_BASE_URL", "http://adm.example"),
        ("ORDERBRIDGE_ADM_ALLOW_INSECURE_HTTP", "true"),
        ("ORDERBRIDGE_FEEDAMP_BASE_URL", "http://feedamp.example"),
        ("ORDERBRIDGE_FEEDAMP_ALLOW_INSECURE_HTTP", "true"),
        ("ORDERBRIDGE_ALERTS_WEBHOOK_URL", "http://hooks.example/x"),
        ("ORDERBRIDGE_ALERTS_ALLOW_INSECURE_HTTP", "true"),
    ])
    .unwrap();
    assert!(insecure.alerts.unwrap().allow_insecure_http);
    // The setting is per account: allowing it for ADM leaves FeedAMP refused.
    let error = with_urls(&[
        ("ORDERBRIDGE_ADM_BASE_URL", "http://adm.example"),
        ("ORDERBRIDGE_ADM_ALLOW_INSECURE_HTTP", "true"),
        ("ORDERBRIDGE_FEEDAMP_BASE_URL", "http://feedamp.example"),
    ])
    .unwrap_err()
    .to_string();
    assert!(error.contains("ORDERBRIDGE_FEEDAMP_BASE_URL"), "{error}");
}

#[test]
fn the_statement_timeout_defaults_to_30_s_and_bounds_sqlites_lock_wait() {
    let postgres = [("DATABASE_URL", "postgres://postgres@127.0.0.1/db")];
    let Database::Postgres {
        statement_timeout, ..
    } = config(&postgres).unwrap().database
    else {
        panic!("not postgres");
    };
    assert_eq!(statement_timeout, std::time::Duration::from_secs(30));
    let mut set = postgres.to_vec();
    set.push(("ORDERBRIDGE_DATABASE_STATEMENT_TIMEOUT_MS", "1500"));
    assert!(matches!(
        config(&set).unwrap().database,
        Database::Postgres { statement_timeout, .. } if statement_timeout.as_millis() == 1500
    ));
    let sqlite = config(&[("ORDERBRIDGE_DATABASE_STATEMENT_TIMEOUT_MS", "2500")]).unwrap();
    assert!(matches!(
        sqlite.database,
        Database::Sqlite { busy_timeout, .. } if busy_timeout.as_millis() == 2500
    ));
    let unlimited = config(&[("ORDERBRIDGE_DATABASE_STATEMENT_TIMEOUT_MS", "0")]).unwrap();
    assert!(matches!(
        unlimited.database,
        Database::Sqlite { busy_timeout, .. } if busy_timeout.as_secs() == 5
    ));
}

#[test]
fn the_configuration_prints_no_secret_in_debug() {
    let config = with_urls(&[
        ("DATABASE_URL", "postgres://u:db-pw@127.0.0.1/db"),
        ("ORDERBRIDGE_WAREHOUSE_API_KEYS", "wh-api-key"),
        ("ORDERBRIDGE_ALERTS_SIGNING_SECRET", "alert-s3cret"),
        ("ORDERBRIDGE_ADM_STANDARD_WEBHOOKS_SECRET", "sw-s3cret"),
    ])
    .unwrap();
    let debug = format!("{config:?}");
    for secret in [
        "db-pw",
        "wh-api-key",
        "alert-s3cret",
        "sw-s3cret",
        "T0/B0",
        "\"p\"",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(debug.contains("hooks.example"), "{debug}");
}

#[test]
fn overdue_orders_are_checked_every_minute_unless_set_and_never_every_zero_seconds() {
    assert_eq!(
        config(&[]).unwrap().overdue_check,
        std::time::Duration::from_secs(60)
    );
    let file = from_file("[orders]\noverdue_check_secs = 5\n").unwrap();
    assert_eq!(file.overdue_check, std::time::Duration::from_secs(5));
    let error = config(&[("ORDERBRIDGE_ORDERS_OVERDUE_CHECK_SECS", "0")])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("ORDERBRIDGE_ORDERS_OVERDUE_CHECK_SECS"),
        "{error}"
    );
}

#[test]
fn the_server_limits_have_defaults_and_are_read_from_the_file_and_the_environment() {
    use std::time::Duration;

    let defaults = config(&[]).unwrap();
    assert_eq!(defaults.server, crate::server::ServerConfig::default());
    assert_eq!(defaults.server.header_read_timeout, Duration::from_secs(10));
    assert_eq!(defaults.server.idle_timeout, Duration::from_secs(60));
    assert_eq!(defaults.server.max_connections, 1024);
    assert_eq!(defaults.api.max_in_flight, 256);

    let file = from_file(
        "[http]\nheader_read_timeout_ms = 1500\nidle_timeout_secs = 5\nmax_connections = 20\nmax_in_flight = 7\n",
    )
    .unwrap();
    assert_eq!(file.server.header_read_timeout, Duration::from_millis(1500));
    assert_eq!(file.server.idle_timeout, Duration::from_secs(5));
    assert_eq!(file.server.max_connections, 20);
    assert_eq!(file.api.max_in_flight, 7);

    let env = config(&[
        ("ORDERBRIDGE_HTTP_MAX_IN_FLIGHT", "3"),
        ("ORDERBRIDGE_HTTP_MAX_CONNECTIONS", "4"),
    ])
    .unwrap();
    assert_eq!((env.api.max_in_flight, env.server.max_connections), (3, 4));
}

#[test]
fn server_limits_of_zero_are_refused_naming_their_setting() {
    for name in [
        "ORDERBRIDGE_HTTP_HEADER_READ_TIMEOUT_MS",
        "ORDERBRIDGE_HTTP_IDLE_TIMEOUT_SECS",
        "ORDERBRIDGE_HTTP_MAX_CONNECTIONS",
        "ORDERBRIDGE_HTTP_MAX_IN_FLIGHT",
    ] {
        let error = config(&[(name, "0")]).unwrap_err().to_string();
        assert!(error.contains(name), "{name}: {error}");
    }
}

#[test]
fn an_instance_dispatches_unless_told_not_to() {
    assert!(config(&[]).unwrap().dispatching);
    assert!(
        !config(&[("ORDERBRIDGE_DISPATCH_ENABLED", "false")])
            .unwrap()
            .dispatching
    );
    assert!(
        !from_file("[dispatch]\nenabled = false\n")
            .unwrap()
            .dispatching
    );
    let error = config(&[("ORDERBRIDGE_DISPATCH_ENABLED", "sometimes")]).unwrap_err();
    assert!(
        format!("{error:#}").contains("ORDERBRIDGE_DISPATCH_ENABLED"),
        "{error:#}"
    );
}
