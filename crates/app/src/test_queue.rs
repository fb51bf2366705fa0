//! The dispatcher loop tests' delivery queue: the memory store's, whose recording can be held
//! back behind a gate and whose renewals can fail, counting them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::OrderEvent;
use orderbridge_domain::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryQueue, Lease, LeaseError, StoreError,
};
use orderbridge_domain::testing::MemoryStore;
use tokio::sync::watch;
use uuid::Uuid;

/// The memory store's queue with a gate on `complete_many` and failing renewals on demand.
#[derive(Debug)]
pub(crate) struct TestQueue {
    pub(crate) inner: Arc<MemoryStore>,
    /// `complete_many` waits until this turns true (none: never waits).
    pub(crate) gate: Option<watch::Receiver<bool>>,
    /// Renewals fail as if the database did not answer.
    pub(crate) renewals_fail: bool,
    /// Renewals asked for.
    pub(crate) renewals: AtomicUsize,
}

impl TestQueue {
    /// The plain memory store's queue.
    pub(crate) fn new(inner: Arc<MemoryStore>) -> Self {
        Self {
            inner,
            gate: None,
            renewals_fail: false,
            renewals: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl DeliveryQueue for TestQueue {
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
    async fn complete_many(&self, completions: &[Completion]) -> Result<Vec<bool>, StoreError> {
        if let Some(gate) = &self.gate {
            let mut open = gate.clone();
            let _ = open.wait_for(|open| *open).await;
        }
        self.inner.complete_many(completions).await
    }
    async fn renew(
        &self,
        lease: &Lease,
        length: Duration,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.renewals.fetch_add(1, Ordering::SeqCst);
        if self.renewals_fail {
            return Err(StoreError::msg("the database does not answer"));
        }
        self.inner.renew(lease, length).await
    }
    async fn release(&self, tokens: &[Uuid]) -> Result<u64, StoreError> {
        self.inner.release(tokens).await
    }
}
