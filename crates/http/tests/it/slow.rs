//! Ports that answer slowly or not at all: for the request timeout and readiness tests. Each
//! replaces one port of the memory store.

use std::time::Duration;

use async_trait::async_trait;
use orderbridge_domain::alert::Alert;
use orderbridge_domain::order::{Order, Version};
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::{
    Health, InsertError, OrderPage, OrderQuery, OrderStore, SaveError, StoreError,
};
use orderbridge_domain::testing::MemoryStore;
use orderbridge_domain::values::{ChannelId, ExternalOrderId, OrderId};

/// Orders from a memory store; reads of one order take `delay`.
#[derive(Debug, Default)]
pub struct SlowOrders {
    pub inner: MemoryStore,
    pub delay: Duration,
}

#[async_trait]
impl OrderStore for SlowOrders {
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
    async fn save(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
        alerts: &[Alert],
    ) -> Result<Version, SaveError> {
        self.inner.save(order, outbox, alerts).await
    }
}

/// A store that does not answer.
#[derive(Debug, Default)]
pub struct Down;

#[async_trait]
impl Health for Down {
    async fn ping(&self) -> Result<(), StoreError> {
        Err(StoreError::msg("connection refused"))
    }
}
