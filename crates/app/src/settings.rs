//! Every setting in one table: its key, default and meaning. Values come from the defaults, then
//! an optional TOML file, then `ORDERBRIDGE_` environment variables (`adm.base_url` is
//! `ORDERBRIDGE_ADM_BASE_URL`; `DATABASE_URL` also sets `database.url`). Unknown keys are errors,
//! so a typo never silently falls back to a default. Loading reads nothing but what it is given.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};

/// One setting.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The dotted key, as in the TOML file.
    pub key: &'static str,
    /// The default, if any.
    pub default: Option<&'static str>,
    /// Whether the value is a secret (never printed).
    pub secret: bool,
    /// What it does.
    pub doc: &'static str,
}

const fn spec(key: &'static str, default: Option<&'static str>, doc: &'static str) -> Spec {
    Spec {
        key,
        default,
        secret: false,
        doc,
    }
}

const fn secret(key: &'static str, doc: &'static str) -> Spec {
    Spec {
        key,
        default: None,
        secret: true,
        doc,
    }
}

/// Every setting orderbridge reads.
pub const SPECS: &[Spec] = &[
    spec(
        "listen",
        Some("127.0.0.1:8080"),
        "Address the HTTP server listens on.",
    ),
    secret(
        "database.url",
        "PostgreSQL URL (`postgres://user@host/db`); also read from `DATABASE_URL`. Unset: SQLite.",
    ),
    spec(
        "database.sqlite_path",
        Some("orderbridge.sqlite"),
        "SQLite file used when no database URL is set (relative to the working directory).",
    ),
    spec(
        "database.max_connections",
        Some("10"),
        "Connections in the database pool.",
    ),
    spec("log.format", Some("pretty"), "`pretty` or `json`."),
    spec(
        "log.filter",
        Some("info"),
        "Log filter, `tracing` syntax (`info,orderbridge=debug`).",
    ),
    spec(
        "http.body_limit_bytes",
        Some("1048576"),
        "Largest request body accepted (413 above).",
    ),
    spec(
        "http.request_timeout_secs",
        Some("30"),
        "A request taking longer is answered 503.",
    ),
    secret(
        "warehouse.api_keys",
        "Comma-separated keys the warehouse API accepts as `Authorization: Bearer`. Unset: the warehouse API refuses every request.",
    ),
    spec(
        "shutdown.timeout_secs",
        Some("30"),
        "On SIGTERM/SIGINT, how long in-flight requests and deliveries may take to finish.",
    ),
    spec(
        "orders.max_update_attempts",
        Some("20"),
        "Attempts of one order update under concurrent changes before answering 409.",
    ),
    spec(
        "dispatch.concurrency",
        Some("8"),
        "Deliveries sent at once by this instance; a send's slot is free again once its outcome is committed, so this is also the most a crash can send twice.",
    ),
    spec(
        "dispatch.batch_size",
        Some("32"),
        "Outbox rows claimed per query; the dispatcher keeps up to twice this many claimed ahead.",
    ),
    spec(
        "dispatch.idle_poll_ms",
        Some("500"),
        "Pause between outbox queries when nothing is due.",
    ),
    spec(
        "dispatch.retry_base_secs",
        Some("5"),
        "First retry delay; doubles per attempt (with jitter).",
    ),
    spec(
        "dispatch.retry_cap_secs",
        Some("900"),
        "Longest delay between attempts.",
    ),
    spec(
        "dispatch.max_age_hours",
        Some("72"),
        "A delivery still failing this long after it was queued is parked.",
    ),
    spec(
        "dispatch.lease_secs",
        Some("60"),
        "How long a claimed row is held before another instance may take it.",
    ),
    spec("adm.channel", Some("adm"), "Channel id of ADM orders."),
    spec(
        "adm.currency",
        Some("USD"),
        "Currency of ADM orders (ADM's payloads carry none).",
    ),
    secret(
        "adm.webhook_keys",
        "Comma-separated keys ADM presents on the order webhook. Setting any `adm.` key enables ADM, which then needs this, `adm.base_url` and `adm.api_key`.",
    ),
    spec(
        "adm.webhook_key_header",
        None,
        "Header carrying the webhook key, when ADM does not send `Authorization: Bearer`.",
    ),
    secret(
        "adm.signing_secret",
        "When set, every webhook must carry a base64 HMAC-SHA256 of its raw body under this secret.",
    ),
    spec(
        "adm.signature_header",
        Some("X-ADM-Signature"),
        "Header holding the webhook signature.",
    ),
    spec(
        "adm.base_url",
        None,
        "Base URL of ADM's API (Create Fulfillment).",
    ),
    secret("adm.api_key", "Key orderbridge presents to ADM."),
    spec(
        "adm.api_key_header",
        None,
        "Header for the key sent to ADM; unset: `Authorization: Bearer`.",
    ),
    spec(
        "adm.fulfillment_path",
        Some("/fulfillments"),
        "Path of ADM's Create Fulfillment endpoint.",
    ),
    spec(
        "adm.connect_timeout_secs",
        Some("5"),
        "Connect timeout of calls to ADM.",
    ),
    spec(
        "adm.request_timeout_secs",
        Some("15"),
        "Whole-request timeout of calls to ADM.",
    ),
    spec(
        "feedamp.channel",
        Some("feedamp"),
        "Channel id of FeedAMP orders.",
    ),
    spec(
        "feedamp.base_url",
        None,
        "Base URL of FeedAMP's API. Setting any `feedamp.` key enables FeedAMP, which then needs this, `feedamp.username`, `feedamp.password` and `feedamp.client_id`.",
    ),
    spec(
        "feedamp.username",
        None,
        "FeedAMP user for the token route (HTTP Basic).",
    ),
    secret("feedamp.password", "FeedAMP password."),
    spec(
        "feedamp.client_id",
        None,
        "FeedAMP client id, sent as the `client` header.",
    ),
    spec(
        "feedamp.poll_interval_secs",
        Some("60"),
        "Pause between polls of FeedAMP's new orders.",
    ),
    spec(
        "feedamp.poll_lease_secs",
        Some("120"),
        "How long one instance holds the right to poll (renewed after every page; at least twice the poll interval); another instance takes over this long after the poller dies. A poller that stops cleanly gives it back at once.",
    ),
    spec(
        "feedamp.new_orders_path",
        Some("/api/v1/orders/new"),
        "Path of FeedAMP's new-orders feed.",
    ),
    spec(
        "feedamp.page_limit",
        Some("100"),
        "Orders per page, 50 to 200.",
    ),
    spec(
        "feedamp.requests_per_second",
        Some("2"),
        "Most FeedAMP calls per second, over all calls of this instance.",
    ),
    spec(
        "feedamp.default_carrier",
        None,
        "Carrier sent for shipments recorded without one (FeedAMP needs one). Unset: the warehouse API requires a carrier on FeedAMP orders.",
    ),
    spec(
        "feedamp.connect_timeout_secs",
        Some("5"),
        "Connect timeout of calls to FeedAMP.",
    ),
    spec(
        "feedamp.request_timeout_secs",
        Some("30"),
        "Whole-request timeout of calls to FeedAMP.",
    ),
];

/// The environment variable of a key.
#[must_use]
pub fn env_name(key: &str) -> String {
    format!("ORDERBRIDGE_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The built-in default.
    Default,
    /// The configuration file.
    File(String),
    /// An environment variable.
    Env(String),
}

/// The raw values by key, with where each came from.
#[derive(Debug, Clone, Default)]
pub struct Raw(BTreeMap<&'static str, (String, Source)>);

fn find(key: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.key == key)
}

/// Flattens a TOML table to dotted keys; arrays of strings become comma-separated.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, String)>) -> Result<()> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let text = match value {
            toml::Value::Table(inner) => {
                flatten(&key, inner, out)?;
                continue;
            }
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    toml::Value::String(s) => Ok(s.clone()),
                    other => bail!(
                        "{key}: expected a list of strings, found {}",
                        other.type_str()
                    ),
                })
                .collect::<Result<Vec<_>>>()?
                .join(","),
            toml::Value::Datetime(d) => d.to_string(),
        };
        out.push((key, text));
    }
    Ok(())
}

impl Raw {
    /// Reads the defaults, then `file` (its path and text), then the environment `vars`.
    ///
    /// # Errors
    /// A message naming the file or variable when a key is unknown or the file is not TOML.
    pub fn load(
        file: Option<(&str, &str)>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let mut raw = Self::default();
        for spec in SPECS {
            if let Some(default) = spec.default {
                raw.0
                    .insert(spec.key, (default.to_owned(), Source::Default));
            }
        }
        if let Some((path, text)) = file {
            let table: toml::Table =
                toml::from_str(text).with_context(|| format!("{path} is not valid TOML"))?;
            let mut pairs = Vec::new();
            flatten("", &table, &mut pairs).with_context(|| format!("in {path}"))?;
            for (key, value) in pairs {
                let spec = find(&key).with_context(|| {
                    format!(
                        "{path}: unknown setting `{key}` (see `orderbridge config` for the list)"
                    )
                })?;
                raw.0
                    .insert(spec.key, (value, Source::File(path.to_owned())));
            }
        }
        let mut database_url = None;
        for (name, value) in vars {
            if name == "DATABASE_URL" {
                database_url = Some(value);
                continue;
            }
            if name == "ORDERBRIDGE_CONFIG" || !name.starts_with("ORDERBRIDGE_") {
                continue;
            }
            let spec = SPECS.iter().find(|s| env_name(s.key) == name).with_context(|| {
                format!("unknown environment variable {name} (see `orderbridge config` for the list)")
            })?;
            raw.0.insert(spec.key, (value, Source::Env(name)));
        }
        // ORDERBRIDGE_DATABASE_URL wins over DATABASE_URL when both are set.
        if let Some(url) = database_url
            && !matches!(raw.0.get("database.url"), Some((_, Source::Env(_))))
        {
            raw.0.insert(
                "database.url",
                (url, Source::Env("DATABASE_URL".to_owned())),
            );
        }
        Ok(raw)
    }

    /// The value of `key`, trimmed; `None` when unset or empty.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(|(value, _)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// Where `key` came from, for messages.
    #[must_use]
    pub fn origin(&self, key: &str) -> String {
        match self.0.get(key).map(|(_, source)| source) {
            Some(Source::Env(name)) => format!("{name} ({key})"),
            Some(Source::File(path)) => format!("`{key}` in {path}"),
            Some(Source::Default) | None => format!("{} ({key})", env_name(key)),
        }
    }

    /// Whether any key under `prefix.` was set other than by default.
    #[must_use]
    pub fn any_set(&self, prefix: &str) -> bool {
        self.0.iter().any(|(key, (value, source))| {
            key.starts_with(prefix) && *source != Source::Default && !value.trim().is_empty()
        })
    }

    /// `key` parsed with `parse`; an error names the setting and the expected form.
    ///
    /// # Errors
    /// When the value does not parse.
    pub fn parsed<T>(
        &self,
        key: &str,
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => parse(value).map(Some).with_context(|| {
                format!("{}: expected {expected}, got {value:?}", self.origin(key))
            }),
        }
    }

    /// A whole number from `min` up.
    ///
    /// # Errors
    /// When the value is missing or not such a number.
    pub fn number(&self, key: &str, min: u64) -> Result<u64> {
        self.parsed(key, &format!("a whole number of at least {min}"), |v| {
            v.parse::<u64>().ok().filter(|n| *n >= min)
        })?
        .with_context(|| format!("{} is required", self.origin(key)))
    }

    /// A comma-separated list, empty entries dropped.
    #[must_use]
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A required value.
    ///
    /// # Errors
    /// When it is unset; `why` says what needs it.
    pub fn required(&self, key: &str, why: &str) -> Result<&str> {
        self.get(key)
            .with_context(|| format!("{} is required {why}", self.origin(key)))
    }

    /// Every setting with its effective value (secrets redacted) and origin, for
    /// `orderbridge config`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for spec in SPECS {
            let (value, source) = match self.0.get(spec.key) {
                Some((value, source)) if !value.trim().is_empty() => {
                    let shown = if spec.secret {
                        "[redacted]".to_owned()
                    } else {
                        value.clone()
                    };
                    let from = match source {
                        Source::Default => "default".to_owned(),
                        Source::File(path) => path.clone(),
                        Source::Env(name) => name.clone(),
                    };
                    (shown, from)
                }
                _ => ("(unset)".to_owned(), "-".to_owned()),
            };
            let _ = writeln!(
                out,
                "{:<32} = {:<28} # from {source}; {}",
                spec.key,
                value,
                env_name(spec.key)
            );
        }
        out
    }
}

/// The README's configuration table, generated from [`SPECS`].
#[must_use]
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| setting | environment variable | default | what it does |\n|---|---|---|---|\n",
    );
    for spec in SPECS {
        let default = spec
            .default
            .map_or_else(|| "(unset)".to_owned(), |d| format!("`{d}`"));
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} |",
            spec.key,
            env_name(spec.key),
            default,
            spec.doc
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Raw, SPECS, env_name};

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let file = "listen = \"0.0.0.0:9000\"\n[dispatch]\nconcurrency = 4\n[adm]\nwebhook_keys = [\"a\", \"b\"]\n";
        let raw = Raw::load(
            Some(("ob.toml", file)),
            vars(&[("ORDERBRIDGE_DISPATCH_CONCURRENCY", "16")]),
        )
        .unwrap();
        assert_eq!(raw.get("listen"), Some("0.0.0.0:9000"));
        assert_eq!(raw.get("dispatch.concurrency"), Some("16"));
        assert_eq!(raw.list("adm.webhook_keys"), ["a", "b"]);
        assert_eq!(raw.get("log.format"), Some("pretty"));
    }

    #[test]
    fn database_url_is_read_from_either_name() {
        let raw = Raw::load(None, vars(&[("DATABASE_URL", "postgres://a")])).unwrap();
        assert_eq!(raw.get("database.url"), Some("postgres://a"));
        let raw = Raw::load(
            None,
            vars(&[
                ("DATABASE_URL", "postgres://a"),
                ("ORDERBRIDGE_DATABASE_URL", "postgres://b"),
            ]),
        )
        .unwrap();
        assert_eq!(raw.get("database.url"), Some("postgres://b"));
    }

    #[test]
    fn unknown_keys_are_errors_naming_them() {
        let error = Raw::load(None, vars(&[("ORDERBRIDGE_ADM_BASEURL", "x")])).unwrap_err();
        assert!(
            error.to_string().contains("ORDERBRIDGE_ADM_BASEURL"),
            "{error}"
        );
        let error =
            Raw::load(Some(("ob.toml", "[adm]\nbsae_url = \"x\"\n")), vars(&[])).unwrap_err();
        assert!(error.to_string().contains("adm.bsae_url"), "{error}");
        let error = Raw::load(Some(("ob.toml", "listen = [")), vars(&[])).unwrap_err();
        assert!(error.to_string().contains("ob.toml"), "{error}");
    }

    #[test]
    fn a_bad_number_names_the_variable() {
        let raw = Raw::load(None, vars(&[("ORDERBRIDGE_DISPATCH_CONCURRENCY", "lots")])).unwrap();
        let error = raw
            .number("dispatch.concurrency", 1)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("ORDERBRIDGE_DISPATCH_CONCURRENCY") && error.contains("lots"),
            "{error}"
        );
    }

    #[test]
    fn secrets_are_never_described() {
        let raw = Raw::load(
            None,
            vars(&[
                ("ORDERBRIDGE_ADM_API_KEY", "hunter2"),
                ("DATABASE_URL", "postgres://u:pw@h/db"),
            ]),
        )
        .unwrap();
        let text = raw.describe();
        assert!(
            !text.contains("hunter2") && !text.contains("pw@h"),
            "{text}"
        );
        assert!(text.contains("[redacted]"));
    }

    #[test]
    fn every_setting_has_a_unique_variable_and_a_doc() {
        let mut names: Vec<String> = SPECS.iter().map(|s| env_name(s.key)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SPECS.len());
        assert!(SPECS.iter().all(|s| !s.doc.is_empty()));
    }
}

#[cfg(test)]
mod readme {
    use super::{SPECS, env_name};

    #[test]
    fn the_readme_documents_every_setting() {
        let readme = include_str!("../../../README.md");
        let missing: Vec<String> = SPECS
            .iter()
            .map(|s| env_name(s.key))
            .filter(|name| !readme.contains(&format!("`{name}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "README.md lacks {missing:?}; regenerate its table with `cargo run -p orderbridge -- config --markdown`"
        );
    }
}
