//! The in-memory store's webhook ids.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::ports::store::{StoreError, WebhookIds};
use crate::values::ChannelId;

#[async_trait]
impl WebhookIds for MemoryStore {
    async fn record_webhook_id(
        &self,
        channel: &ChannelId,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.state()?.webhook_ids.record(channel, id, now, until))
    }

    async fn forget_webhook_id(&self, channel: &ChannelId, id: &str) -> Result<(), StoreError> {
        self.state()?.webhook_ids.forget(channel, id);
        Ok(())
    }
}
