//! The typed configuration, built from the raw settings; every error names its setting.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use orderbridge_adm::{AdmConfig, Secret};
use orderbridge_domain::services::RetryPolicy;
use orderbridge_domain::values::{ChannelId, Currency};
use orderbridge_feedamp::FeedampConfig;
use orderbridge_http::ApiConfig;

use crate::settings::Raw;

/// Where orders are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// PostgreSQL at this URL.
    Postgres {
        /// The URL (a secret: it may hold a password).
        url: Secret,
        /// Pool size.
        max_connections: u32,
    },
    /// A SQLite file (path or `sqlite:` URL).
    Sqlite(String),
}

/// Log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per event.
    Json,
}

/// The dispatcher's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispatchConfig {
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Rows claimed per query.
    pub batch_size: u32,
    /// Pause when nothing is due.
    pub idle_poll: Duration,
    /// Backoff and lease.
    pub policy: RetryPolicy,
}

/// The ADM channel's settings.
#[derive(Debug, Clone)]
pub struct AdmSettings {
    /// Its channel id.
    pub channel: ChannelId,
    /// Its currency.
    pub currency: Currency,
    /// Keys ADM presents.
    pub webhook_keys: Vec<Secret>,
    /// Header carrying the webhook key, if not `Authorization`.
    pub webhook_key_header: Option<String>,
    /// Signing secret of webhook bodies.
    pub signing_secret: Option<Secret>,
    /// Header with the signature.
    pub signature_header: String,
    /// The outbound client.
    pub client: AdmConfig,
}

/// The FeedAMP channel's settings.
#[derive(Debug, Clone)]
pub struct FeedampSettings {
    /// The client (and order source).
    pub client: FeedampConfig,
    /// Pause between polls.
    pub poll_interval: Duration,
    /// How long a poller's lease lasts.
    pub poll_lease: Duration,
}

/// Everything `orderbridge serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// The store.
    pub database: Database,
    /// Log output.
    pub log_format: LogFormat,
    /// Log filter.
    pub log_filter: String,
    /// HTTP limits.
    pub api: ApiConfig,
    /// Warehouse API keys.
    pub warehouse_keys: Vec<Secret>,
    /// Graceful shutdown budget.
    pub shutdown_timeout: Duration,
    /// Update attempts under contention.
    pub max_update_attempts: u32,
    /// The dispatcher.
    pub dispatch: DispatchConfig,
    /// ADM, when configured.
    pub adm: Option<AdmSettings>,
    /// FeedAMP, when configured.
    pub feedamp: Option<FeedampSettings>,
}

fn secs(raw: &Raw, key: &str, min: u64) -> Result<Duration> {
    Ok(Duration::from_secs(raw.number(key, min)?))
}

fn u32_of(raw: &Raw, key: &str, min: u64) -> Result<u32> {
    let n = raw.number(key, min)?;
    u32::try_from(n).with_context(|| format!("{}: {n} is too large", raw.origin(key)))
}

fn channel(raw: &Raw, key: &str) -> Result<ChannelId> {
    raw.parsed(
        key,
        "a channel id (lowercase letters, digits, - and _)",
        |v| ChannelId::parse(v).ok(),
    )?
    .with_context(|| format!("{} is required", raw.origin(key)))
}

fn adm(raw: &Raw) -> Result<Option<AdmSettings>> {
    if !raw.any_set("adm.") {
        return Ok(None);
    }
    const WHY: &str = "when ADM is enabled (any adm. setting is set)";
    let webhook_keys: Vec<Secret> = raw
        .list("adm.webhook_keys")
        .into_iter()
        .map(Secret::new)
        .collect();
    if webhook_keys.is_empty() {
        bail!("{} is required {WHY}", raw.origin("adm.webhook_keys"));
    }
    let base_url = raw.required("adm.base_url", WHY)?;
    let api_key = Secret::new(raw.required("adm.api_key", WHY)?);
    let mut client = AdmConfig::new(base_url, api_key)
        .with_fulfillment_path(raw.required("adm.fulfillment_path", WHY)?)
        .with_connect_timeout(secs(raw, "adm.connect_timeout_secs", 1)?)
        .with_request_timeout(secs(raw, "adm.request_timeout_secs", 1)?);
    if let Some(header) = raw.get("adm.api_key_header") {
        client = client.with_api_key_header(header);
    }
    Ok(Some(AdmSettings {
        channel: channel(raw, "adm.channel")?,
        currency: raw
            .parsed("adm.currency", "a three-letter currency code", |v| {
                Currency::parse(v).ok()
            })?
            .with_context(|| format!("{} is required", raw.origin("adm.currency")))?,
        webhook_keys,
        webhook_key_header: raw.get("adm.webhook_key_header").map(str::to_owned),
        signing_secret: raw.get("adm.signing_secret").map(Secret::new),
        signature_header: raw.required("adm.signature_header", WHY)?.to_owned(),
        client,
    }))
}

fn feedamp(raw: &Raw) -> Result<Option<FeedampSettings>> {
    if !raw.any_set("feedamp.") {
        return Ok(None);
    }
    const WHY: &str = "when FeedAMP is enabled (any feedamp. setting is set)";
    let mut client = FeedampConfig::new(
        channel(raw, "feedamp.channel")?,
        raw.required("feedamp.base_url", WHY)?,
        raw.required("feedamp.username", WHY)?,
        Secret::new(raw.required("feedamp.password", WHY)?),
        raw.required("feedamp.client_id", WHY)?,
    )
    .with_new_orders_path(raw.required("feedamp.new_orders_path", WHY)?)
    .with_page_limit(u32_of(raw, "feedamp.page_limit", 1)?)
    .with_requests_per_second(u32_of(raw, "feedamp.requests_per_second", 1)?)
    .with_connect_timeout(secs(raw, "feedamp.connect_timeout_secs", 1)?)
    .with_request_timeout(secs(raw, "feedamp.request_timeout_secs", 1)?);
    if let Some(carrier) = raw.get("feedamp.default_carrier") {
        client = client.with_default_carrier(carrier);
    }
    client
        .validate()
        .map_err(|e| anyhow::anyhow!("FeedAMP settings (feedamp.*): {e}"))?;
    Ok(Some(FeedampSettings {
        client,
        poll_interval: secs(raw, "feedamp.poll_interval_secs", 1)?,
        poll_lease: secs(raw, "feedamp.poll_lease_secs", 2)?,
    }))
}

impl Config {
    /// Builds the configuration.
    ///
    /// # Errors
    /// A message naming the first setting that is missing or malformed.
    pub fn from_raw(raw: &Raw) -> Result<Self> {
        let listen = raw
            .parsed("listen", "an address such as 127.0.0.1:8080", |v| {
                v.parse().ok()
            })?
            .with_context(|| format!("{} is required", raw.origin("listen")))?;
        let max_connections = u32_of(raw, "database.max_connections", 1)?;
        let database = match raw.get("database.url") {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres {
                    url: Secret::new(url),
                    max_connections,
                }
            }
            Some(url) if url.starts_with("sqlite:") => Database::Sqlite(url.to_owned()),
            Some(_) => bail!(
                "{}: expected a postgres:// or sqlite: URL",
                raw.origin("database.url")
            ),
            None => Database::Sqlite(raw.required("database.sqlite_path", "")?.to_owned()),
        };
        let log_format = match raw.get("log.format") {
            Some("pretty") | None => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => bail!(
                "{}: expected pretty or json, got {other:?}",
                raw.origin("log.format")
            ),
        };
        let body_limit = raw.number("http.body_limit_bytes", 1_024)?;
        let policy = RetryPolicy {
            base: secs(raw, "dispatch.retry_base_secs", 1)?,
            cap: secs(raw, "dispatch.retry_cap_secs", 1)?,
            max_age: Duration::from_secs(
                raw.number("dispatch.max_age_hours", 1)?
                    .saturating_mul(3_600),
            ),
            lease: secs(raw, "dispatch.lease_secs", 5)?,
        };
        if policy.cap < policy.base {
            bail!(
                "{} must be at least {}",
                raw.origin("dispatch.retry_cap_secs"),
                raw.origin("dispatch.retry_base_secs")
            );
        }
        Ok(Self {
            listen,
            database,
            log_format,
            log_filter: raw.get("log.filter").unwrap_or("info").to_owned(),
            api: ApiConfig {
                body_limit: usize::try_from(body_limit).unwrap_or(usize::MAX),
                request_timeout: secs(raw, "http.request_timeout_secs", 1)?,
            },
            warehouse_keys: raw
                .list("warehouse.api_keys")
                .into_iter()
                .map(Secret::new)
                .collect(),
            shutdown_timeout: secs(raw, "shutdown.timeout_secs", 0)?,
            max_update_attempts: u32_of(raw, "orders.max_update_attempts", 1)?,
            dispatch: DispatchConfig {
                concurrency: usize::try_from(raw.number("dispatch.concurrency", 1)?).unwrap_or(1),
                batch_size: u32_of(raw, "dispatch.batch_size", 1)?,
                idle_poll: Duration::from_millis(raw.number("dispatch.idle_poll_ms", 10)?),
                policy,
            },
            adm: adm(raw)?,
            feedamp: feedamp(raw)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Config, Database};
    use crate::settings::Raw;

    fn config(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let vars = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        Config::from_raw(&Raw::load(None, vars)?)
    }

    #[test]
    fn with_nothing_set_orderbridge_runs_on_sqlite_without_channels() {
        let config = config(&[]).unwrap();
        assert_eq!(
            config.database,
            Database::Sqlite("orderbridge.sqlite".to_owned())
        );
        assert!(config.adm.is_none());
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
        assert_eq!(ok.adm.map(|a| a.webhook_keys.len()), Some(2));
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
        assert_eq!(ok.feedamp.map(|f| f.poll_interval.as_secs()), Some(60));
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
}
