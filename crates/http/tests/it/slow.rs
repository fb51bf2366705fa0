//! A store that answers slowly (or not at all): for the request timeout and readiness tests.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::{Order, OrderEvent, Version};
use orderbridge_domain::outbox::{Delivery, NewDelivery};
use orderbridge_domain::ports::store::{
    AttemptResult, ClaimRequest, Claimed, DeliveryQuery, InsertError, Lease, LeaseError, OrderPage,
    OrderQuery, OrderStore, OutboxStats, RequeueError, SaveError, StoreError,
};
use orderbridge_domain::testing::MemoryStore;
use orderbridge_domain::values::{ChannelId, DeliveryId, ExternalOrderId, OrderId};
use uuid::Uuid;

/// Delegates to a memory store; reads of one order take `delay`, and `ping` fails when `down`.
#[derive(Debug, Default)]
pub struct SlowStore {
    pub inner: MemoryStore,
    pub delay: Duration,
    pub down: bool,
}

#[async_trait]
impl OrderStore for SlowStore {
    async fn insert(&self, order: &Order, outbox: &[NewDelivery]) -> Result<Version, InsertError> {
        self.inner.insert(order, outbox).await
    }
    async fn get(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        tokio::time::sleep(self.delay).await;
        self.inner.get(id).await
    }
    async fn find_by_external(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<Option<Order>, StoreError> {
        self.inner.find_by_external(channel, external_id).await
    }
    async fn list(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        self.inner.list(query).await
    }
    async fn save(&self, order: &Order, outbox: &[NewDelivery]) -> Result<Version, SaveError> {
        self.inner.save(order, outbox).await
    }
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<Claimed>, StoreError> {
        self.inner.claim_due(request).await
    }
    async fn complete(
        &self,
        lease: &Lease,
        result: &AttemptResult,
        event: &OrderEvent,
    ) -> Result<(), LeaseError> {
        self.inner.complete(lease, result, event).await
    }
    async fn release(&self, token: Uuid) -> Result<u64, StoreError> {
        self.inner.release(token).await
    }
    async fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        self.inner.delivery(id).await
    }
    async fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError> {
        self.inner.deliveries(query).await
    }
    async fn requeue(
        &self,
        id: DeliveryId,
        now: DateTime<Utc>,
        event: &OrderEvent,
    ) -> Result<Delivery, RequeueError> {
        self.inner.requeue(id, now, event).await
    }
    async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        self.inner.outbox_stats().await
    }
    async fn poll_cursor(&self, channel: &ChannelId) -> Result<Option<String>, StoreError> {
        self.inner.poll_cursor(channel).await
    }
    async fn set_poll_cursor(&self, channel: &ChannelId, cursor: &str) -> Result<(), StoreError> {
        self.inner.set_poll_cursor(channel, cursor).await
    }
    async fn lease_poller(
        &self,
        channel: &ChannelId,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.inner.lease_poller(channel, owner, now, until).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        if self.down {
            Err(StoreError::msg("connection refused"))
        } else {
            Ok(())
        }
    }
}
