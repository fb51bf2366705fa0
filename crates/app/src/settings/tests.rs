//! Tests of loading settings: the layers, accounts, errors that name their setting, secrets.

use serde_json::Value;

use super::{Loaded, SECTIONS, accounts, env_name, key};

/// Account `index` of the marketplace `name`, as the JSON object handed to its crate.
fn account(loaded: &Loaded, name: &str, index: usize) -> Value {
    let text = &loaded.settings.accounts[name][index];
    serde_json::from_str(text).unwrap()
}

fn count(loaded: &Loaded, name: &str) -> usize {
    loaded.settings.accounts.get(name).map_or(0, Vec::len)
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn defaults_then_file_then_environment() {
    let file = "listen = \"0.0.0.0:9000\"\n[dispatch]\nconcurrency = 4\n[adm]\nwebhook_keys = [\"a\", \"b\"]\n";
    let loaded = Loaded::load(
        Some(("ob.toml", file)),
        vars(&[("ORDERBRIDGE_DISPATCH_CONCURRENCY", "16")]),
    )
    .unwrap();
    let settings = &loaded.settings;
    assert_eq!(settings.root.listen, "0.0.0.0:9000");
    assert_eq!(settings.dispatch.concurrency, 16);
    assert_eq!(settings.dispatch.batch_size, 32, "a default");
    assert_eq!(count(&loaded, "adm"), 1);
    assert_eq!(
        account(&loaded, "adm", 0)["webhook_keys"],
        serde_json::json!(["a", "b"])
    );
    assert_eq!(settings.log.format, "pretty");
    assert_eq!(
        loaded.origin("dispatch.concurrency"),
        "ORDERBRIDGE_DISPATCH_CONCURRENCY (dispatch.concurrency)"
    );
    assert_eq!(loaded.origin("listen"), "`listen` in ob.toml");
}

#[test]
fn database_url_is_read_from_either_name() {
    let loaded = Loaded::load(None, vars(&[("DATABASE_URL", "postgres://a")])).unwrap();
    assert_eq!(
        loaded.settings.database.url.as_deref(),
        Some("postgres://a")
    );
    let loaded = Loaded::load(
        None,
        vars(&[
            ("DATABASE_URL", "postgres://a"),
            ("ORDERBRIDGE_DATABASE_URL", "postgres://b"),
        ]),
    )
    .unwrap();
    assert_eq!(
        loaded.settings.database.url.as_deref(),
        Some("postgres://b")
    );
}

#[test]
fn unknown_keys_are_errors_naming_them() {
    let error = Loaded::load(None, vars(&[("ORDERBRIDGE_ADM_BASEURL", "x")])).unwrap_err();
    assert!(
        error.to_string().contains("ORDERBRIDGE_ADM_BASEURL"),
        "{error}"
    );
    let error =
        Loaded::load(Some(("ob.toml", "[adm]\nbsae_url = \"x\"\n")), vars(&[])).unwrap_err();
    assert!(error.to_string().contains("adm.bsae_url"), "{error}");
    let error = Loaded::load(
        Some(("ob.toml", "[[feedamp]]\nchanel = \"x\"\n")),
        vars(&[]),
    )
    .unwrap_err();
    assert!(error.to_string().contains("feedamp.chanel"), "{error}");
    let error = Loaded::load(Some(("ob.toml", "listen = [")), vars(&[])).unwrap_err();
    assert!(error.to_string().contains("ob.toml"), "{error}");
}

#[test]
fn a_bad_number_names_the_variable() {
    let error = Loaded::load(None, vars(&[("ORDERBRIDGE_DISPATCH_CONCURRENCY", "lots")]))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("ORDERBRIDGE_DISPATCH_CONCURRENCY") && error.contains("lots"),
        "{error}"
    );
}

#[test]
fn a_value_of_the_wrong_type_in_the_file_names_its_key_and_the_file() {
    let error = Loaded::load(
        Some(("ob.toml", "[dispatch]\nconcurrency = \"lots\"\n")),
        vars(&[]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("dispatch.concurrency") && error.contains("ob.toml"),
        "{error}"
    );
    let account = "webhook_keys = [\"k\"]\nbase_url = \"https://adm\"\napi_key = \"s\"\n";
    let file = format!(
        "[[adm]]\nchannel = \"adm-us\"\n{account}[[adm]]\nchannel = \"adm-eu\"\n{account}connect_timeout_secs = -1\n"
    );
    // An account's values are read by its marketplace's crate, when the configuration is built.
    let loaded = Loaded::load(Some(("ob.toml", &file)), vars(&[])).unwrap();
    let error = crate::config::Config::from_settings(&loaded)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("adm[1].connect_timeout_secs") && error.contains("ob.toml"),
        "{error}"
    );
}

#[test]
fn accounts_are_lists_and_the_variables_set_a_sole_account() {
    let file = "[[adm]]\nchannel = \"adm-us\"\n[[adm]]\nchannel = \"adm-eu\"\ncurrency = \"EUR\"\n";
    let loaded = Loaded::load(Some(("ob.toml", file)), vars(&[])).unwrap();
    assert_eq!(count(&loaded, "adm"), 2);
    assert_eq!(account(&loaded, "adm", 0)["channel"], "adm-us");
    assert_eq!(account(&loaded, "adm", 1)["channel"], "adm-eu");
    assert_eq!(account(&loaded, "adm", 1)["currency"], "EUR");
    assert_eq!(count(&loaded, "feedamp"), 0);
    let error = Loaded::load(
        Some(("ob.toml", file)),
        vars(&[("ORDERBRIDGE_ADM_API_KEY", "k")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("ORDERBRIDGE_ADM_API_KEY") && error.contains("2 adm accounts"),
        "{error}"
    );
    let loaded = Loaded::load(None, vars(&[("ORDERBRIDGE_FEEDAMP_USERNAME", "u")])).unwrap();
    assert_eq!(
        count(&loaded, "feedamp"),
        1,
        "a variable makes the sole account"
    );
    assert_eq!(account(&loaded, "feedamp", 0)["username"], "u");
    assert_eq!(
        loaded.origin("feedamp[0].base_url"),
        "ORDERBRIDGE_FEEDAMP_BASE_URL (feedamp.base_url)"
    );
}

#[test]
fn secrets_are_never_described_nor_debugged() {
    let file =
        "[[feedamp]]\npassword = \"pw-in-file\"\n[alerts]\nsigning_secret = \"whsec_YWxlcnQ=\"\n";
    let loaded = Loaded::load(
        Some(("ob.toml", file)),
        vars(&[
            ("ORDERBRIDGE_ADM_API_KEY", "hunter2"),
            ("ORDERBRIDGE_ADM_WEBHOOK_KEYS", "wh-key-1,wh-key-2"),
            ("ORDERBRIDGE_ADM_SIGNING_SECRET", "hmac-s3cret"),
            ("ORDERBRIDGE_ADM_STANDARD_WEBHOOKS_SECRET", "whsec_c3RkLXdo"),
            ("ORDERBRIDGE_WAREHOUSE_API_KEYS", "wh-api-key"),
            ("DATABASE_URL", "postgres://u:pw@h/db"),
        ]),
    )
    .unwrap();
    let text = loaded.describe();
    let secrets = [
        "hunter2",
        "pw@h",
        "pw-in-file",
        "wh-key-1",
        "hmac-s3cret",
        "c3RkLXdo",
        "wh-api-key",
        "YWxlcnQ",
    ];
    for secret in secrets {
        assert!(!text.contains(secret), "{text}");
        // The raw settings too: the loaded values with their origins, and the typed tree.
        for debug in [
            format!("{:?}", loaded.settings),
            format!("{loaded:?}"),
            format!("{loaded:#?}"),
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }
    let debug = format!("{loaded:?}");
    assert!(
        debug.contains("adm[0].api_key") && debug.contains("ORDERBRIDGE_ADM_API_KEY"),
        "Debug still says where each key came from: {debug}"
    );
    assert!(text.contains("[redacted]"));
    assert!(
        text.lines().any(|l| l.starts_with("adm.api_key ")),
        "a sole account's settings are shown by their key: {text}"
    );
}

#[test]
fn a_flag_is_true_or_false_and_anything_else_names_its_variable() {
    for (raw, expected) in [("true", true), ("FALSE", false), (" True ", true)] {
        let loaded = Loaded::load(
            None,
            vars(&[("ORDERBRIDGE_ALERTS_ALLOW_INSECURE_HTTP", raw)]),
        )
        .unwrap();
        assert_eq!(
            loaded.settings.alerts.allow_insecure_http, expected,
            "{raw}"
        );
    }
    let error = Loaded::load(
        None,
        vars(&[("ORDERBRIDGE_ALERTS_ALLOW_INSECURE_HTTP", "yes")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("ORDERBRIDGE_ALERTS_ALLOW_INSECURE_HTTP") && error.contains("true or false"),
        "{error}"
    );
    let file = "[alerts]\nallow_insecure_http = true\n[[adm]]\nallow_insecure_http = true\n";
    let loaded = Loaded::load(Some(("ob.toml", file)), vars(&[])).unwrap();
    assert!(loaded.settings.alerts.allow_insecure_http);
    assert_eq!(account(&loaded, "adm", 0)["allow_insecure_http"], true);
    assert!(
        !Loaded::load(None, vars(&[]))
            .unwrap()
            .settings
            .alerts
            .allow_insecure_http
    );
}

#[test]
fn every_setting_has_a_unique_variable_and_a_doc() {
    let mut names: Vec<String> = SECTIONS
        .iter()
        .copied()
        .chain(accounts())
        .flat_map(|(s, fields)| fields.iter().map(move |f| env_name(&key(s, f.key))))
        .collect();
    let count = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count);
    assert!(
        super::every_field().all(|(_, f)| !f.doc.trim().is_empty()),
        "every setting is documented"
    );
}

#[test]
fn the_readme_documents_every_setting() {
    let readme = include_str!("../../../../README.md");
    let missing: Vec<String> = super::every_field()
        .map(|(key, _)| env_name(&key))
        .filter(|name| !readme.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md lacks {missing:?}; regenerate its table with `cargo run -p orderbridge -- config --markdown`"
    );
    assert!(
        readme.contains(&super::markdown_table()),
        "README.md's settings table differs from the code's; regenerate it with `cargo run -p orderbridge -- config --markdown`"
    );
}

#[test]
fn no_marketplace_is_named_like_a_section_of_the_service() {
    for (name, _) in accounts() {
        assert!(
            SECTIONS.iter().all(|(section, _)| *section != name),
            "the marketplace {name} would take the [{name}] section's keys"
        );
        assert!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{name:?} is no valid marketplace name (lowercase letters, digits and -)"
        );
    }
}
