//! The fault injector of one fake server: the pending plan behind a mutex, the hang behind a
//! watch channel that held requests wait on, and what a faulted request goes through before
//! it is handled ([`FaultInjector::admit`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use crate::kit::faults::{
    DEFAULT_RETRY_AFTER_SECS, Fault, FaultPlan, PendingFaults, Planned, Refusal,
};
use crate::kit::log::{Pending, millis};
use crate::kit::start::StopSignal;

/// The faults of one fake server; cheap to clone, shared with its handlers.
#[derive(Debug, Clone)]
pub struct FaultInjector(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Everything but the hang (its `hang` field stays false here).
    pending: Mutex<PendingFaults>,
    /// The hang: true while requests are held. Only held requests subscribe, so the number
    /// of receivers is the number of requests held.
    hang: watch::Sender<bool>,
}

impl Default for FaultInjector {
    fn default() -> Self {
        Self::new()
    }
}

fn nothing_pending() -> PendingFaults {
    PendingFaults {
        retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
        ..PendingFaults::default()
    }
}

impl FaultInjector {
    /// No faults pending.
    #[must_use]
    pub fn new() -> Self {
        Self(Arc::new(Inner {
            pending: Mutex::new(nothing_pending()),
            hang: watch::Sender::new(false),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, PendingFaults> {
        // A panic while holding the lock leaves plain counters behind, still usable.
        self.0
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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

    /// Answers the next `n` requests `403` with the marketplace's forbidden body.
    pub fn forbidden_next(&self, n: u32) {
        self.lock().forbidden = n;
    }

    /// Refuses every request with `refusal`'s status until
    /// [`FaultInjector::accept_credentials`] or [`FaultInjector::clear`]: the account's
    /// credentials are revoked.
    pub fn refuse_credentials(&self, refusal: Refusal) {
        self.lock().refuse_credentials = Some(refusal);
    }

    /// Ends [`FaultInjector::refuse_credentials`]: the credentials work again.
    pub fn accept_credentials(&self) {
        self.lock().refuse_credentials = None;
    }

    /// Holds every request unanswered until [`FaultInjector::release`] or
    /// [`FaultInjector::clear`].
    pub fn hang(&self) {
        self.0.hang.send_replace(true);
    }

    /// Ends [`FaultInjector::hang`]: held requests go on (see the module docs).
    pub fn release(&self) {
        self.0.hang.send_replace(false);
    }

    /// How many requests are held by the hang right now (a client that gave up no longer
    /// counts).
    #[must_use]
    pub fn held(&self) -> usize {
        self.0.hang.receiver_count()
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

    /// Removes every pending fault and mode, releasing held requests.
    pub fn clear(&self) {
        *self.lock() = nothing_pending();
        self.release();
    }

    /// Applies a plan: each field it names replaces the pending value.
    pub fn apply(&self, plan: &FaultPlan) {
        {
            let mut guard = self.lock();
            let pending = &mut *guard;
            let counts = [
                (plan.drop_connections, &mut pending.drop_connections),
                (plan.unauthorized, &mut pending.unauthorized),
                (plan.forbidden, &mut pending.forbidden),
                (plan.too_many_requests, &mut pending.too_many_requests),
                (plan.server_errors, &mut pending.server_errors),
            ];
            for (given, count) in counts {
                if let Some(n) = given {
                    *count = n;
                }
            }
            if let Some(secs) = plan.retry_after_secs {
                pending.retry_after_secs = secs;
            }
            if let Some(refusal) = plan.refuse_credentials {
                pending.refuse_credentials = refusal;
            }
            apply_delay(pending, plan);
        }
        match plan.hang {
            Some(true) => self.hang(),
            Some(false) => self.release(),
            None => {}
        }
    }

    /// The faults still pending.
    #[must_use]
    pub fn pending(&self) -> PendingFaults {
        let mut pending = self.lock().clone();
        pending.hang = *self.0.hang.borrow();
        pending
    }

    /// What a faulted request goes through before it is handled: the hang, then its plan
    /// taken and written to its log entry, then its delay. Returns the plan, whose fault the
    /// caller answers. `stop` ends a hang and a delay early.
    pub(crate) async fn admit(&self, stop: &StopSignal, log: &mut Pending<'_>) -> Planned {
        let hanging = *self.0.hang.borrow();
        if hanging {
            if let Some(entry) = log.entry() {
                entry.hung = true;
            }
            let mut hang = self.0.hang.subscribe();
            tokio::select! {
                // An Err means the injector is gone: nothing holds the request any more.
                _ = hang.wait_for(|hang| !*hang) => {}
                () = stop.stopped() => {}
            }
        }
        let planned = self.take();
        if let Some(entry) = log.entry() {
            entry.fault = planned.fault;
            entry.delay = planned.delay;
        }
        if let Some(delay) = planned.delay {
            stop.sleep(delay).await;
        }
        planned
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
        let fault = if let Some(refusal) = pending.refuse_credentials {
            Some(refusal.fault())
        } else if take_one(&mut pending.drop_connections) {
            Some(Fault::DropConnection)
        } else if take_one(&mut pending.unauthorized) {
            Some(Fault::Unauthorized)
        } else if take_one(&mut pending.forbidden) {
            Some(Fault::Forbidden)
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
}

/// The delay fields of a plan: `delay_ms: 0` clears, `delay_ms` sets with `delay_requests`
/// (none: every request), `delay_requests` alone changes the count.
fn apply_delay(pending: &mut PendingFaults, plan: &FaultPlan) {
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

/// Counts one request off `left`; false when none were left.
fn take_one(left: &mut u32) -> bool {
    if *left == 0 {
        false
    } else {
        *left -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::FaultInjector;
    use crate::kit::faults::{Fault, FaultPlan, Planned, Refusal};

    #[test]
    fn counted_faults_apply_one_per_request_in_the_documented_order() {
        let faults = FaultInjector::new();
        faults.fail_next(1);
        faults.rate_limit_next(1, Duration::from_secs(7));
        faults.forbidden_next(1);
        faults.unauthorized_next(1);
        faults.drop_next(1);
        let seen: Vec<Option<Fault>> = (0..6).map(|_| faults.take().fault).collect();
        assert_eq!(
            seen,
            [
                Some(Fault::DropConnection),
                Some(Fault::Unauthorized),
                Some(Fault::Forbidden),
                Some(Fault::TooManyRequests {
                    retry_after_secs: 7
                }),
                Some(Fault::ServerError),
                None,
            ]
        );
    }

    #[test]
    fn refused_credentials_answer_every_request_and_leave_counted_faults_pending() {
        let faults = FaultInjector::new();
        faults.fail_next(1);
        faults.refuse_credentials(Refusal::Forbidden);
        for _ in 0..3 {
            assert_eq!(faults.take().fault, Some(Fault::Forbidden));
        }
        assert_eq!(faults.pending().server_errors, 1);
        faults.refuse_credentials(Refusal::Unauthorized);
        assert_eq!(faults.take().fault, Some(Fault::Unauthorized));
        faults.accept_credentials();
        assert_eq!(faults.take().fault, Some(Fault::ServerError));
        assert_eq!(faults.take().fault, None);
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
        assert_eq!(faults.take(), Planned::default());
    }

    #[test]
    fn a_plan_sets_and_ends_the_modes_and_leaving_them_out_keeps_them() {
        let faults = FaultInjector::new();
        let apply = |json: &str| faults.apply(&serde_json::from_str(json).unwrap());
        apply(r#"{"refuse_credentials": 403, "hang": true, "forbidden": 2}"#);
        let pending = faults.pending();
        assert_eq!(pending.refuse_credentials, Some(Refusal::Forbidden));
        assert!(pending.hang);
        assert_eq!(pending.forbidden, 2);
        apply(r#"{"server_errors": 1}"#);
        assert_eq!(
            faults.pending().refuse_credentials,
            Some(Refusal::Forbidden)
        );
        assert!(faults.pending().hang);
        apply(r#"{"refuse_credentials": null, "hang": false}"#);
        assert_eq!(faults.pending().refuse_credentials, None);
        assert!(!faults.pending().hang);
        apply(r#"{"refuse_credentials": 401, "hang": true}"#);
        faults.clear();
        assert_eq!(faults.pending().refuse_credentials, None);
        assert!(!faults.pending().hang);
    }

    #[test]
    fn a_plan_with_an_unknown_field_or_another_refusal_status_is_refused() {
        assert!(serde_json::from_str::<FaultPlan>(r#"{"server_error": 1}"#).is_err());
        for status in ["500", "200", "\"401\"", "true"] {
            let plan = format!(r#"{{"refuse_credentials": {status}}}"#);
            assert!(serde_json::from_str::<FaultPlan>(&plan).is_err(), "{plan}");
        }
    }

    #[test]
    fn the_pending_faults_show_the_refusal_as_its_status() {
        let faults = FaultInjector::new();
        faults.refuse_credentials(Refusal::Unauthorized);
        let shown = serde_json::to_value(faults.pending()).unwrap();
        assert_eq!(shown["refuse_credentials"], 401);
        assert_eq!(shown["hang"], false);
    }
}
