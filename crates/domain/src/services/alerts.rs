//! `AlertSender`: the dispatcher's side of the alert queue. It claims due alerts under a lease,
//! sends each to the alert sink and records how it ended: delivered, retried with the delivery
//! retry policy, or (refused for good, or still failing after the policy's maximum age) parked.
//! Alerts have their own queue, so that an alert never waits behind a marketplace and a
//! marketplace never waits behind an alert.

use std::sync::Arc;

use chrono::TimeDelta;
use uuid::Uuid;

use crate::ports::alerts::AlertSink;
use crate::ports::clock::Clock;
use crate::ports::marketplace::Outcome;
use crate::ports::store::{AlertQueue, AttemptResult, StoreError};
use crate::services::RetryPolicy;

/// What one round of sending came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertsSent {
    /// Alerts the sink took.
    pub delivered: u32,
    /// Alerts that failed for now.
    pub retrying: u32,
    /// Alerts parked for good.
    pub parked: u32,
}

/// Sends queued alerts. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AlertSender {
    queue: Arc<dyn AlertQueue>,
    sink: Arc<dyn AlertSink>,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
}

fn delta(duration: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

impl AlertSender {
    /// A sender of the alerts queued in `queue` to `sink`.
    #[must_use]
    pub fn new(
        queue: Arc<dyn AlertQueue>,
        sink: Arc<dyn AlertSink>,
        clock: Arc<dyn Clock>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            queue,
            sink,
            clock,
            policy,
        }
    }

    /// Claims up to `limit` due alerts under `token`, sends them one after the other and
    /// records each outcome.
    ///
    /// # Errors
    /// [`StoreError`]; alerts claimed and not recorded are sent again once their lease runs
    /// out (the same `webhook-id` each time).
    pub async fn send_due(&self, token: Uuid, limit: u32) -> Result<AlertsSent, StoreError> {
        let now = self.clock.now();
        let claimed = self
            .queue
            .claim_alerts(now, now + delta(self.policy.lease), token, limit)
            .await?;
        let mut sent = AlertsSent::default();
        for queued in claimed {
            let outcome = self.sink.send(&queued.alert).await.cleaned();
            let now = self.clock.now();
            let attempts = queued.attempts.saturating_add(1);
            let too_old = now - queued.created_at > delta(self.policy.max_age);
            let result = match outcome {
                Outcome::Delivered { .. } => {
                    sent.delivered += 1;
                    AttemptResult::Delivered {
                        remote_ref: None,
                        at: now,
                    }
                }
                Outcome::Retry {
                    reason,
                    retry_after,
                } if !too_old => {
                    sent.retrying += 1;
                    let seed = queued.alert.id.as_uuid().as_u64_pair().1 ^ u64::from(attempts);
                    AttemptResult::Retry {
                        at: now + delta(self.policy.delay(attempts, retry_after, seed)),
                        error: reason,
                    }
                }
                Outcome::Retry { reason, .. }
                | Outcome::Rejected { reason }
                | Outcome::AuthFailed { reason } => {
                    sent.parked += 1;
                    AttemptResult::Dead { error: reason }
                }
            };
            self.queue
                .complete_alert(queued.alert.id, token, &result)
                .await?;
        }
        Ok(sent)
    }
}
