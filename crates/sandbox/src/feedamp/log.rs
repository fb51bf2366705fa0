//! The fake FeedAMP's request log: every request to its API (not to the control paths) with
//! what it was answered, and the busiest-window count that tells whether a client kept to
//! FeedAMP's 2 requests per second.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::faults::Fault;

/// One request the fake FeedAMP received, whatever it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedampRequestLog {
    /// When it arrived (wall clock).
    pub received_at: DateTime<Utc>,
    /// When it arrived, on a monotonic clock from the sandbox's start: what
    /// [`max_in_window`] counts with.
    pub since_start: Duration,
    /// The HTTP method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The status answered; `None` when no answer was sent (a dropped connection, or a client
    /// that left during a delay).
    pub status: Option<u16>,
    /// The counted fault applied, if any.
    pub fault: Option<Fault>,
    /// The delay applied before handling, if any.
    pub delay: Option<Duration>,
    /// The `error` text answered, for a 4xx or 5xx.
    pub error: Option<String>,
    /// The order id in the path, for the per-order routes.
    pub order_id: Option<String>,
}

impl FeedampRequestLog {
    /// As JSON, for the control path.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "received_at": self.received_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "since_start_ms": millis(self.since_start),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "fault": self.fault,
            "delay_ms": self.delay.map(millis),
            "error": self.error,
            "order_id": self.order_id,
        })
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The largest number of `times` that fall in any half-open window `[t, t + window)`.
///
/// Requests a client sends exactly 500 ms apart reach the server a few milliseconds early or
/// late, so three of them can land just inside one second; a test checking 2 requests per
/// second may allow for that with a slightly shorter window (e.g. 950 ms).
#[must_use]
pub fn max_in_window(times: impl IntoIterator<Item = Duration>, window: Duration) -> usize {
    let mut times: Vec<Duration> = times.into_iter().collect();
    times.sort_unstable();
    let mut best = 0;
    let mut start = 0;
    for (end, at) in times.iter().enumerate() {
        while times
            .get(start)
            .is_some_and(|first| at.saturating_sub(*first) >= window)
        {
            start += 1;
        }
        best = best.max(end + 1 - start);
    }
    best
}

/// The log, capped at `keep` entries (the oldest go first).
#[derive(Debug)]
pub(crate) struct RequestBook {
    started: Instant,
    keep: usize,
    entries: Mutex<VecDeque<FeedampRequestLog>>,
}

impl RequestBook {
    pub(crate) fn new(keep: usize) -> Self {
        Self {
            started: Instant::now(),
            keep,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<FeedampRequestLog>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new entry for a request arriving now, not yet answered.
    pub(crate) fn start(
        &self,
        method: String,
        path: String,
        query: Option<String>,
    ) -> FeedampRequestLog {
        FeedampRequestLog {
            received_at: Utc::now(),
            since_start: self.started.elapsed(),
            method,
            path,
            query,
            status: None,
            fault: None,
            delay: None,
            error: None,
            order_id: None,
        }
    }

    pub(crate) fn push(&self, entry: FeedampRequestLog) {
        if self.keep == 0 {
            return;
        }
        let mut entries = self.lock();
        while entries.len() >= self.keep {
            entries.pop_front();
        }
        // Entries are written when answered; keep them in arrival order.
        let at = entries
            .iter()
            .rposition(|other| other.since_start <= entry.since_start)
            .map_or(0, |index| index + 1);
        entries.insert(at, entry);
    }

    pub(crate) fn entries(&self) -> Vec<FeedampRequestLog> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::max_in_window;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn the_window_is_half_open() {
        let second = Duration::from_secs(1);
        assert_eq!(max_in_window(ms(&[0, 500, 1000, 1500]), second), 2);
        assert_eq!(max_in_window(ms(&[0, 499, 998, 1500]), second), 3);
        assert_eq!(max_in_window(ms(&[1500, 0, 10, 20]), second), 3);
        assert_eq!(max_in_window(ms(&[]), second), 0);
        assert_eq!(max_in_window(ms(&[7]), second), 1);
    }
}
