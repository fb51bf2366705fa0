//! Settings of one Bazaar account: [`BazaarSettings`] (the section the app shows, checks and
//! hands over as JSON), and the typed [`BazaarConfig`] read from it. Keys are [`Secret`]s:
//! `Debug` never prints them.

use std::time::Duration;

use orderbridge_domain::settings::SettingError;
use orderbridge_domain::values::{ApiKeys, ChannelId, Secret};

orderbridge_domain::settings_section! {
    /// The settings of one Bazaar account, below `bazaar.` (`[[bazaar]]` in the TOML file).
    pub struct BazaarSettings("bazaar") {
        /// The channel id Bazaar's orders are stored under.
        channel: String = "bazaar",
        /// Bazaar's API root; shipments go to `{base_url}/shipments`.
        base_url: Option<String> = unset,
        /// The key sent to Bazaar as `Authorization: Bearer`.
        api_key: Option<String> = unset (secret),
        /// Keys Bazaar's webhook may present as `Authorization: Bearer`.
        webhook_keys: Vec<String> = unset (secret),
        /// How long to wait for a connection to Bazaar.
        connect_timeout_secs: u64 = 5,
        /// How long one call to Bazaar may take.
        request_timeout_secs: u64 = 15,
    }
}

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
    pub fn from_settings(settings: &BazaarSettings) -> Result<Self, SettingError> {
        let channel = ChannelId::parse(&settings.channel)
            .map_err(|e| SettingError::new("channel", e.to_string()))?;
        let webhook_keys: Vec<Secret> = settings
            .webhook_keys
            .iter()
            .map(|key| key.trim())
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
            required("base_url", settings.base_url.as_deref())?,
            Secret::new(required("api_key", settings.api_key.as_deref())?),
            ApiKeys::new(webhook_keys),
        );
        Ok(Self {
            connect_timeout: seconds("connect_timeout_secs", settings.connect_timeout_secs)?,
            request_timeout: seconds("request_timeout_secs", settings.request_timeout_secs)?,
            ..config
        })
    }
}

fn required<'a>(key: &'static str, value: Option<&'a str>) -> Result<&'a str, SettingError> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| SettingError::required(key, "when Bazaar is enabled"))
}

fn seconds(key: &'static str, value: u64) -> Result<Duration, SettingError> {
    if value == 0 {
        return Err(SettingError::new(
            key,
            "must be a whole number of seconds, 1 or more",
        ));
    }
    Ok(Duration::from_secs(value))
}
