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
use crate::settings::{Setting, SettingError};
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
    /// The pause between re-reads of the channel's open orders (their holds and cancellations
    /// at the marketplace), under the same lease; `None`: they are not re-read.
    pub state_check: Option<Duration>,
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

/// A marketplace the app can enable: implemented once per marketplace crate and listed once in
/// the app, which calls [`MarketplaceKind::account`] for each configured account.
pub trait MarketplaceKind: Send + Sync + std::fmt::Debug {
    /// The marketplace's name: its settings' prefix and, for a push marketplace, its webhooks'
    /// path segment (`Webhook::marketplace`). Lowercase letters, digits and `-`.
    fn name(&self) -> &'static str;

    /// Every setting of one account, for the app's settings table, its check of unknown keys
    /// and its reading of environment variables (a [`settings_section!`](crate::settings_section)
    /// gives them).
    fn settings(&self) -> &'static [Setting];

    /// One account from its settings: a JSON object with keys of [`MarketplaceKind::settings`]
    /// (the operator's `[[name]]` table in the file, then the environment; keys not set are
    /// absent, and take the section's defaults).
    ///
    /// # Errors
    /// [`SettingError`] naming the first setting at fault (never showing a credential).
    fn account(
        &self,
        settings: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<ChannelAccount, SettingError>;
}
