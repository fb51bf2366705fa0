//! The dispatcher service: sends claimed outbox rows to their marketplace and records how each
//! attempt ended. The loop that claims and runs it, with its concurrency bound and shutdown,
//! belongs to the app; this is the part with decisions in it.

use std::collections::BTreeMap;
use std::future::{Future, pending};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::alert::{Alert, AlertKind};
use crate::order::{EventType, Order, OrderEvent};
use crate::outbox::{Delivery, DeliveryKind};
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::marketplace::{Marketplace, Outcome};
use crate::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryQueue, OrderStore, StoreError,
};
use crate::services::health::Watch;
pub use crate::services::retry::RetryPolicy;
use crate::services::retry::send_kind;
use crate::values::{AlertId, ChannelId, EventId, OrderId};

/// What happened to one claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatched {
    /// The marketplace has it.
    Delivered,
    /// It failed and is due again at this time.
    Retrying(DateTime<Utc>),
    /// It failed for good and is parked for an operator.
    Parked(String),
    /// The marketplace refused the credentials: the row stays pending and the channel is
    /// paused (with channel health; without it, the row is parked).
    Refused(String),
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
    /// When the claim was asked for, by this process's monotonic clock: the lease runs at
    /// least this long from here, whatever the store's clock says.
    pub claimed_at: Instant,
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

#[path = "dispatch_channels.rs"]
mod channels;
use channels::Exclusive;
#[path = "dispatch_lease.rs"]
mod lease;
#[path = "dispatch_record.rs"]
mod record;
pub use record::Recorded;

/// A delivered attempt: the row done with the marketplace's reference, and its history entry.
fn delivered(
    delivery: &Delivery,
    remote_ref: Option<String>,
    now: DateTime<Utc>,
) -> (AttemptResult, EventType, String, Dispatched) {
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
    /// Channel health, when kept: refused credentials pause a channel instead of parking rows.
    watch: Option<Watch>,
    /// Whether parked deliveries raise alerts.
    alerting: bool,
    /// Channels one instance at a time sends to: the one holding the channel's poll lease.
    exclusive: Option<Exclusive>,
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
            watch: None,
            alerting: false,
            exclusive: None,
        }
    }

    /// Claims up to `limit` due rows under the lease `token`, none of the `skip` channels.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn claim(
        &self,
        token: Uuid,
        limit: u32,
        skip: &[ChannelId],
    ) -> Result<Vec<Claimed>, StoreError> {
        self.claim_with(token, limit, skip, None).await
    }

    async fn claim_with(
        &self,
        token: Uuid,
        limit: u32,
        skip: &[ChannelId],
        probe: Option<ChannelId>,
    ) -> Result<Vec<Claimed>, StoreError> {
        let skip = self.not_ours(skip).await?;
        if probe.as_ref().is_some_and(|p| skip.contains(p)) {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        self.queue
            .claim_due(&ClaimRequest {
                now,
                lease: self.policy.lease,
                token,
                limit,
                skip_channels: skip,
                probe,
            })
            .await
    }

    /// Gives back the leases of `tokens` (shutdown), and the leases of the channels this
    /// process sends to alone, so that another instance takes them at once.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn release(&self, tokens: &[Uuid]) -> Result<u64, StoreError> {
        let released = self.queue.release(tokens).await?;
        self.release_exclusive().await?;
        Ok(released)
    }

    /// Sends one claimed row and records the outcome with a history entry.
    ///
    /// # Errors
    /// [`StoreError`] when the outcome cannot be recorded; the lease then runs out and the row
    /// is tried again.
    pub async fn dispatch(&self, claimed: &Claimed) -> Result<Dispatched, StoreError> {
        let attempt = self.attempt(claimed).await?;
        let (_, mut outcomes) = self.record(vec![attempt]).await;
        outcomes.pop().unwrap_or(Ok(Dispatched::LeaseLost))
    }

    /// Whether a claimed row still has at least half of its lease left, so that it may be
    /// sent: a row that waited too long in a worker's queue is left to run out instead, since
    /// another worker may claim it once it has. Counted on this process's monotonic clock
    /// from the claim, so that no clock of another machine enters into it.
    #[must_use]
    pub fn lease_fresh(&self, ready: &Ready) -> bool {
        ready.claimed_at.elapsed() <= self.policy.lease / 2
    }

    /// Sends one claimed row (its lease not renewed: for sends shorter than it) and decides
    /// what its outcome is; nothing is recorded yet (see
    /// [`Dispatcher::record`]).
    ///
    /// # Errors
    /// [`StoreError`] when the order cannot be loaded; the lease then runs out and the row is
    /// tried again.
    pub async fn attempt(&self, claimed: &Claimed) -> Result<Attempt, StoreError> {
        let order = self.orders.get(claimed.delivery.order_id).await?;
        Ok(self.attempt_with(claimed, order.as_ref(), pending()).await)
    }

    /// Claims up to `limit` due rows under the lease `token` (none of the `skip` channels) and
    /// loads their orders, all in one go, so that senders need not go to the store each.
    ///
    /// # Errors
    /// [`StoreError`]; rows claimed before the orders failed to load stay leased until their
    /// lease runs out.
    pub async fn claim_ready(
        &self,
        token: Uuid,
        limit: u32,
        skip: &[ChannelId],
    ) -> Result<Vec<Ready>, StoreError> {
        let started = Instant::now();
        let claimed = self.claim(token, limit, skip).await?;
        self.with_orders(claimed, started).await
    }

    /// `claimed` (asked for at `claimed_at`) with their orders, loaded in one go.
    async fn with_orders(
        &self,
        claimed: Vec<Claimed>,
        claimed_at: Instant,
    ) -> Result<Vec<Ready>, StoreError> {
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
                claimed_at,
            })
            .collect())
    }

    /// Sends a row claimed with [`Dispatcher::claim_ready`] and decides its outcome; nothing
    /// is recorded yet (see [`Dispatcher::record`]). `keep` keeps the lease meanwhile (renewing
    /// it with [`Dispatcher::renew`]) and ends, with why, only when it cannot: the send is then
    /// cut off and counted as a retry, so that it never outlives its lease.
    pub async fn attempt_ready(
        &self,
        ready: &Ready,
        keep: impl Future<Output = String> + Send,
    ) -> Attempt {
        self.attempt_with(&ready.claimed, ready.order.as_deref(), keep)
            .await
    }

    /// Sends `claimed` with its order as loaded (`None`: the order is gone) while `keep` keeps
    /// its lease.
    async fn attempt_with(
        &self,
        claimed: &Claimed,
        order: Option<&Order>,
        keep: impl Future<Output = String> + Send,
    ) -> Attempt {
        let delivery = &claimed.delivery;
        let send = self.send(delivery, order);
        // Whatever the marketplace answered is stored clean (design section 12).
        let outcome = Self::leased(send, keep).await.cleaned();
        let now = self.clock.now();
        let (result, kind, detail, dispatched) = self.decide(delivery, outcome, now);
        let alert = match &dispatched {
            Dispatched::Parked(error) if self.alerting => Some(Alert {
                id: AlertId::from_uuid(self.ids.next_id()),
                kind: AlertKind::DeliveryParked,
                channel: delivery.channel.clone(),
                order_id: Some(delivery.order_id),
                delivery_id: Some(delivery.id),
                message: format!("{} parked: {error}", delivery.kind),
                at: now,
            }),
            _ => None,
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
                alert,
            },
            dispatched,
        }
    }

    /// What an attempt's outcome means: the row's new state, the history entry's type and
    /// text, and what became of the delivery.
    fn decide(
        &self,
        delivery: &Delivery,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> (AttemptResult, EventType, String, Dispatched) {
        let attempts = delivery.attempts.saturating_add(1);
        match outcome {
            Outcome::Delivered { remote_ref } => delivered(delivery, remote_ref, now),
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
            // Credentials are wrong: the whole channel is paused and the row stays pending,
            // due again once the channel resumes. Without channel health, it is parked so
            // that it is visible and can be retried once fixed.
            Outcome::AuthFailed { reason } if self.watch.is_some() => {
                let error = format!("credentials refused: {reason}");
                (
                    AttemptResult::Retry {
                        at: now,
                        error: error.clone(),
                    },
                    EventType::DeliveryFailed,
                    format!(
                        "{} to {}: {error}; the channel is paused, the delivery waits",
                        delivery.kind, delivery.channel
                    ),
                    Dispatched::Refused(reason),
                )
            }
            Outcome::AuthFailed { reason } => {
                self.parked(delivery, format!("authentication failed: {reason}"))
            }
        }
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
