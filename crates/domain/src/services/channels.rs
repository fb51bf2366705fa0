//! The channels orderbridge is configured for, and what each can do.

use std::collections::BTreeMap;

use crate::ports::marketplace::Capabilities;
use crate::values::ChannelId;

/// Capabilities per configured channel account. Orders from a channel not listed here are
/// refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Channels(BTreeMap<ChannelId, Capabilities>);

impl Channels {
    /// No channels.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a channel.
    #[must_use]
    pub fn with(mut self, channel: ChannelId, capabilities: Capabilities) -> Self {
        self.0.insert(channel, capabilities);
        self
    }

    /// A channel's capabilities.
    #[must_use]
    pub fn get(&self, channel: &ChannelId) -> Option<&Capabilities> {
        self.0.get(channel)
    }

    /// The configured channel ids.
    pub fn ids(&self) -> impl Iterator<Item = &ChannelId> {
        self.0.keys()
    }
}
