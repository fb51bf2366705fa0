//! Channel registration: what one marketplace crate hands the composition root. A marketplace
//! is a [`MarketplaceKind`] (its name, the settings it reads, and how it builds its accounts
//! from them); each configured account is a [`ChannelAccount`] (its outbound [`Marketplace`],
//! and its [`Webhook`] if it pushes orders or its [`OrderSource`] if orderbridge polls it). The
//! app lists the kinds once and wires every account the same way, so that adding a marketplace
//! is one crate and one line in the app's list.

use std::sync::Arc;
use std::time::Duration;

use crate::ports::clock::Clock;
use crate::ports::marketplace::{Capabilities, Marketplace};
use crate::ports::source::OrderSource;
use crate::ports::webhook::Webhook;
use crate::values::ChannelId;

/// A pull channel's feed and how it is polled.
#[derive(Debug, Clone)]
pub struct Polled {
    /// The feed.
    pub source: Arc<dyn OrderSource>,
    /// The pause between polls.
    pub interval: Duration,
    /// How long one instance holds the channel's poll lease (renewed after every page).
    pub lease: Duration,
}

/// One configured channel account: the outbound calls, and how its orders come in. The
/// account's channel is its webhook's or its feed's, so the parts cannot disagree.
#[derive(Debug, Clone)]
pub struct ChannelAccount {
    channel: ChannelId,
    marketplace: Arc<dyn Marketplace>,
    webhook: Option<Arc<dyn Webhook>>,
    polled: Option<Polled>,
}

impl ChannelAccount {
    /// An account whose marketplace pushes its orders to `webhook`.
    #[must_use]
    pub fn push(marketplace: Arc<dyn Marketplace>, webhook: Arc<dyn Webhook>) -> Self {
        Self {
            channel: webhook.channel().clone(),
            marketplace,
            webhook: Some(webhook),
            polled: None,
        }
    }

    /// An account whose orders orderbridge polls from `polled.source`.
    #[must_use]
    pub fn pull(marketplace: Arc<dyn Marketplace>, polled: Polled) -> Self {
        Self {
            channel: polled.source.channel().clone(),
            marketplace,
            webhook: None,
            polled: Some(polled),
        }
    }

    /// The channel account's id.
    #[must_use]
    pub fn channel(&self) -> &ChannelId {
        &self.channel
    }

    /// What the channel can receive, as its marketplace declares.
    #[must_use]
    pub fn capabilities(&self) -> Capabilities {
        self.marketplace.capabilities()
    }

    /// The outbound calls, for the dispatcher.
    #[must_use]
    pub fn marketplace(&self) -> &Arc<dyn Marketplace> {
        &self.marketplace
    }

    /// The inbound webhook of a push channel, for the HTTP registry.
    #[must_use]
    pub fn webhook(&self) -> Option<&Arc<dyn Webhook>> {
        self.webhook.as_ref()
    }

    /// The feed of a pull channel, for a poller.
    #[must_use]
    pub fn polled(&self) -> Option<&Polled> {
        self.polled.as_ref()
    }
}

/// One setting a marketplace reads, below its name: `key: "base_url"` of `bazaar` is the
/// operator's `bazaar.base_url` (`ORDERBRIDGE_BAZAAR_BASE_URL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The key below the marketplace's name.
    pub key: &'static str,
    /// The default, if any.
    pub default: Option<&'static str>,
    /// Whether the value is a secret (never printed).
    pub secret: bool,
    /// What it does.
    pub doc: &'static str,
}

/// A marketplace's settings as the app loaded them (defaults, then the file, then the
/// environment), by the key below the marketplace's name.
pub trait SettingValues {
    /// The value of `key`, trimmed; its default when the operator did not set it; `None` when
    /// it has neither.
    fn get(&self, key: &str) -> Option<&str>;
}

/// A setting that is missing or wrong. The app names where it was set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingError {
    /// The key below the marketplace's name.
    pub key: &'static str,
    /// What is wrong (never the value of a secret).
    pub message: String,
}

impl SettingError {
    /// `key` is wrong for this reason.
    #[must_use]
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

/// A marketplace the app can enable: implemented once per marketplace crate and listed once in
/// the app. The app calls [`MarketplaceKind::accounts`] only when the operator set at least one
/// of its settings.
pub trait MarketplaceKind: Send + Sync + std::fmt::Debug {
    /// The marketplace's name: its settings' prefix and, for a push marketplace, its webhooks'
    /// path segment (`Webhook::marketplace`). Lowercase letters, digits and `-`.
    fn name(&self) -> &'static str;

    /// Every setting it reads, for the app's settings table and its check of unknown keys.
    fn settings(&self) -> &'static [Setting];

    /// Its configured accounts, built from `values`; webhooks and clients take `clock`.
    ///
    /// # Errors
    /// [`SettingError`] naming the first setting at fault.
    fn accounts(
        &self,
        values: &dyn SettingValues,
        clock: Arc<dyn Clock>,
    ) -> Result<Vec<ChannelAccount>, SettingError>;
}
