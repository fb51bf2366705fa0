//! Tests of loading settings: the layers, accounts, errors that name their setting, secrets.

use super::schema::Section;
use super::{AdmAccount, FeedampAccount, Loaded, SECTIONS, env_name, key};

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
    assert_eq!(settings.adm.len(), 1);
    assert_eq!(settings.adm[0].webhook_keys, ["a", "b"]);
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
    let file =
        "[[adm]]\nchannel = \"adm-us\"\n[[adm]]\nchannel = \"adm-eu\"\nconnect_timeout_secs = -1\n";
    let error = Loaded::load(Some(("ob.toml", file)), vars(&[]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("adm[1].connect_timeout_secs"), "{error}");
}

#[test]
fn accounts_are_lists_and_the_variables_set_a_sole_account() {
    let file = "[[adm]]\nchannel = \"adm-us\"\n[[adm]]\nchannel = \"adm-eu\"\ncurrency = \"EUR\"\n";
    let loaded = Loaded::load(Some(("ob.toml", file)), vars(&[])).unwrap();
    let channels: Vec<&str> = loaded
        .settings
        .adm
        .iter()
        .map(|a| a.channel.as_str())
        .collect();
    assert_eq!(channels, ["adm-us", "adm-eu"]);
    assert_eq!(loaded.settings.adm[1].currency, "EUR");
    assert_eq!(
        loaded.settings.adm[0].currency, "USD",
        "each account has the defaults"
    );
    assert!(loaded.settings.feedamp.is_empty());
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
        loaded.settings.feedamp.len(),
        1,
        "a variable makes the sole account"
    );
    assert_eq!(loaded.settings.feedamp[0].username.as_deref(), Some("u"));
    assert_eq!(loaded.settings.feedamp[0].page_limit, 100);
    assert_eq!(
        loaded.origin("feedamp[0].base_url"),
        "ORDERBRIDGE_FEEDAMP_BASE_URL (feedamp.base_url)"
    );
}

#[test]
fn secrets_are_never_described_nor_debugged() {
    let file = "[[feedamp]]\npassword = \"pw-in-file\"\n";
    let loaded = Loaded::load(
        Some(("ob.toml", file)),
        vars(&[
            ("ORDERBRIDGE_ADM_API_KEY", "hunter2"),
            ("DATABASE_URL", "postgres://u:pw@h/db"),
        ]),
    )
    .unwrap();
    let text = loaded.describe();
    for secret in ["hunter2", "pw@h", "pw-in-file"] {
        assert!(!text.contains(secret), "{text}");
        let debug = format!("{:?}", loaded.settings);
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(text.contains("[redacted]"));
    assert!(text.contains("adm[0].api_key"), "{text}");
}

#[test]
fn every_setting_has_a_unique_variable_and_a_doc() {
    let mut names: Vec<String> = SECTIONS
        .iter()
        .chain(
            [
                (AdmAccount::NAME, AdmAccount::FIELDS),
                (FeedampAccount::NAME, FeedampAccount::FIELDS),
            ]
            .iter(),
        )
        .flat_map(|(s, fields)| fields.iter().map(move |f| env_name(&key(s, f.name))))
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
