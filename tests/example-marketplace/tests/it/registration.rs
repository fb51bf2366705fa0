//! What the app's one registration line relies on: `Bazaar` builds its account from its
//! settings (defaults applied by the app), names the setting at fault, and never prints a key.

use std::sync::Arc;

use orderbridge_domain::ports::channel::{ChannelAccount, MarketplaceKind};
use orderbridge_domain::ports::clock::SystemClock;
use orderbridge_domain::settings::SettingError;
use orderbridge_example_marketplace::Bazaar;
use serde_json::{Map, Value, json};

/// Settings as the app hands them over: a JSON object of the keys the operator set (the
/// section's defaults fill in the rest).
fn account(set: &[(&str, Value)]) -> Result<ChannelAccount, SettingError> {
    let object: Map<String, Value> = set
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    Bazaar.account(&Value::Object(object).to_string(), Arc::new(SystemClock))
}

fn full() -> Vec<(&'static str, Value)> {
    vec![
        ("base_url", json!("https://bazaar.example/api")),
        ("api_key", json!("s3cr3t-api")),
        ("webhook_keys", json!(["s3cr3t-old", "s3cr3t-new"])),
    ]
}

fn with(
    mut set: Vec<(&'static str, Value)>,
    key: &'static str,
    value: Value,
) -> Vec<(&'static str, Value)> {
    set.retain(|(k, _)| *k != key);
    set.push((key, value));
    set
}

fn without(mut set: Vec<(&'static str, Value)>, key: &str) -> Vec<(&'static str, Value)> {
    set.retain(|(k, _)| *k != key);
    set
}

#[test]
fn its_settings_make_one_push_account() {
    let account = account(&full()).unwrap();
    assert_eq!(account.channel().as_str(), "bazaar");
    assert_eq!(account.webhook().unwrap().marketplace(), Bazaar.name());
    assert!(account.polled().is_none());
    assert_eq!(account.capabilities(), account.marketplace().capabilities());
    let printed = format!("{account:?}");
    assert!(!printed.contains("s3cr3t"), "{printed}");
}

#[test]
fn a_missing_or_wrong_setting_is_named() {
    let cases = [
        (without(full(), "base_url"), "base_url"),
        (
            with(full(), "webhook_keys", json!([" ", ""])),
            "webhook_keys",
        ),
        (without(full(), "api_key"), "api_key"),
        (with(full(), "base_url", json!("ftp://x")), "base_url"),
        (
            with(full(), "request_timeout_secs", json!(0)),
            "request_timeout_secs",
        ),
        (
            with(full(), "request_timeout_secs", json!("soon")),
            "request_timeout_secs",
        ),
        (with(full(), "channel", json!("")), "channel"),
    ];
    for (set, key) in cases {
        let error = account(&set).unwrap_err();
        assert_eq!(error.key, key, "{error}");
    }
}

#[test]
fn every_setting_it_reads_is_in_its_table() {
    let keys: Vec<&str> = Bazaar.settings().iter().map(|s| s.key).collect();
    for key in [
        "channel",
        "base_url",
        "api_key",
        "webhook_keys",
        "connect_timeout_secs",
        "request_timeout_secs",
    ] {
        assert!(keys.contains(&key), "{key}");
    }
    assert!(
        Bazaar
            .settings()
            .iter()
            .filter(|s| s.secret)
            .all(|s| s.default.is_none())
    );
}

/// The app's channel list has this shape; Bazaar is one line of it.
const MARKETPLACES: &[&dyn MarketplaceKind] = &[&Bazaar];

#[test]
fn it_fits_in_a_static_list_of_kinds() {
    let names: Vec<&str> = MARKETPLACES.iter().map(|kind| kind.name()).collect();
    assert_eq!(names, ["bazaar"]);
}
