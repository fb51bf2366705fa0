//! The typed configuration, built from the raw settings; every error names its setting.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use orderbridge_adm::{AdmConfig, Secret};
use orderbridge_domain::services::RetryPolicy;
use orderbridge_domain::values::{ChannelId, Currency};
use orderbridge_feedamp::FeedampConfig;
use orderbridge_http::ApiConfig;

use crate::settings::{AdmAccount, FeedampAccount, Loaded};

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

/// One ADM account's settings.
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

/// One FeedAMP account's settings.
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
    /// The ADM accounts.
    pub adm: Vec<AdmSettings>,
    /// The FeedAMP accounts.
    pub feedamp: Vec<FeedampSettings>,
}

fn at_least(loaded: &Loaded, key: &str, value: u64, min: u64) -> Result<u64> {
    if value < min {
        bail!(
            "{}: expected a whole number of at least {min}, got {value}",
            loaded.origin(key)
        );
    }
    Ok(value)
}

fn secs(loaded: &Loaded, key: &str, value: u64, min: u64) -> Result<Duration> {
    Ok(Duration::from_secs(at_least(loaded, key, value, min)?))
}

fn count32(loaded: &Loaded, key: &str, value: u32, min: u32) -> Result<u32> {
    at_least(loaded, key, u64::from(value), u64::from(min))?;
    Ok(value)
}

fn channel(loaded: &Loaded, key: &str, value: &str) -> Result<ChannelId> {
    ChannelId::parse(value).map_err(|_| {
        anyhow::anyhow!(
            "{}: expected a channel id (lowercase letters, digits, - and _), got {value:?}",
            loaded.origin(key)
        )
    })
}

fn required<'a>(loaded: &Loaded, key: &str, value: Option<&'a str>, why: &str) -> Result<&'a str> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .with_context(|| format!("{} is required {why}", loaded.origin(key)))
}

fn secrets(values: &[String]) -> Vec<Secret> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(Secret::new)
        .collect()
}

fn adm(loaded: &Loaded, index: usize, account: &AdmAccount) -> Result<AdmSettings> {
    const WHY: &str = "when ADM is enabled (any adm. setting is set)";
    let key = |field: &str| format!("adm[{index}].{field}");
    let webhook_keys = secrets(&account.webhook_keys);
    if webhook_keys.is_empty() {
        bail!("{} is required {WHY}", loaded.origin(&key("webhook_keys")));
    }
    let base_url = required(loaded, &key("base_url"), account.base_url.as_deref(), WHY)?;
    let api_key = Secret::new(required(
        loaded,
        &key("api_key"),
        account.api_key.as_deref(),
        WHY,
    )?);
    let mut client = AdmConfig::new(base_url, api_key)
        .with_fulfillment_path(&account.fulfillment_path)
        .with_connect_timeout(secs(
            loaded,
            &key("connect_timeout_secs"),
            account.connect_timeout_secs,
            1,
        )?)
        .with_request_timeout(secs(
            loaded,
            &key("request_timeout_secs"),
            account.request_timeout_secs,
            1,
        )?);
    if let Some(header) = account.api_key_header.as_deref().filter(|h| !h.is_empty()) {
        client = client.with_api_key_header(header);
    }
    let currency = Currency::parse(&account.currency).map_err(|_| {
        anyhow::anyhow!(
            "{}: expected a three-letter currency code, got {:?}",
            loaded.origin(&key("currency")),
            account.currency
        )
    })?;
    Ok(AdmSettings {
        channel: channel(loaded, &key("channel"), &account.channel)?,
        currency,
        webhook_keys,
        webhook_key_header: account.webhook_key_header.clone().filter(|h| !h.is_empty()),
        signing_secret: account
            .signing_secret
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Secret::new),
        signature_header: account.signature_header.clone(),
        client,
    })
}

fn feedamp(loaded: &Loaded, index: usize, account: &FeedampAccount) -> Result<FeedampSettings> {
    const WHY: &str = "when FeedAMP is enabled (any feedamp. setting is set)";
    let key = |field: &str| format!("feedamp[{index}].{field}");
    let text = |field: &str, value: &Option<String>| -> Result<String> {
        required(loaded, &key(field), value.as_deref(), WHY).map(str::to_owned)
    };
    let mut client = FeedampConfig::new(
        channel(loaded, &key("channel"), &account.channel)?,
        text("base_url", &account.base_url)?,
        text("username", &account.username)?,
        Secret::new(text("password", &account.password)?),
        text("client_id", &account.client_id)?,
    )
    .with_new_orders_path(&account.new_orders_path)
    .with_page_limit(count32(loaded, &key("page_limit"), account.page_limit, 1)?)
    .with_requests_per_second(count32(
        loaded,
        &key("requests_per_second"),
        account.requests_per_second,
        1,
    )?)
    .with_connect_timeout(secs(
        loaded,
        &key("connect_timeout_secs"),
        account.connect_timeout_secs,
        1,
    )?)
    .with_request_timeout(secs(
        loaded,
        &key("request_timeout_secs"),
        account.request_timeout_secs,
        1,
    )?);
    if let Some(carrier) = account.default_carrier.as_deref().filter(|c| !c.is_empty()) {
        client = client.with_default_carrier(carrier);
    }
    client
        .validate()
        .map_err(|e| anyhow::anyhow!("FeedAMP settings (feedamp.*, account {index}): {e}"))?;
    Ok(FeedampSettings {
        client,
        poll_interval: secs(
            loaded,
            &key("poll_interval_secs"),
            account.poll_interval_secs,
            1,
        )?,
        poll_lease: secs(loaded, &key("poll_lease_secs"), account.poll_lease_secs, 2)?,
    })
}

/// Refuses two accounts on one channel id: their orders, cursors and leases would mix.
fn distinct_channels(config: &Config) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    let channels = config
        .adm
        .iter()
        .map(|a| &a.channel)
        .chain(config.feedamp.iter().map(|f| &f.client.channel));
    for channel in channels {
        if !seen.insert(channel.clone()) {
            bail!(
                "two marketplace accounts have the channel id {channel}: give each [[adm]] and [[feedamp]] account its own `channel`"
            );
        }
    }
    Ok(())
}

impl Config {
    /// Builds the configuration from the loaded settings.
    ///
    /// # Errors
    /// A message naming the first setting that is missing or malformed.
    pub fn from_settings(loaded: &Loaded) -> Result<Self> {
        let settings = &loaded.settings;
        let listen = settings.root.listen.parse().map_err(|_| {
            anyhow::anyhow!(
                "{}: expected an address such as 127.0.0.1:8080, got {:?}",
                loaded.origin("listen"),
                settings.root.listen
            )
        })?;
        let config = Self {
            listen,
            database: database(loaded)?,
            log_format: match settings.log.format.as_str() {
                "pretty" => LogFormat::Pretty,
                "json" => LogFormat::Json,
                other => bail!(
                    "{}: expected pretty or json, got {other:?}",
                    loaded.origin("log.format")
                ),
            },
            log_filter: settings.log.filter.clone(),
            api: ApiConfig {
                body_limit: usize::try_from(at_least(
                    loaded,
                    "http.body_limit_bytes",
                    settings.http.body_limit_bytes,
                    1_024,
                )?)
                .unwrap_or(usize::MAX),
                request_timeout: secs(
                    loaded,
                    "http.request_timeout_secs",
                    settings.http.request_timeout_secs,
                    1,
                )?,
            },
            warehouse_keys: secrets(&settings.warehouse.api_keys),
            shutdown_timeout: Duration::from_secs(settings.shutdown.timeout_secs),
            max_update_attempts: count32(
                loaded,
                "orders.max_update_attempts",
                settings.orders.max_update_attempts,
                1,
            )?,
            dispatch: dispatch(loaded)?,
            adm: (settings.adm.iter().enumerate())
                .map(|(index, account)| adm(loaded, index, account))
                .collect::<Result<_>>()?,
            feedamp: (settings.feedamp.iter().enumerate())
                .map(|(index, account)| feedamp(loaded, index, account))
                .collect::<Result<_>>()?,
        };
        distinct_channels(&config)?;
        Ok(config)
    }
}

fn database(loaded: &Loaded) -> Result<Database> {
    let section = &loaded.settings.database;
    let max_connections = count32(
        loaded,
        "database.max_connections",
        section.max_connections,
        1,
    )?;
    Ok(
        match section
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres {
                    url: Secret::new(url),
                    max_connections,
                }
            }
            Some(url) if url.starts_with("sqlite:") => Database::Sqlite(url.to_owned()),
            Some(_) => bail!(
                "{}: expected a postgres:// or sqlite: URL",
                loaded.origin("database.url")
            ),
            None => Database::Sqlite(section.sqlite_path.clone()),
        },
    )
}

fn dispatch(loaded: &Loaded) -> Result<DispatchConfig> {
    let d = &loaded.settings.dispatch;
    let policy = RetryPolicy {
        base: secs(loaded, "dispatch.retry_base_secs", d.retry_base_secs, 1)?,
        cap: secs(loaded, "dispatch.retry_cap_secs", d.retry_cap_secs, 1)?,
        max_age: Duration::from_secs(
            at_least(loaded, "dispatch.max_age_hours", d.max_age_hours, 1)?.saturating_mul(3_600),
        ),
        lease: secs(loaded, "dispatch.lease_secs", d.lease_secs, 5)?,
    };
    if policy.cap < policy.base {
        bail!(
            "{} must be at least {}",
            loaded.origin("dispatch.retry_cap_secs"),
            loaded.origin("dispatch.retry_base_secs")
        );
    }
    Ok(DispatchConfig {
        concurrency: usize::try_from(at_least(loaded, "dispatch.concurrency", d.concurrency, 1)?)
            .unwrap_or(1),
        batch_size: count32(loaded, "dispatch.batch_size", d.batch_size, 1)?,
        idle_poll: Duration::from_millis(at_least(
            loaded,
            "dispatch.idle_poll_ms",
            d.idle_poll_ms,
            10,
        )?),
        policy,
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
