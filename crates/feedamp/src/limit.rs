//! The request spacing shared by every call of one FeedAMP client, token calls included:
//! FeedAMP recommends at most 2 requests per second, so calls are spaced evenly by a minimum
//! interval rather than sent in bursts.
//!
//! A reservation scheme: the next free slot is kept under a lock; each call takes the later of
//! now and that slot, moves the slot on by the interval, and sleeps until its own slot. Calls
//! are thus served in the order they asked, and a call whose future is dropped only wastes its
//! slot.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Even spacing of calls: at most one per `interval`.
#[derive(Debug)]
pub(crate) struct RateLimit {
    interval: Duration,
    next_free: Mutex<Option<Instant>>,
}

impl RateLimit {
    /// Spacing of `interval` between two calls.
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            next_free: Mutex::new(None),
        }
    }

    /// Reserves the next free slot and returns its time.
    fn reserve(&self) -> Instant {
        let now = Instant::now();
        // The slot is a plain value: a panic elsewhere while holding the lock leaves it usable.
        let mut next_free = self
            .next_free
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let slot = next_free.map_or(now, |next| next.max(now));
        *next_free = Some(slot.checked_add(self.interval).unwrap_or(slot));
        slot
    }

    /// Waits for this call's slot.
    pub(crate) async fn wait(&self) {
        tokio::time::sleep_until(self.reserve()).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::RateLimit;

    #[tokio::test(start_paused = true)]
    async fn the_first_call_goes_at_once_and_the_next_ones_one_interval_apart() {
        let limit = RateLimit::new(Duration::from_millis(500));
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..5 {
            limit.wait().await;
            times.push(Instant::now() - start);
        }
        let expected: Vec<Duration> = (0..5).map(|i| Duration::from_millis(500 * i)).collect();
        assert_eq!(times, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_get_distinct_evenly_spaced_slots() {
        let limit = Arc::new(RateLimit::new(Duration::from_millis(500)));
        let start = Instant::now();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let limit = Arc::clone(&limit);
                tokio::spawn(async move {
                    limit.wait().await;
                    Instant::now() - start
                })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap_or(Duration::MAX));
        }
        times.sort();
        let expected: Vec<Duration> = (0..6).map(|i| Duration::from_millis(500 * i)).collect();
        assert_eq!(times, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_client_does_not_bank_slots_for_a_burst() {
        let limit = RateLimit::new(Duration::from_millis(500));
        limit.wait().await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        limit.wait().await;
        limit.wait().await;
        limit.wait().await;
        assert_eq!(Instant::now() - start, Duration::from_millis(1000));
    }
}
