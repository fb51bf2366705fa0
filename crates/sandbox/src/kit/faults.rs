//! Fault injection shared by the fake marketplaces: what the next requests to a faulted
//! endpoint should suffer, set from tests through [`FaultInjector`] or over HTTP on the control
//! path [`FAULTS_PATH`].
//!
//! # Faults and their order
//!
//! Faults apply to the marketplace endpoints a fake names as faulted (the fake ADM's
//! Create Fulfillment path; the fake FeedAMP's data routes, and its token route through a
//! second injector), never to the control paths. For each such request:
//!
//! 1. **Delay**: when a delay is set, the request waits that long before it is handled at all
//!    (the counted faults below included). A client that gives up and closes the connection
//!    during the delay leaves nothing behind: the server drops the request unhandled.
//!    A delay applies to every request until cleared, or to the next `delay_requests` ones.
//! 2. Then at most **one** counted fault, the first one with requests left, in this order:
//!    1. `drop_connections`: the connection is closed with no HTTP response;
//!    2. `unauthorized`: `401` with the marketplace's unauthorized body;
//!    3. `too_many_requests`: `429` with `Retry-After: <retry_after_secs>`;
//!    4. `server_errors`: `500` with the marketplace's server error body.
//!
//!    The request is not handled further, so it creates nothing.
//! 3. Otherwise the request is handled normally.
//!
//! What a request gets is taken (and counted off) when it arrives, before its delay: a
//! request abandoned during a delay still uses up its counted fault.
//!
//! Setting a count replaces the count still pending (it does not add to it). Everything is
//! behind one mutex, so tests may change faults while requests are in flight.
//!
//! # Control path
//!
//! `GET` [`FAULTS_PATH`] shows the pending faults; `POST` with a JSON [`FaultPlan`] sets the
//! fields it names and leaves the others; `DELETE` clears everything. Each answers with the
//! pending faults. The control path takes no key: the sandbox is a test tool.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::kit::log::millis;
use crate::kit::server::json_error;

/// The control path for faults.
pub const FAULTS_PATH: &str = "/_sandbox/faults";

/// `Retry-After` seconds of a `429` when none is given.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// A counted fault, as applied to one request (and recorded in its log entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The connection was closed with no HTTP response.
    DropConnection,
    /// `401` with the unauthorized body.
    Unauthorized,
    /// `429` with `Retry-After`.
    TooManyRequests {
        /// The `Retry-After` value sent, in seconds.
        retry_after_secs: u64,
    },
    /// `500` with the server error body.
    ServerError,
}

/// The faults still pending. Also the answer of the control path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFaults {
    /// Requests left whose connection is dropped.
    pub drop_connections: u32,
    /// Requests left answered `401`.
    pub unauthorized: u32,
    /// Requests left answered `429`.
    pub too_many_requests: u32,
    /// The `Retry-After` seconds of those `429`s.
    pub retry_after_secs: u64,
    /// Requests left answered `500`.
    pub server_errors: u32,
    /// The delay before each request is handled, in milliseconds; `None` for none.
    pub delay_ms: Option<u64>,
    /// How many more requests are delayed; `None` for all of them until cleared.
    pub delay_requests: Option<u32>,
}

/// A change to the pending faults: the JSON body of `POST` [`FAULTS_PATH`]. Each field given
/// replaces the pending value; fields left out stay as they are.
///
/// ```json
/// {"server_errors": 3, "drop_connections": 1, "too_many_requests": 2, "retry_after_secs": 5,
///  "unauthorized": 1, "delay_ms": 2000, "delay_requests": 1}
/// ```
///
/// `delay_ms: 0` clears the delay; `delay_ms` without `delay_requests` delays every request
/// until cleared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// Drop the connection of the next N requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_connections: Option<u32>,
    /// Answer the next N requests `401`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unauthorized: Option<u32>,
    /// Answer the next N requests `429`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub too_many_requests: Option<u32>,
    /// The `Retry-After` of those `429`s, in seconds (default
    /// [`DEFAULT_RETRY_AFTER_SECS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// Answer the next N requests `500`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_errors: Option<u32>,
    /// Hold each request this long before handling it; 0 clears the delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Delay only the next N requests (with `delay_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_requests: Option<u32>,
}

/// What one request gets: a delay first, then a counted fault or normal handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Planned {
    pub(crate) delay: Option<Duration>,
    pub(crate) fault: Option<Fault>,
}

/// The faults of one fake server; cheap to clone, shared with its handlers.
#[derive(Debug, Clone)]
pub struct FaultInjector(Arc<Mutex<PendingFaults>>);

impl Default for FaultInjector {
    fn default() -> Self {
        Self::new()
    }
}

impl FaultInjector {
    /// No faults pending.
    #[must_use]
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(PendingFaults {
            retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
            ..PendingFaults::default()
        })))
    }

    fn lock(&self) -> MutexGuard<'_, PendingFaults> {
        // A panic while holding the lock leaves plain counters behind, still usable.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers the next `n` requests `500`.
    pub fn fail_next(&self, n: u32) {
        self.lock().server_errors = n;
    }

    /// Closes the connection of the next `n` requests without answering.
    pub fn drop_next(&self, n: u32) {
        self.lock().drop_connections = n;
    }

    /// Answers the next `n` requests `429` with `Retry-After: <whole seconds of retry_after>`.
    pub fn rate_limit_next(&self, n: u32, retry_after: Duration) {
        let mut pending = self.lock();
        pending.too_many_requests = n;
        pending.retry_after_secs = retry_after.as_secs();
    }

    /// Answers the next `n` requests `401`.
    pub fn unauthorized_next(&self, n: u32) {
        self.lock().unauthorized = n;
    }

    /// Holds every request `delay` before handling it, until [`FaultInjector::clear_delay`].
    pub fn delay_all(&self, delay: Duration) {
        let mut pending = self.lock();
        pending.delay_ms = Some(millis(delay));
        pending.delay_requests = None;
    }

    /// Holds the next `n` requests `delay` before handling them.
    pub fn delay_next(&self, n: u32, delay: Duration) {
        let mut pending = self.lock();
        pending.delay_ms = Some(millis(delay));
        pending.delay_requests = Some(n);
    }

    /// Removes the delay.
    pub fn clear_delay(&self) {
        let mut pending = self.lock();
        pending.delay_ms = None;
        pending.delay_requests = None;
    }

    /// Removes every pending fault.
    pub fn clear(&self) {
        *self.lock() = PendingFaults {
            retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
            ..PendingFaults::default()
        };
    }

    /// Applies a plan: each field it names replaces the pending value.
    pub fn apply(&self, plan: &FaultPlan) {
        let mut pending = self.lock();
        if let Some(n) = plan.drop_connections {
            pending.drop_connections = n;
        }
        if let Some(n) = plan.unauthorized {
            pending.unauthorized = n;
        }
        if let Some(n) = plan.too_many_requests {
            pending.too_many_requests = n;
        }
        if let Some(secs) = plan.retry_after_secs {
            pending.retry_after_secs = secs;
        }
        if let Some(n) = plan.server_errors {
            pending.server_errors = n;
        }
        match plan.delay_ms {
            Some(0) => {
                pending.delay_ms = None;
                pending.delay_requests = None;
            }
            Some(ms) => {
                pending.delay_ms = Some(ms);
                pending.delay_requests = plan.delay_requests;
            }
            None => {
                if plan.delay_requests.is_some() {
                    pending.delay_requests = plan.delay_requests;
                }
            }
        }
    }

    /// The faults still pending.
    #[must_use]
    pub fn pending(&self) -> PendingFaults {
        self.lock().clone()
    }

    /// Takes what the next request gets, counting it off (see the module docs for the order).
    pub(crate) fn take(&self) -> Planned {
        let mut pending = self.lock();
        let delay = match (pending.delay_ms, pending.delay_requests) {
            (None, _) | (Some(_), Some(0)) => None,
            (Some(ms), None) => Some(Duration::from_millis(ms)),
            (Some(ms), Some(left)) => {
                pending.delay_requests = Some(left - 1);
                if left == 1 {
                    pending.delay_ms = None;
                    pending.delay_requests = None;
                }
                Some(Duration::from_millis(ms))
            }
        };
        let fault = if take_one(&mut pending.drop_connections) {
            Some(Fault::DropConnection)
        } else if take_one(&mut pending.unauthorized) {
            Some(Fault::Unauthorized)
        } else if take_one(&mut pending.too_many_requests) {
            Some(Fault::TooManyRequests {
                retry_after_secs: pending.retry_after_secs,
            })
        } else if take_one(&mut pending.server_errors) {
            Some(Fault::ServerError)
        } else {
            None
        };
        Planned { delay, fault }
    }

    /// The control routes ([`FAULTS_PATH`]) for this injector.
    pub(crate) fn routes(&self) -> Router {
        self.routes_at(FAULTS_PATH)
    }

    /// The same control routes at another path, for a fake with a second injector (the fake
    /// FeedAMP's token route has its own).
    pub(crate) fn routes_at(&self, path: &str) -> Router {
        Router::new()
            .route(path, get(show_faults).post(set_faults).delete(clear_faults))
            .with_state(self.clone())
    }
}

/// Counts one request off `left`; false when none were left.
fn take_one(left: &mut u32) -> bool {
    if *left == 0 {
        false
    } else {
        *left -= 1;
        true
    }
}

async fn show_faults(State(faults): State<FaultInjector>) -> Response {
    axum::Json(faults.pending()).into_response()
}

async fn set_faults(State(faults): State<FaultInjector>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultPlan>(&body) {
        Ok(plan) => {
            faults.apply(&plan);
            tracing::debug!(?plan, "sandbox faults set");
            axum::Json(faults.pending()).into_response()
        }
        Err(error) => json_error(
            StatusCode::BAD_REQUEST,
            "Invalid Fault Plan",
            &format!("expected a JSON fault plan: {error}"),
        ),
    }
}

async fn clear_faults(State(faults): State<FaultInjector>) -> Response {
    faults.clear();
    axum::Json(faults.pending()).into_response()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Fault, FaultInjector, FaultPlan};

    #[test]
    fn counted_faults_apply_one_per_request_in_the_documented_order() {
        let faults = FaultInjector::new();
        faults.fail_next(1);
        faults.rate_limit_next(1, Duration::from_secs(7));
        faults.unauthorized_next(1);
        faults.drop_next(1);
        let seen: Vec<Option<Fault>> = (0..5).map(|_| faults.take().fault).collect();
        assert_eq!(
            seen,
            [
                Some(Fault::DropConnection),
                Some(Fault::Unauthorized),
                Some(Fault::TooManyRequests {
                    retry_after_secs: 7
                }),
                Some(Fault::ServerError),
                None,
            ]
        );
    }

    #[test]
    fn a_counted_delay_runs_out_and_a_plain_delay_stays() {
        let faults = FaultInjector::new();
        faults.delay_next(2, Duration::from_millis(5));
        let delays: Vec<_> = (0..3).map(|_| faults.take().delay).collect();
        let five = Some(Duration::from_millis(5));
        assert_eq!(delays, [five, five, None]);
        faults.delay_all(Duration::from_millis(5));
        assert_eq!(faults.take().delay, five);
        assert_eq!(faults.take().delay, five);
        faults.clear_delay();
        assert_eq!(faults.take().delay, None);
    }

    #[test]
    fn a_plan_replaces_only_the_fields_it_names() {
        let faults = FaultInjector::new();
        faults.fail_next(5);
        faults.unauthorized_next(2);
        let plan: FaultPlan =
            serde_json::from_str(r#"{"server_errors": 1, "delay_ms": 10}"#).unwrap();
        faults.apply(&plan);
        let pending = faults.pending();
        assert_eq!(pending.server_errors, 1);
        assert_eq!(pending.unauthorized, 2);
        assert_eq!(pending.delay_ms, Some(10));
        assert_eq!(pending.delay_requests, None);
        faults.apply(&serde_json::from_str(r#"{"delay_ms": 0}"#).unwrap());
        assert_eq!(faults.pending().delay_ms, None);
        faults.clear();
        assert_eq!(faults.take(), super::Planned::default());
    }

    #[test]
    fn a_plan_with_an_unknown_field_is_refused() {
        assert!(serde_json::from_str::<FaultPlan>(r#"{"server_error": 1}"#).is_err());
    }
}
