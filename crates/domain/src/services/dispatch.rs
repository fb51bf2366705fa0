//! The dispatcher service: sends claimed outbox rows to their marketplace and records how each
//! attempt ended. The loop that claims and runs it, with its concurrency bound and shutdown,
//! belongs to the app; this is the part with decisions in it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::order::{EventType, Order, OrderEvent};
use crate::outbox::{Delivery, DeliveryKind};
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::marketplace::{Marketplace, Outcome};
use crate::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryQueue, OrderStore, StoreError,
};
use crate::values::{ChannelId, EventId, OrderId};

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

/// What happened to one claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatched {
    /// The marketplace has it.
    Delivered,
    /// It failed and is due again at this time.
    Retrying(DateTime<Utc>),
    /// It failed for good and is parked for an operator.
    Parked(String),
    /// The lease ran out before the outcome was recorded; another worker owns the row now.
    LeaseLost,
}

/// A claimed delivery with its order as loaded at the claim (`None`: the order is gone).
#[derive(Debug, Clone)]
pub struct Ready {
    /// The claimed row.
    pub claimed: Claimed,
    /// Its order.
    pub order: Option<Arc<Order>>,
}

/// One sent delivery whose outcome is decided but not yet recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The delivery, as claimed.
    pub delivery: Delivery,
    /// What to record.
    pub completion: Completion,
    /// What it means once recorded.
    pub dispatched: Dispatched,
}

/// The marketplace adapter of each channel.
pub type Marketplaces = BTreeMap<ChannelId, Arc<dyn Marketplace>>;

/// Sends outbox rows.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    queue: Arc<dyn DeliveryQueue>,
    orders: Arc<dyn OrderStore>,
    marketplaces: Arc<Marketplaces>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    policy: RetryPolicy,
}

fn to_delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

impl Dispatcher {
    /// A dispatcher that claims from `queue` and sends with the orders of `orders`.
    #[must_use]
    pub fn new(
        queue: Arc<dyn DeliveryQueue>,
        orders: Arc<dyn OrderStore>,
        marketplaces: Marketplaces,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            queue,
            orders,
            marketplaces: Arc::new(marketplaces),
            clock,
            ids,
            policy,
        }
    }

    /// Claims up to `limit` due rows under the lease `token`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn claim(&self, token: Uuid, limit: u32) -> Result<Vec<Claimed>, StoreError> {
        let now = self.clock.now();
        self.queue
            .claim_due(&ClaimRequest {
                now,
                lease_until: now + to_delta(self.policy.lease),
                token,
                limit,
                skip_channels: Vec::new(),
            })
            .await
    }

    /// Gives back the leases of `token` (shutdown).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn release(&self, token: Uuid) -> Result<u64, StoreError> {
        self.queue.release(token).await
    }

    /// Sends one claimed row and records the outcome with a history entry.
    ///
    /// # Errors
    /// [`StoreError`] when the outcome cannot be recorded; the lease then runs out and the row
    /// is tried again.
    pub async fn dispatch(&self, claimed: &Claimed) -> Result<Dispatched, StoreError> {
        let attempt = self.attempt(claimed).await?;
        let (_, outcomes) = self.record(vec![attempt]).await;
        Ok(outcomes?.pop().unwrap_or(Dispatched::LeaseLost))
    }

    /// Whether a claimed row still has at least half of its lease left, so that it may be
    /// sent: a row that waited too long in a worker's queue is left to run out instead, since
    /// another worker may claim it once it has.
    #[must_use]
    pub fn lease_fresh(&self, claimed: &Claimed) -> bool {
        claimed.lease.until - self.clock.now() >= to_delta(self.policy.lease / 2)
    }

    /// Sends one claimed row and decides what its outcome is; nothing is recorded yet (see
    /// [`Dispatcher::record`]).
    ///
    /// # Errors
    /// [`StoreError`] when the order cannot be loaded; the lease then runs out and the row is
    /// tried again.
    pub async fn attempt(&self, claimed: &Claimed) -> Result<Attempt, StoreError> {
        let order = self.orders.get(claimed.delivery.order_id).await?;
        Ok(self.attempt_with(claimed, order.as_ref()).await)
    }

    /// Claims up to `limit` due rows under the lease `token` and loads their orders, all in
    /// one go, so that senders need not go to the store each.
    ///
    /// # Errors
    /// [`StoreError`]; rows claimed before the orders failed to load stay leased until their
    /// lease runs out.
    pub async fn claim_ready(&self, token: Uuid, limit: u32) -> Result<Vec<Ready>, StoreError> {
        let claimed = self.claim(token, limit).await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<OrderId> = claimed.iter().map(|c| c.delivery.order_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let orders: BTreeMap<OrderId, Arc<Order>> = self
            .orders
            .get_many(&ids)
            .await?
            .into_iter()
            .map(|order| (order.id(), Arc::new(order)))
            .collect();
        Ok(claimed
            .into_iter()
            .map(|claimed| Ready {
                order: orders.get(&claimed.delivery.order_id).cloned(),
                claimed,
            })
            .collect())
    }

    /// Sends a row claimed with [`Dispatcher::claim_ready`] and decides its outcome; nothing
    /// is recorded yet (see [`Dispatcher::record`]).
    pub async fn attempt_ready(&self, ready: &Ready) -> Attempt {
        self.attempt_with(&ready.claimed, ready.order.as_deref())
            .await
    }

    /// Sends `claimed` with its order as loaded (`None`: the order is gone).
    async fn attempt_with(&self, claimed: &Claimed, order: Option<&Order>) -> Attempt {
        let delivery = &claimed.delivery;
        let outcome = self.send(delivery, order).await;
        let now = self.clock.now();
        let attempts = delivery.attempts.saturating_add(1);
        let (result, kind, detail, dispatched) = match outcome {
            Outcome::Delivered { remote_ref } => {
                let kind = if delivery.kind == DeliveryKind::Confirm {
                    EventType::Confirmed
                } else {
                    EventType::Delivered
                };
                let reference = remote_ref
                    .as_deref()
                    .map(|r| format!(" (reference {r})"))
                    .unwrap_or_default();
                (
                    AttemptResult::Delivered {
                        remote_ref,
                        at: now,
                    },
                    kind,
                    format!(
                        "{} delivered to {}{reference}",
                        delivery.kind, delivery.channel
                    ),
                    Dispatched::Delivered,
                )
            }
            Outcome::Retry {
                reason,
                retry_after,
            } => {
                let age = now.signed_duration_since(delivery.created_at);
                if age > to_delta(self.policy.max_age) {
                    let error = format!("gave up after {attempts} attempts: {reason}");
                    self.parked(delivery, error)
                } else {
                    let seed = delivery.id.as_uuid().as_u64_pair().1 ^ u64::from(attempts);
                    let at = now + to_delta(self.policy.delay(attempts, retry_after, seed));
                    (
                        AttemptResult::Retry {
                            at,
                            error: reason.clone(),
                        },
                        EventType::DeliveryFailed,
                        format!(
                            "{} to {}: attempt {attempts} failed ({reason}); next at {}",
                            delivery.kind,
                            delivery.channel,
                            at.to_rfc3339()
                        ),
                        Dispatched::Retrying(at),
                    )
                }
            }
            Outcome::Rejected { reason } => self.parked(delivery, format!("rejected: {reason}")),
            // Credentials are wrong: a configuration problem, parked like a rejection so that
            // it is visible and can be retried once fixed. The app's worker logs it as an error.
            Outcome::AuthFailed { reason } => {
                self.parked(delivery, format!("authentication failed: {reason}"))
            }
        };
        let event = OrderEvent {
            id: EventId::from_uuid(self.ids.next_id()),
            at: now,
            kind,
            subject: Some(delivery.id.as_uuid()),
            detail,
        };
        Attempt {
            delivery: delivery.clone(),
            completion: Completion {
                lease: claimed.lease,
                result,
                event,
            },
            dispatched,
        }
    }

    /// Records the outcomes of several attempts, in one transaction where the store allows.
    /// Returns the deliveries, in the order given, with what became of each:
    /// [`Dispatched::LeaseLost`] for those whose lease was no longer held, or the
    /// [`StoreError`] that kept all of them from being recorded (their leases then run out
    /// and the rows are tried again).
    pub async fn record(
        &self,
        attempts: Vec<Attempt>,
    ) -> (Vec<Delivery>, Result<Vec<Dispatched>, StoreError>) {
        if attempts.is_empty() {
            return (Vec::new(), Ok(Vec::new()));
        }
        let mut deliveries = Vec::with_capacity(attempts.len());
        let mut outcomes = Vec::with_capacity(attempts.len());
        let mut completions = Vec::with_capacity(attempts.len());
        for attempt in attempts {
            deliveries.push(attempt.delivery);
            outcomes.push(attempt.dispatched);
            completions.push(attempt.completion);
        }
        let recorded = match self.queue.complete_many(&completions).await {
            Ok(recorded) => recorded,
            Err(error) => return (deliveries, Err(error)),
        };
        // A store answering for fewer completions than given recorded none of the rest.
        let recorded = recorded.into_iter().chain(std::iter::repeat(false));
        let outcomes = outcomes
            .into_iter()
            .zip(recorded)
            .map(|(dispatched, recorded)| {
                if recorded {
                    dispatched
                } else {
                    Dispatched::LeaseLost
                }
            })
            .collect();
        (deliveries, Ok(outcomes))
    }

    fn parked(
        &self,
        delivery: &Delivery,
        error: String,
    ) -> (AttemptResult, EventType, String, Dispatched) {
        (
            AttemptResult::Dead {
                error: error.clone(),
            },
            EventType::DeliveryFailed,
            format!("{} to {} parked: {error}", delivery.kind, delivery.channel),
            Dispatched::Parked(error),
        )
    }

    /// Calls the marketplace with the order's state as loaded.
    async fn send(&self, delivery: &Delivery, order: Option<&Order>) -> Outcome {
        let Some(marketplace) = self.marketplaces.get(&delivery.channel) else {
            return Outcome::Rejected {
                reason: format!(
                    "no marketplace is configured for channel {}",
                    delivery.channel
                ),
            };
        };
        let Some(order) = order else {
            return Outcome::Rejected {
                reason: format!("order {} no longer exists", delivery.order_id),
            };
        };
        send_kind(marketplace.as_ref(), order, delivery.kind, delivery.id).await
    }
}

/// The call for one kind of delivery; `key` (the delivery's id) goes with it as its
/// idempotency key.
async fn send_kind(
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
