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
        Database::Sqlite("orderbridge.sqlite".to_owned())
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
    let error = config(&[("ORDERBRIDGE_ADM_BASE_URL", "http://adm")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("ORDERBRIDGE_ADM_WEBHOOK_KEYS"), "{error}");
    let ok = config(&[
        ("ORDERBRIDGE_ADM_BASE_URL", "http://adm"),
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
    let error = config(&[("ORDERBRIDGE_FEEDAMP_BASE_URL", "http://f")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("ORDERBRIDGE_FEEDAMP_USERNAME"), "{error}");
    let full = [
        ("ORDERBRIDGE_FEEDAMP_BASE_URL", "http://f"),
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
                ("ORDERBRIDGE_ADM_BASE_URL", "http://adm"),
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
