//! Fault injection shared by the fake marketplaces: what the next requests to a faulted
//! endpoint should suffer, set from tests through [`FaultInjector`] or over HTTP on the control
//! path [`FAULTS_PATH`].
//!
//! Tests run one sandbox server per marketplace account, so the faults of one server are the
//! faults of one account: a bad day for one account is set on its server alone.
//!
//! # Faults and their order
//!
//! Faults apply to the marketplace endpoints a fake names as faulted (the fake ADM's
//! Create Fulfillment path; the fake FeedAMP's data routes, and its token route through a
//! second injector), never to the control paths. For each such request:
//!
//! 1. **Hang**: while `hang` is on, the request is accepted and held with no answer until
//!    `hang` is switched off (or cleared, or the server stops); it then goes on from step 2 as
//!    if it had just arrived. Nothing is taken from the plan while it hangs, so a client that
//!    gives up and closes the connection uses nothing up: the server drops the request, which
//!    leaves only its log entry (no status, `hung`). A held request costs one waiting task and
//!    its connection, both freed when the client leaves ([`FaultInjector::held`] counts those
//!    still held). Other routes, the other injector's route and the control paths are never
//!    held, so a test can switch the hang off over HTTP while requests hang.
//! 2. **Delay**: when a delay is set, the request waits that long before it is handled at all
//!    (the faults below included). A client that gives up and closes the connection during
//!    the delay leaves nothing behind: the server drops the request unhandled.
//!    A delay applies to every request until cleared, or to the next `delay_requests` ones.
//! 3. **Refused credentials**: while `refuse_credentials` is set (to `401` or `403`), every
//!    request is answered with that status and the marketplace's unauthorized (`401`) or
//!    forbidden (`403`) body, as if the account's credentials were revoked, until it is set
//!    to `null` or cleared ("the credentials work again"). The counted faults below stay
//!    pending meanwhile. The log records the fault as `unauthorized` or `forbidden`.
//! 4. Otherwise at most **one** counted fault, the first one with requests left, in this order:
//!    1. `drop_connections`: the connection is closed with no HTTP response;
//!    2. `unauthorized`: `401` with the marketplace's unauthorized body;
//!    3. `forbidden`: `403` with the marketplace's forbidden body;
//!    4. `too_many_requests`: `429` with `Retry-After: <retry_after_secs>`;
//!    5. `server_errors`: `500` with the marketplace's server error body.
//!
//!    A request refused in step 3 or 4 is not handled further, so it creates nothing.
//! 5. Otherwise the request is handled normally.
//!
//! What a request gets in steps 2 to 4 is taken (and counted off) when it arrives, or when its
//! hang ends, before its delay: a request abandoned during a delay still uses up its counted
//! fault.
//!
//! Setting a count replaces the count still pending (it does not add to it). The plan is
//! behind one mutex (the hang behind a watch channel), never held across an await, so tests
//! may change faults while requests are in flight or held.
//!
//! # Control path
//!
//! `GET` [`FAULTS_PATH`] shows the pending faults; `POST` with a JSON [`FaultPlan`] sets the
//! fields it names and leaves the others; `DELETE` clears everything (releasing held
//! requests). Each answers with the pending faults. The control path takes no key: the
//! sandbox is a test tool.

mod control;
mod injector;

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

pub use injector::FaultInjector;

/// The control path for faults.
pub const FAULTS_PATH: &str = "/_sandbox/faults";

/// `Retry-After` seconds of a `429` when none is given.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// A fault, as applied to one request (and recorded in its log entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The connection was closed with no HTTP response.
    DropConnection,
    /// `401` with the unauthorized body (counted, or refused credentials).
    Unauthorized,
    /// `403` with the forbidden body (counted, or refused credentials).
    Forbidden,
    /// `429` with `Retry-After`.
    TooManyRequests {
        /// The `Retry-After` value sent, in seconds.
        retry_after_secs: u64,
    },
    /// `500` with the server error body.
    ServerError,
}

/// How refused credentials are answered: written as the status, `401` or `403`, in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub enum Refusal {
    /// `401` with the unauthorized body: the key or token is no longer valid.
    Unauthorized,
    /// `403` with the forbidden body: the credentials are valid but no longer allowed.
    Forbidden,
}

impl Refusal {
    /// The status answered.
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
        }
    }

    /// The fault a refused request gets.
    #[must_use]
    pub fn fault(self) -> Fault {
        match self {
            Self::Unauthorized => Fault::Unauthorized,
            Self::Forbidden => Fault::Forbidden,
        }
    }
}

impl TryFrom<u16> for Refusal {
    type Error = String;

    fn try_from(status: u16) -> Result<Self, Self::Error> {
        match status {
            401 => Ok(Self::Unauthorized),
            403 => Ok(Self::Forbidden),
            other => Err(format!(
                "refuse_credentials takes 401, 403 or null, not {other}"
            )),
        }
    }
}

impl From<Refusal> for u16 {
    fn from(refusal: Refusal) -> Self {
        refusal.status()
    }
}

/// The faults still pending. Also the answer of the control path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFaults {
    /// Requests left whose connection is dropped.
    pub drop_connections: u32,
    /// Requests left answered `401`.
    pub unauthorized: u32,
    /// Requests left answered `403`.
    pub forbidden: u32,
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
    /// While set, every request is refused with this status (`401` or `403` in JSON).
    pub refuse_credentials: Option<Refusal>,
    /// While true, every request is held unanswered.
    pub hang: bool,
}

/// A change to the pending faults: the JSON body of `POST` [`FAULTS_PATH`]. Each field given
/// replaces the pending value; fields left out stay as they are.
///
/// ```json
/// {"server_errors": 3, "drop_connections": 1, "too_many_requests": 2, "retry_after_secs": 5,
///  "unauthorized": 1, "forbidden": 1, "delay_ms": 2000, "delay_requests": 1,
///  "refuse_credentials": 401, "hang": true}
/// ```
///
/// `delay_ms: 0` clears the delay; `delay_ms` without `delay_requests` delays every request
/// until cleared. `refuse_credentials: null` and `hang: false` end those modes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// Drop the connection of the next N requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_connections: Option<u32>,
    /// Answer the next N requests `401`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unauthorized: Option<u32>,
    /// Answer the next N requests `403` with the marketplace's forbidden body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbidden: Option<u32>,
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
    /// Refuse every request with this status (`401` or `403`) until set to `null` or
    /// cleared: credentials revoked. Left out (`None`): unchanged; `null` (`Some(None)`):
    /// the credentials work again.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub refuse_credentials: Option<Option<Refusal>>,
    /// Hold every request unanswered (`true`) until set to `false` or cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hang: Option<bool>,
}

/// A field that is present, `null` included: `Some(None)` for `null`, so that left out
/// (`None`, by `default`) and `null` differ.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// What one request gets once any hang is over: a delay first, then a fault or normal
/// handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Planned {
    pub(crate) delay: Option<Duration>,
    pub(crate) fault: Option<Fault>,
}
