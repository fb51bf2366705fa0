//! The retry policy of deliveries and the marketplace call each kind of delivery makes.

use std::time::Duration;

use crate::order::Order;
use crate::outbox::DeliveryKind;
use crate::ports::marketplace::{Marketplace, Outcome};

/// How retries are spaced and when they stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry's delay; each further one doubles it.
    pub base: Duration,
    /// The longest delay between attempts.
    pub cap: Duration,
    /// A delivery still failing this long after it was queued is parked.
    pub max_age: Duration,
    /// How long a claim holds a row.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(15 * 60),
            max_age: Duration::from_secs(3 * 24 * 3600),
            lease: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The delay before the attempt after `attempts` failed ones: exponential from `base`,
    /// capped, with jitter in its upper half drawn from `seed` so that rows failing together
    /// spread out. A marketplace's `Retry-After` is honoured instead, within `[1 s, cap]`.
    #[must_use]
    pub fn delay(&self, attempts: u32, retry_after: Option<Duration>, seed: u64) -> Duration {
        if let Some(after) = retry_after {
            return after.clamp(Duration::from_secs(1), self.cap.max(Duration::from_secs(1)));
        }
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        let half = full / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_millis(seed % spread)
    }
}

/// The call for one kind of delivery; `key` (the delivery's id) goes with it as its
/// idempotency key.
pub(crate) async fn send_kind(
    marketplace: &dyn Marketplace,
    order: &Order,
    kind: DeliveryKind,
    key: crate::values::DeliveryId,
) -> Outcome {
    let missing = |what: &str| Outcome::Rejected {
        reason: format!("{what} is not on order {}", order.id()),
    };
    match kind {
        DeliveryKind::Confirm => marketplace.confirm(order, key).await,
        DeliveryKind::Fulfillment(id) => match order.fulfillment(id) {
            Some(f) => marketplace.send_fulfillment(order, f, key).await,
            None => missing("the fulfillment"),
        },
        DeliveryKind::OrderFulfillment => marketplace.send_order_fulfillment(order, key).await,
        DeliveryKind::Cancellation(id) => match order.cancellation(id) {
            Some(c) => marketplace.send_cancellation(order, c, key).await,
            None => missing("the cancellation"),
        },
        DeliveryKind::Refund { refund, line } => match order.refund_by_id(refund) {
            Some(r) => marketplace.send_refund(order, r, line, key).await,
            None => missing("the refund"),
        },
    }
}
