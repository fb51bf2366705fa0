//! The in-memory store's early marketplace cancellations.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::order::MarketplaceCancel;
use crate::ports::store::{EarlyCancellations, StoreError};
use crate::values::{ChannelId, ExternalOrderId};

#[async_trait]
impl EarlyCancellations for MemoryStore {
    async fn keep_cancellation(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
        cancel: &MarketplaceCancel,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.state()?
            .early
            .insert((channel.clone(), external_id.clone()), cancel.clone());
        Ok(())
    }

    async fn kept_cancellation(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<Option<MarketplaceCancel>, StoreError> {
        Ok(self
            .state()?
            .early
            .get(&(channel.clone(), external_id.clone()))
            .cloned())
    }

    async fn forget_cancellation(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<(), StoreError> {
        self.state()?
            .early
            .remove(&(channel.clone(), external_id.clone()));
        Ok(())
    }
}
