//! Settings of one Bazaar account: the table the app shows and checks, and the typed
//! [`BazaarConfig`] read from it. Keys are [`Secret`]s: `Debug` never prints them.

use std::time::Duration;

use orderbridge_domain::ports::channel::{Setting, SettingError, SettingValues};
use orderbridge_domain::values::{ApiKeys, ChannelId, Secret};

const fn setting(key: &'static str, default: Option<&'static str>, doc: &'static str) -> Setting {
    Setting {
        key,
        default,
        secret: false,
        doc,
    }
}

const fn secret(key: &'static str, doc: &'static str) -> Setting {
    Setting {
        key,
        default: None,
        secret: true,
        doc,
    }
}

/// Every setting of Bazaar, below `bazaar.`.
pub const SETTINGS: &[Setting] = &[
    setting(
        "channel",
        Some("bazaar"),
        "The channel id Bazaar's orders are stored under.",
    ),
    setting(
        "base_url",
        None,
        "Bazaar's API root; shipments go to `{base_url}/shipments`.",
    ),
    secret(
        "api_key",
        "The key sent to Bazaar as `Authorization: Bearer`.",
    ),
    secret(
        "webhook_keys",
        "Comma-separated keys Bazaar's webhook may present as `Authorization: Bearer`.",
    ),
    setting(
        "connect_timeout_secs",
        Some("5"),
        "How long to wait for a connection to Bazaar.",
    ),
    setting(
        "request_timeout_secs",
        Some("15"),
        "How long one call to Bazaar may take.",
    ),
];

/// One Bazaar account.
#[derive(Debug, Clone)]
pub struct BazaarConfig {
    /// The channel account its orders are stored under.
    pub channel: ChannelId,
    /// Bazaar's API root, an `http` or `https` URL.
    pub base_url: String,
    /// The key orderbridge presents to Bazaar.
    pub api_key: Secret,
    /// The keys Bazaar presents to orderbridge's webhook (several during a rotation).
    pub webhook_keys: ApiKeys,
    /// How long to wait for a connection; default 5 s.
    pub connect_timeout: Duration,
    /// How long a whole call may take; default 15 s.
    pub request_timeout: Duration,
}

impl BazaarConfig {
    /// An account with the default timeouts.
    #[must_use]
    pub fn new(
        channel: ChannelId,
        base_url: impl Into<String>,
        api_key: Secret,
        webhook_keys: ApiKeys,
    ) -> Self {
        Self {
            channel,
            base_url: base_url.into(),
            api_key,
            webhook_keys,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
        }
    }

    /// Another whole-call timeout.
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The account the operator's settings describe.
    ///
    /// # Errors
    /// [`SettingError`] naming the first setting missing or wrong.
    pub fn from_settings(values: &dyn SettingValues) -> Result<Self, SettingError> {
        let channel = ChannelId::parse(required(values, "channel")?)
            .map_err(|e| SettingError::new("channel", e.to_string()))?;
        let webhook_keys: Vec<Secret> = required(values, "webhook_keys")?
            .split(',')
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .map(Secret::new)
            .collect();
        if webhook_keys.is_empty() {
            return Err(SettingError::new(
                "webhook_keys",
                "must hold at least one key",
            ));
        }
        let config = Self::new(
            channel,
            required(values, "base_url")?,
            Secret::new(required(values, "api_key")?),
            ApiKeys::new(webhook_keys),
        );
        Ok(Self {
            connect_timeout: seconds(values, "connect_timeout_secs")?,
            request_timeout: seconds(values, "request_timeout_secs")?,
            ..config
        })
    }
}

fn required<'a>(values: &'a dyn SettingValues, key: &'static str) -> Result<&'a str, SettingError> {
    values
        .get(key)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| SettingError::new(key, "is required when Bazaar is enabled"))
}

fn seconds(values: &dyn SettingValues, key: &'static str) -> Result<Duration, SettingError> {
    required(values, key)?
        .parse::<u64>()
        .ok()
        .filter(|secs| *secs >= 1)
        .map(Duration::from_secs)
        .ok_or_else(|| SettingError::new(key, "must be a whole number of seconds, 1 or more"))
}
