//! The settings of one FeedAMP account (`[[feedamp]]` in the TOML file;
//! `ORDERBRIDGE_FEEDAMP_*` for a sole account) and [`Feedamp`], the marketplace as the app
//! lists it. Each account has its own token, rate limit, poller lease and cursor, and re-reads
//! its open orders on its own schedule.

use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::ports::channel::{ChannelAccount, MarketplaceKind, Polled};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::settings::{Section, Setting, SettingError};
use orderbridge_domain::values::{ChannelId, Secret};

use crate::{FeedampClient, FeedampConfig};

orderbridge_domain::settings_section! {
    /// One FeedAMP account.
    pub struct FeedampAccount("feedamp") {
        /// Channel id of the account's orders; each account needs its own.
        channel: String = "feedamp",
        /// Base URL of FeedAMP's API. Setting any `feedamp.` key enables FeedAMP, which then needs this, `feedamp.username`, `feedamp.password` and `feedamp.client_id`.
        base_url: Option<String> = unset,
        /// FeedAMP user for the token route (HTTP Basic).
        username: Option<String> = unset,
        /// FeedAMP password.
        password: Option<String> = unset (secret),
        /// FeedAMP client id, sent as the `client` header.
        client_id: Option<String> = unset,
        /// Pause between polls of FeedAMP's new orders.
        poll_interval_secs: u64 = 60,
        /// How long one instance holds the right to poll (renewed after every page; at least twice the poll interval); another instance takes over this long after the poller dies. A poller that stops cleanly gives it back at once.
        poll_lease_secs: u64 = 120,
        /// Time between the starts of two re-reads of the account's open orders at FeedAMP (one call per order, within `feedamp.requests_per_second` and under the poll lease): an order FeedAMP cancelled is cancelled here (never reported back), a `paused` one is on hold until a re-read shows it released. 0 turns the re-reads off. FeedAMP imports from marketplaces about every 15 minutes, so a shorter pause gains little.
        state_check_secs: u64 = 300,
        /// Path of FeedAMP's new-orders feed.
        new_orders_path: String = "/api/v1/orders/new",
        /// Orders per page, 50 to 200.
        page_limit: u32 = 100,
        /// Most FeedAMP calls per second, over all calls of this instance for this account.
        requests_per_second: u32 = 2,
        /// Carrier sent for shipments recorded without one (FeedAMP needs one). Unset: the warehouse API requires a carrier on FeedAMP orders.
        default_carrier: Option<String> = unset,
        /// Connect timeout of calls to FeedAMP.
        connect_timeout_secs: u64 = 5,
        /// Whole-request timeout of calls to FeedAMP.
        request_timeout_secs: u64 = 30,
    }
}

const WHY: &str = "when FeedAMP is enabled (any feedamp. setting is set)";

fn required<'a>(key: &str, value: Option<&'a str>) -> Result<&'a str, SettingError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SettingError::required(key, WHY))
}

fn at_least(key: &str, value: u64, min: u64) -> Result<u64, SettingError> {
    if value < min {
        return Err(SettingError::new(
            key,
            format!("expected a whole number of at least {min}, got {value}"),
        ));
    }
    Ok(value)
}

fn count(key: &str, value: u32) -> Result<u32, SettingError> {
    at_least(key, u64::from(value), 1)?;
    Ok(value)
}

impl FeedampAccount {
    /// The client's settings.
    ///
    /// # Errors
    /// [`SettingError`] naming the setting at fault.
    pub fn client(&self) -> Result<FeedampConfig, SettingError> {
        let channel = ChannelId::parse(&self.channel).map_err(|_| {
            SettingError::new(
                "channel",
                format!(
                    "expected a channel id (lowercase letters, digits, - and _), got {:?}",
                    self.channel
                ),
            )
        })?;
        let seconds = |key: &str, value| at_least(key, value, 1).map(Duration::from_secs);
        let mut client = FeedampConfig::new(
            channel,
            required("base_url", self.base_url.as_deref())?,
            required("username", self.username.as_deref())?,
            Secret::new(required("password", self.password.as_deref())?),
            required("client_id", self.client_id.as_deref())?,
        )
        .with_new_orders_path(&self.new_orders_path)
        .with_page_limit(count("page_limit", self.page_limit)?)
        .with_requests_per_second(count("requests_per_second", self.requests_per_second)?)
        .with_connect_timeout(seconds("connect_timeout_secs", self.connect_timeout_secs)?)
        .with_request_timeout(seconds("request_timeout_secs", self.request_timeout_secs)?);
        if let Some(carrier) = self
            .default_carrier
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            client = client.with_default_carrier(carrier);
        }
        client
            .validate()
            .map_err(|e| SettingError::new("page_limit", e.to_string()))?;
        Ok(client)
    }

    /// How the account is polled: the pause between polls, and the lease (at least twice the
    /// pause, or it would run out between two polls).
    ///
    /// # Errors
    /// [`SettingError`] naming the setting at fault.
    pub fn polling(&self) -> Result<(Duration, Duration), SettingError> {
        let interval =
            Duration::from_secs(at_least("poll_interval_secs", self.poll_interval_secs, 1)?);
        let lease = Duration::from_secs(at_least("poll_lease_secs", self.poll_lease_secs, 2)?);
        Ok((interval, lease.max(interval.saturating_mul(2))))
    }

    /// The pause between re-reads of the open orders; `None` when they are off (0).
    #[must_use]
    pub fn state_check(&self) -> Option<Duration> {
        (self.state_check_secs > 0).then(|| Duration::from_secs(self.state_check_secs))
    }
}

/// FeedAMP, as the app lists it: `&orderbridge_feedamp::Feedamp`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Feedamp;

impl MarketplaceKind for Feedamp {
    fn name(&self) -> &'static str {
        FeedampAccount::NAME
    }

    fn settings(&self) -> &'static [Setting] {
        FeedampAccount::SETTINGS
    }

    fn account(
        &self,
        settings: &str,
        _clock: Arc<dyn Clock>,
    ) -> Result<ChannelAccount, SettingError> {
        let account = FeedampAccount::from_json(settings)?;
        let (interval, lease) = account.polling()?;
        // One client per account: its clones share the account's token and rate limit.
        let client = FeedampClient::new(account.client()?)
            .map_err(|e| SettingError::new("base_url", e.to_string()))?;
        let polled = Polled {
            source: Arc::new(client.clone()),
            interval,
            lease,
            state_check: account.state_check(),
        };
        Ok(ChannelAccount::pull(Arc::new(client), polled))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use orderbridge_domain::ports::channel::MarketplaceKind;
    use orderbridge_domain::ports::clock::SystemClock;

    use super::Feedamp;

    const FULL: &str =
        r#"{"base_url": "http://f", "username": "u", "password": "p", "client_id": "42"}"#;

    #[test]
    fn an_account_needs_its_credentials_and_checks_its_page_limit() {
        let error = Feedamp
            .account(r#"{"base_url": "http://f"}"#, Arc::new(SystemClock))
            .unwrap_err();
        assert_eq!(error.key, "username");
        let account = Feedamp.account(FULL, Arc::new(SystemClock)).unwrap();
        let polled = account.polled().unwrap();
        assert_eq!(polled.interval.as_secs(), 60);
        assert_eq!(polled.lease.as_secs(), 120);
        assert_eq!(polled.state_check.map(|d| d.as_secs()), Some(300));
        assert_eq!(account.channel().as_str(), "feedamp");
        let bad = FULL.replace("\"client_id\"", "\"page_limit\": 500, \"client_id\"");
        let error = Feedamp.account(&bad, Arc::new(SystemClock)).unwrap_err();
        assert_eq!(error.key, "page_limit");
    }

    #[test]
    fn state_checks_follow_their_setting_and_zero_turns_them_off() {
        let every_minute = FULL.replace("\"client_id\"", "\"state_check_secs\": 60, \"client_id\"");
        let account = Feedamp
            .account(&every_minute, Arc::new(SystemClock))
            .unwrap();
        assert_eq!(
            account.polled().unwrap().state_check.map(|d| d.as_secs()),
            Some(60)
        );
        let off = FULL.replace("\"client_id\"", "\"state_check_secs\": 0, \"client_id\"");
        let account = Feedamp.account(&off, Arc::new(SystemClock)).unwrap();
        assert_eq!(account.polled().unwrap().state_check, None);
    }

    #[test]
    fn the_lease_outlasts_two_polls() {
        let slow = FULL.replace(
            "\"client_id\"",
            "\"poll_interval_secs\": 300, \"client_id\"",
        );
        let account = Feedamp.account(&slow, Arc::new(SystemClock)).unwrap();
        assert_eq!(account.polled().unwrap().lease.as_secs(), 600);
    }
}
