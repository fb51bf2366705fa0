//! The dispatcher loop's send slots, per channel account: at most `per_channel` deliveries of
//! one channel are sent and not yet recorded at once, and at most `lookahead` more are claimed
//! and waiting for a slot, so that a channel whose calls hang holds only its own slots and a
//! bounded number of claimed rows, while a fast channel keeps a batch claimed ahead.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use orderbridge_domain::values::ChannelId;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// One channel's slots and its rows claimed and not yet recorded.
#[derive(Debug)]
struct Channel {
    sends: Arc<Semaphore>,
    outstanding: AtomicUsize,
}

/// The slots of every channel account.
#[derive(Debug, Clone)]
pub(crate) struct Slots {
    per_channel: usize,
    lookahead: usize,
    channels: Arc<Mutex<HashMap<ChannelId, Arc<Channel>>>>,
    freed: Arc<Notify>,
}

/// A claimed row of a channel, counted until it is recorded or given up.
#[derive(Debug)]
pub(crate) struct Claim {
    channel: Arc<Channel>,
    freed: Arc<Notify>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.channel.outstanding.fetch_sub(1, Ordering::AcqRel);
        self.freed.notify_one();
    }
}

/// A send slot, held until the send's outcome is committed.
#[derive(Debug)]
pub(crate) struct Slot {
    _permit: OwnedSemaphorePermit,
    _claim: Claim,
}

impl Slots {
    /// `per_channel` sends at once per channel, and `lookahead` rows claimed ahead per channel.
    pub(crate) fn new(per_channel: usize, lookahead: usize) -> Self {
        Self {
            per_channel: per_channel.max(1),
            lookahead,
            channels: Arc::default(),
            freed: Arc::new(Notify::new()),
        }
    }

    fn of(&self, channel: &ChannelId) -> Arc<Channel> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels
            .entry(channel.clone())
            .or_insert_with(|| {
                Arc::new(Channel {
                    sends: Arc::new(Semaphore::new(self.per_channel)),
                    outstanding: AtomicUsize::new(0),
                })
            })
            .clone()
    }

    /// Counts a row of `channel` just claimed.
    pub(crate) fn claimed(&self, channel: &ChannelId) -> Claim {
        let channel = self.of(channel);
        channel.outstanding.fetch_add(1, Ordering::AcqRel);
        Claim {
            channel,
            freed: self.freed.clone(),
        }
    }

    /// The channels with as many rows claimed and not yet recorded as they may have: the claim
    /// skips them.
    pub(crate) fn full(&self) -> Vec<ChannelId> {
        let limit = self.per_channel + self.lookahead;
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels
            .iter()
            .filter(|(_, c)| c.outstanding.load(Ordering::Acquire) >= limit)
            .map(|(channel, _)| channel.clone())
            .collect()
    }

    /// Waits for a send slot of the claimed row's channel.
    pub(crate) async fn take(&self, claim: Claim) -> Option<Slot> {
        let permit = claim.channel.sends.clone().acquire_owned().await.ok()?;
        Some(Slot {
            _permit: permit,
            _claim: claim,
        })
    }

    /// Resolves once a claimed row was recorded or given up since the last call (at once if
    /// one was meanwhile).
    pub(crate) async fn freed(&self) {
        self.freed.notified().await;
    }

    /// Resolves once one of the `full` channels has room again, so that the claimer does not
    /// query for every row recorded meanwhile.
    pub(crate) async fn room_in(&self, full: &[ChannelId]) {
        loop {
            self.freed().await;
            let still = self.full();
            if full.iter().any(|channel| !still.contains(channel)) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use orderbridge_domain::values::ChannelId;

    use super::Slots;

    #[tokio::test]
    async fn a_channel_is_full_at_its_sends_plus_lookahead_and_free_again_when_a_row_is_done() {
        let slots = Slots::new(2, 1);
        let a = ChannelId::parse("a").unwrap();
        let b = ChannelId::parse("b").unwrap();
        let claims: Vec<_> = (0..3).map(|_| slots.claimed(&a)).collect();
        let _other = slots.claimed(&b);
        assert_eq!(slots.full(), vec![a.clone()], "a has 3 of 2 + 1; b has 1");
        let mut claims = claims.into_iter();
        let first = slots.take(claims.next().unwrap()).await.unwrap();
        let _second = slots.take(claims.next().unwrap()).await.unwrap();
        let third = claims.next().unwrap();
        let waiting =
            tokio::time::timeout(std::time::Duration::from_millis(50), slots.take(third)).await;
        assert!(waiting.is_err(), "two sends at once: the third waits");
        // The third claim was dropped with its wait: a is no longer full.
        assert!(slots.full().is_empty());
        drop(first);
        slots.freed().await;
    }
}
