//! Keeping a delivery's lease while it is sent: the dispatcher renews it through the store
//! (whose clock decides when leases run out) and a send whose lease cannot be kept is cut
//! off rather than outliving it, so that no other worker sends the row while this one still
//! does. The timing (when to renew, when to give up) belongs to the caller's runtime; this
//! part races the send against it.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Dispatcher;
use crate::ports::marketplace::Outcome;
use crate::ports::store::{Lease, StoreError};

impl Dispatcher {
    /// How long a claim's lease runs (and each renewal extends it).
    #[must_use]
    pub fn lease_length(&self) -> Duration {
        self.policy.lease
    }

    /// Extends `lease` by [`Dispatcher::lease_length`] from the store's clock now. `None`:
    /// the lease is no longer held (another worker claimed the row after it ran out, or it
    /// was recorded or released).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be reached; the lease runs on unrenewed.
    pub async fn renew(&self, lease: &Lease) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.queue.renew(lease, self.policy.lease).await
    }

    /// Runs `send` until it ends or `keep` gives up on the lease (ending with why), whichever
    /// comes first. A send cut off this way is a retry: the marketplace may or may not have
    /// it, and its `Idempotency-Key` lets a later attempt be dropped as a repeat.
    pub(super) async fn leased(
        send: impl Future<Output = Outcome>,
        keep: impl Future<Output = String>,
    ) -> Outcome {
        let mut send = pin!(send);
        let mut keep = pin!(keep);
        poll_fn(|cx| {
            if let Poll::Ready(outcome) = send.as_mut().poll(cx) {
                return Poll::Ready(outcome);
            }
            keep.as_mut().poll(cx).map(|reason| Outcome::Retry {
                reason: format!("send cut off: {reason}"),
                retry_after: None,
            })
        })
        .await
    }
}
