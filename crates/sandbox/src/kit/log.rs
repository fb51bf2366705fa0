//! The request log both fakes keep: every request to a fake's marketplace routes (not to its
//! control paths) with what it was answered, in arrival order, capped at the configured
//! number of entries; and the busiest-window count that tells whether a client kept to a rate
//! limit (FeedAMP's 2 requests per second).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode, Uri};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::kit::faults::Fault;

/// One request a fake received, whatever it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLog {
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
    /// Whether the request was held by the hang (see [`crate::faults`]); with no status, the
    /// client gave up while it was held.
    pub hung: bool,
    /// The error text answered, for a 4xx or 5xx.
    pub error: Option<String>,
    /// The order the request was about, when it named one (the path's id for FeedAMP, the
    /// body's usable `order_id` for ADM).
    pub order_id: Option<String>,
    /// The `Idempotency-Key` header sent, if any: entries sharing one are attempts of one
    /// delivery, so a test can count re-sends.
    pub idempotency_key: Option<String>,
    /// Whether the answer was the one recorded for an `Idempotency-Key` seen before, rather
    /// than a fresh handling (the fake ADM only).
    pub replayed: bool,
}

impl RequestLog {
    /// As JSON, every field, the arrival time with milliseconds (the fake FeedAMP's control
    /// path; the fake ADM's shows fewer fields, see its `wire` module).
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
            "hung": self.hung,
            "error": self.error,
            "order_id": self.order_id,
            "idempotency_key": self.idempotency_key,
            "replayed": self.replayed,
        })
    }
}

/// Whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
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
    entries: Mutex<VecDeque<RequestLog>>,
}

impl RequestBook {
    pub(crate) fn new(keep: usize) -> Self {
        Self {
            started: Instant::now(),
            keep,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<RequestLog>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new entry for a request arriving now, not yet answered.
    pub(crate) fn start(&self, method: &Method, uri: &Uri) -> RequestLog {
        RequestLog {
            received_at: Utc::now(),
            since_start: self.started.elapsed(),
            method: method.to_string(),
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            status: None,
            fault: None,
            delay: None,
            hung: false,
            error: None,
            order_id: None,
            idempotency_key: None,
            replayed: false,
        }
    }

    /// The entry of a request arriving now, written to the log when the returned guard is
    /// dropped: also when the client leaves during a hang or a delay and hyper drops the
    /// handler, which then logs the request with no status. Its faults are filled in by
    /// [`crate::faults::FaultInjector`] as they are applied.
    pub(crate) fn arriving(&self, method: &Method, uri: &Uri) -> Pending<'_> {
        Pending {
            book: self,
            entry: Some(self.start(method, uri)),
        }
    }

    /// Logs a request answered at once with `status` and `error` (no fault, no delay).
    pub(crate) fn answered(&self, method: &Method, uri: &Uri, status: StatusCode, error: &str) {
        let mut entry = self.start(method, uri);
        entry.status = Some(status.as_u16());
        entry.error = Some(error.to_owned());
        self.push(entry);
    }

    pub(crate) fn push(&self, entry: RequestLog) {
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

    pub(crate) fn entries(&self) -> Vec<RequestLog> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// A request's log entry, written to its book when dropped.
#[derive(Debug)]
pub(crate) struct Pending<'a> {
    book: &'a RequestBook,
    entry: Option<RequestLog>,
}

impl Pending<'_> {
    /// The entry, to fill in as the request is handled.
    pub(crate) fn entry(&mut self) -> Option<&mut RequestLog> {
        self.entry.as_mut()
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            self.book.push(entry);
        }
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
