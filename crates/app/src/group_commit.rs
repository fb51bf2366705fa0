//! Group commit of new orders (design section 10): orders that arrive together (webhooks,
//! polled pages) are stored in one transaction, and each caller is answered only after that
//! commit. The orders port of the service goes through [`GroupCommit`]: its `insert` joins
//! the next batch; everything else goes straight to the store.
//!
//! A committer task takes the first waiting order, waits for one of [`IN_FLIGHT`] commit
//! slots, then takes every order that arrived meanwhile (at most [`MAX_BATCH`]) and stores
//! them with `OrderStore::insert_many`, which answers each order as a lone insert would
//! (a duplicate, inside the batch too, is `AlreadyExists`; one bad order fails alone). With
//! nothing else waiting a batch is one order, so an idle service commits as before.

use std::sync::Arc;

use async_trait::async_trait;
use orderbridge_domain::alert::Alert;
use orderbridge_domain::order::{Order, Version};
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::store::{
    InsertError, NewOrderRows, OrderPage, OrderQuery, OrderStore, SaveError, StoreError,
};
use orderbridge_domain::values::{ChannelId, ExternalOrderId, OrderId};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Most orders in one transaction.
pub const MAX_BATCH: usize = 64;

/// Batches being committed at once: a new batch forms while these commit.
pub const IN_FLIGHT: usize = 2;

/// One order waiting for its batch, and where its outcome goes.
struct Waiting {
    new: NewOrderRows,
    answer: oneshot::Sender<Result<Version, InsertError>>,
}

/// The orders port with inserts grouped into shared transactions.
#[derive(Debug)]
pub struct GroupCommit {
    store: Arc<dyn OrderStore>,
    waiting: mpsc::UnboundedSender<Waiting>,
}

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiting")
            .field("order", &self.new.order.id())
            .finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the committer on the current runtime; it ends when the returned port is dropped.
    #[must_use]
    pub fn start(store: Arc<dyn OrderStore>) -> Arc<Self> {
        let (waiting, queue) = mpsc::unbounded_channel();
        tokio::spawn(commit_loop(store.clone(), queue));
        Arc::new(Self { store, waiting })
    }
}

/// Takes batches off `queue` and commits up to [`IN_FLIGHT`] of them at once.
async fn commit_loop(store: Arc<dyn OrderStore>, mut queue: mpsc::UnboundedReceiver<Waiting>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = queue.recv().await {
        // Orders that arrive while every slot is busy join this batch.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let store = store.clone();
        tokio::spawn(async move {
            let (news, answers): (Vec<NewOrderRows>, Vec<_>) =
                batch.into_iter().map(|w| (w.new, w.answer)).unzip();
            let outcomes = store.insert_many(&news).await;
            drop(slot);
            metrics::histogram!("orderbridge_order_insert_batch_size").record(news.len() as f64);
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                // A caller that went away (its request was cut off) needs no answer.
                let _ = answer.send(outcome);
            }
        });
    }
}

#[async_trait]
impl OrderStore for GroupCommit {
    async fn insert(&self, order: &Order, outbox: &[NewDelivery]) -> Result<Version, InsertError> {
        let (answer, outcome) = oneshot::channel();
        let new = NewOrderRows {
            order: order.clone(),
            outbox: outbox.to_vec(),
        };
        self.waiting
            .send(Waiting { new, answer })
            .map_err(|_| StoreError::msg("the group commit has stopped"))?;
        // No answer: the batch's task ended without one (it panicked); nothing is known to be
        // stored, and a retry finds the order if it was.
        outcome
            .await
            .map_err(|_| StoreError::msg("the group commit ended without an answer"))?
    }

    async fn insert_many(&self, batch: &[NewOrderRows]) -> Vec<Result<Version, InsertError>> {
        self.store.insert_many(batch).await
    }

    async fn get(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        self.store.get(id).await
    }

    async fn get_many(&self, ids: &[OrderId]) -> Result<Vec<Order>, StoreError> {
        self.store.get_many(ids).await
    }

    async fn find_by_external(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<Option<Order>, StoreError> {
        self.store.find_by_external(channel, external_id).await
    }

    async fn list(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        self.store.list(query).await
    }

    async fn save(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
        alerts: &[Alert],
    ) -> Result<Version, SaveError> {
        self.store.save(order, outbox, alerts).await
    }
}

#[cfg(test)]
#[path = "group_commit_tests.rs"]
mod tests;
