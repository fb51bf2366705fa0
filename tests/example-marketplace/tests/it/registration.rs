//! What the app's one registration line relies on: `Bazaar` builds its account from its
//! settings (defaults applied by the app), names the setting at fault, and never prints a key.

use std::collections::BTreeMap;
use std::sync::Arc;

use orderbridge_domain::ports::channel::{MarketplaceKind, SettingValues};
use orderbridge_domain::ports::clock::SystemClock;
use orderbridge_example_marketplace::Bazaar;

/// Settings as the app hands them over: the operator's values over the table's defaults.
struct Values(BTreeMap<&'static str, &'static str>);

impl Values {
    fn new(set: &[(&'static str, &'static str)]) -> Self {
        let defaults = Bazaar
            .settings()
            .iter()
            .filter_map(|s| s.default.map(|d| (s.key, d)));
        Self(defaults.chain(set.iter().copied()).collect())
    }
}

impl SettingValues for Values {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).copied()
    }
}

const FULL: [(&str, &str); 3] = [
    ("base_url", "https://bazaar.example/api"),
    ("api_key", "s3cr3t-api"),
    ("webhook_keys", "s3cr3t-old, s3cr3t-new"),
];

#[test]
fn its_settings_make_one_push_account() {
    let accounts = Bazaar
        .accounts(&Values::new(&FULL), Arc::new(SystemClock))
        .unwrap();
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_eq!(account.channel().as_str(), "bazaar");
    assert_eq!(account.webhook().unwrap().marketplace(), Bazaar.name());
    assert!(account.polled().is_none());
    assert_eq!(account.capabilities(), account.marketplace().capabilities());
    let printed = format!("{account:?}");
    assert!(!printed.contains("s3cr3t"), "{printed}");
}

#[test]
fn a_missing_or_wrong_setting_is_named() {
    let clock = || Arc::new(SystemClock);
    let cases = [
        (&FULL[1..], "base_url"),
        (
            &[FULL[0], FULL[1], ("webhook_keys", " , ")][..],
            "webhook_keys",
        ),
        (&[FULL[0], FULL[2]][..], "api_key"),
        (&[FULL[1], FULL[2], ("base_url", "ftp://x")][..], "base_url"),
        (
            &[FULL[0], FULL[1], FULL[2], ("request_timeout_secs", "0")][..],
            "request_timeout_secs",
        ),
        (&[FULL[0], FULL[1], FULL[2], ("channel", "")][..], "channel"),
    ];
    for (set, key) in cases {
        let error = Bazaar.accounts(&Values::new(set), clock()).unwrap_err();
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
