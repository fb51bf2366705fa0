//! The configuration `orderbridge serve` runs with, checked and built from the loaded settings
//! (each marketplace account by its own crate); every error names its setting and where it was
//! set.

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::Arc;

use anyhow::{Result, bail};
use orderbridge_domain::health::HealthPolicy;
use orderbridge_domain::ports::channel::ChannelAccount;
use orderbridge_domain::ports::clock::{Clock, SystemClock};
use orderbridge_domain::retention::RetentionPeriod;
use orderbridge_domain::services::RetryPolicy;
use orderbridge_domain::values::Secret;
use orderbridge_http::ApiConfig;

use crate::server::ServerConfig;

use crate::settings::Loaded;

/// Where orders are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// PostgreSQL at this URL.
    Postgres {
        /// The URL (a secret: it may hold a password).
        url: Secret,
        /// Pool size.
        max_connections: u32,
        /// `statement_timeout` of every connection; zero: none.
        statement_timeout: Duration,
    },
    /// A SQLite file.
    Sqlite {
        /// Its path or `sqlite:` URL.
        path: String,
        /// How long a statement waits for another process's write lock.
        busy_timeout: Duration,
    },
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
    /// How channel health reacts to outcomes.
    pub health: HealthPolicy,
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
    /// The server's connection limits.
    pub server: ServerConfig,
    /// Warehouse API keys.
    pub warehouse_keys: Vec<Secret>,
    /// Graceful shutdown budget.
    pub shutdown_timeout: Duration,
    /// Update attempts under contention.
    pub max_update_attempts: u32,
    /// How often overdue orders are counted and alerted.
    pub overdue_check: Duration,
    /// The dispatcher.
    pub dispatch: DispatchConfig,
    /// Whether this instance runs its dispatcher (`dispatch.enabled`).
    pub dispatching: bool,
    /// Every marketplace account, as its crate built it from its settings.
    pub accounts: Vec<ChannelAccount>,
    /// Where alerts go, when anywhere.
    pub alerts: Option<AlertsConfig>,
    /// How long personal data is kept once an order is complete; `None`: for ever.
    pub retention: Option<RetentionPeriod>,
}

/// The alerts webhook. `Debug` shows its host only: a webhook URL's path often is its
/// credential (a Slack-style incoming webhook).
#[derive(Clone)]
pub struct AlertsConfig {
    /// Its http(s) URL.
    pub url: String,
    /// The Standard Webhooks signing secret.
    pub signing_secret: Option<Secret>,
    /// Plain `http` allowed to a host that is not loopback.
    pub allow_insecure_http: bool,
}

impl std::fmt::Debug for AlertsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = self
            .url
            .split_once("://")
            .map_or("", |(_, rest)| rest)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        let host = host.rsplit('@').next().unwrap_or_default();
        f.debug_struct("AlertsConfig")
            .field("host", &host)
            .field("signing_secret", &self.signing_secret)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
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

fn secrets(values: &[String]) -> Vec<Secret> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(Secret::new)
        .collect()
}

/// Every marketplace account of `loaded`, built by its marketplace's crate; an error names the
/// setting at fault and where it was set.
fn accounts(loaded: &Loaded) -> Result<Vec<ChannelAccount>> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut accounts = Vec::new();
    for kind in loaded.kinds() {
        let given = loaded.settings.accounts.get(kind.name());
        for (index, settings) in given.into_iter().flatten().enumerate() {
            let account = kind.account(settings, clock.clone()).map_err(|e| {
                let key = format!("{}[{index}].{}", kind.name(), e.key);
                anyhow::anyhow!("{}: {}", loaded.origin(&key), e.message)
            })?;
            accounts.push(account);
        }
    }
    distinct_channels(&accounts)?;
    Ok(accounts)
}

/// Refuses two accounts on one channel id: their orders, cursors and leases would mix.
fn distinct_channels(accounts: &[ChannelAccount]) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for account in accounts {
        if !seen.insert(account.channel().clone()) {
            bail!(
                "two marketplace accounts have the channel id {}: give each [[adm]] and [[feedamp]] account its own `channel`",
                account.channel()
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
            api: api(loaded)?,
            server: server(loaded)?,
            warehouse_keys: secrets(&settings.warehouse.api_keys),
            shutdown_timeout: Duration::from_secs(settings.shutdown.timeout_secs),
            max_update_attempts: count32(
                loaded,
                "orders.max_update_attempts",
                settings.orders.max_update_attempts,
                1,
            )?,
            overdue_check: secs(
                loaded,
                "orders.overdue_check_secs",
                settings.orders.overdue_check_secs,
                1,
            )?,
            dispatch: dispatch(loaded)?,
            dispatching: loaded.settings.dispatch.enabled,
            accounts: accounts(loaded)?,
            alerts: alerts(loaded)?,
            retention: retention(loaded)?,
        };
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
    let statement_timeout = Duration::from_millis(section.statement_timeout_ms);
    // SQLite cannot cut a statement off; the setting bounds its wait for another process's
    // write lock instead, and "no limit" keeps the store's own 5 s (a wait without end would
    // hang the service behind a stuck process).
    let busy_timeout = if statement_timeout.is_zero() {
        Duration::from_secs(5)
    } else {
        statement_timeout
    };
    let sqlite = |path: &str| Database::Sqlite {
        path: path.to_owned(),
        busy_timeout,
    };
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
                    statement_timeout,
                }
            }
            Some(url) if url.starts_with("sqlite:") => sqlite(url),
            Some(_) => bail!(
                "{}: expected a postgres:// or sqlite: URL",
                loaded.origin("database.url")
            ),
            None => sqlite(&section.sqlite_path),
        },
    )
}

fn retention(loaded: &Loaded) -> Result<Option<RetentionPeriod>> {
    let Some(days) = loaded.settings.retention.days else {
        return Ok(None);
    };
    match RetentionPeriod::days(days) {
        Some(period) => Ok(Some(period)),
        None => bail!(
            "{}: 0 would erase customer data the moment an order is complete; set at least 1 day, or leave it unset to keep everything",
            loaded.origin("retention.days")
        ),
    }
}

fn alerts(loaded: &Loaded) -> Result<Option<AlertsConfig>> {
    let section = &loaded.settings.alerts;
    let url = section
        .webhook_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let secret = section
        .signing_secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(Secret::new);
    let Some(url) = url else {
        if secret.is_some() {
            bail!(
                "{}: is set but {} is not: where should signed alerts go?",
                loaded.origin("alerts.signing_secret"),
                loaded.origin("alerts.webhook_url")
            );
        }
        return Ok(None);
    };
    // Checked here so that a bad or insecure URL or a bad secret stops start-up naming the
    // setting.
    let insecure = section.allow_insecure_http;
    orderbridge_alerts::WebhookAlerts::new(url, secret.as_ref(), Duration::from_secs(10), insecure)
        .map_err(|e| anyhow::anyhow!("{} ({})", e, loaded.origin("alerts.webhook_url")))?;
    Ok(Some(AlertsConfig {
        url: url.to_owned(),
        signing_secret: secret,
        allow_insecure_http: insecure,
    }))
}

fn health(loaded: &Loaded) -> Result<HealthPolicy> {
    let c = &loaded.settings.channels;
    let policy = HealthPolicy {
        backoff_after: count32(loaded, "channels.backoff_after", c.backoff_after, 1)?,
        backoff_base: secs(loaded, "channels.backoff_base_secs", c.backoff_base_secs, 1)?,
        backoff_cap: secs(loaded, "channels.backoff_cap_secs", c.backoff_cap_secs, 1)?,
        probe_every: secs(loaded, "channels.probe_secs", c.probe_secs, 1)?,
    };
    if policy.backoff_cap < policy.backoff_base {
        bail!(
            "{}: must be at least {}",
            loaded.origin("channels.backoff_cap_secs"),
            loaded.origin("channels.backoff_base_secs")
        );
    }
    Ok(policy)
}

fn api(loaded: &Loaded) -> Result<ApiConfig> {
    let h = &loaded.settings.http;
    Ok(ApiConfig {
        body_limit: usize::try_from(at_least(
            loaded,
            "http.body_limit_bytes",
            h.body_limit_bytes,
            1_024,
        )?)
        .unwrap_or(usize::MAX),
        request_timeout: secs(
            loaded,
            "http.request_timeout_secs",
            h.request_timeout_secs,
            1,
        )?,
        max_in_flight: usize::try_from(at_least(loaded, "http.max_in_flight", h.max_in_flight, 1)?)
            .unwrap_or(usize::MAX),
    })
}

fn server(loaded: &Loaded) -> Result<ServerConfig> {
    let h = &loaded.settings.http;
    Ok(ServerConfig {
        header_read_timeout: Duration::from_millis(at_least(
            loaded,
            "http.header_read_timeout_ms",
            h.header_read_timeout_ms,
            100,
        )?),
        idle_timeout: secs(loaded, "http.idle_timeout_secs", h.idle_timeout_secs, 1)?,
        max_connections: count32(loaded, "http.max_connections", h.max_connections, 1)?,
    })
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
        health: health(loaded)?,
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
