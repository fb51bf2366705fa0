//! An in-memory `OrderStore`: the reference the storage contract suite holds the real stores
//! to, and a fast store for service tests. Safe across threads of one process.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::alert::Alert;
use crate::health::ChannelHealth;
use crate::order::{Order, OrderEvent, Version};
use crate::outbox::{Delivery, DeliveryState, NewDelivery};
use crate::ports::clock::{Clock, SystemClock};

#[path = "memory_outbox.rs"]
mod outbox;
use crate::ports::store::{
    ChannelStats, DeliveryLog, DeliveryQuery, Health, InsertError, OrderCursor, OrderPage,
    OrderQuery, OrderStore, PollState, Requeue, RequeueError, ResolveError, SaveError, StoreError,
    lease_end,
};
use crate::values::{ChannelId, DeliveryId, ExternalOrderId, OrderId};
use outbox::{Row, open_at, queue};

#[path = "memory_cancellations.rs"]
mod cancellations;
#[path = "memory_channels.rs"]
mod channels;
#[path = "memory_deadlines.rs"]
mod deadlines;
#[path = "memory_inbound.rs"]
mod inbound;
#[path = "memory_retention.rs"]
mod retention;
#[path = "memory_webhook_ids.rs"]
mod webhook_ids;
use channels::{AlertRow, held_back};

#[derive(Debug, Default)]
struct State {
    orders: BTreeMap<OrderId, Order>,
    by_external: HashMap<(ChannelId, ExternalOrderId), OrderId>,
    /// In the order queued.
    outbox: Vec<Row>,
    cursors: HashMap<ChannelId, String>,
    channels: HashMap<ChannelId, ChannelHealth>,
    alerts: Vec<AlertRow>,
    inbound: Vec<crate::inbound::Inbound>,
    /// Orders whose overdue alert was queued.
    overdue_alerted: HashSet<OrderId>,
    poller_leases: HashMap<ChannelId, (Uuid, DateTime<Utc>)>,
    early: HashMap<(ChannelId, ExternalOrderId), crate::order::MarketplaceCancel>,
    webhook_ids: crate::services::signed::SeenIds,
}

/// The in-memory store. Its clock stands for a database's: leases run and run out by it.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }
}

impl MemoryStore {
    /// An empty store on the system's clock.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose leases follow `clock` (a test's clock, to run leases out).
    #[must_use]
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            clock,
        }
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::msg("memory store lock poisoned"))
    }
}

/// Appends a history entry to a stored order without changing its version.
fn append_event(state: &mut State, order: OrderId, event: &OrderEvent) {
    if let Some(stored) = state.orders.get_mut(&order) {
        let version = stored.version();
        stored.note(event.clone());
        stored.mark_saved(version);
    }
}

fn matches(order: &Order, query: &OrderQuery) -> bool {
    (query.statuses.is_empty() || query.statuses.contains(&order.status()))
        && query.channel.as_ref().is_none_or(|c| c == order.channel())
        && query.updated_after.is_none_or(|t| order.updated_at() > t)
        && query.on_hold.is_none_or(|held| order.on_hold() == held)
        && query
            .after
            .is_none_or(|c| (order.updated_at(), order.id()) > (c.updated_at, c.id))
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn insert(&self, order: &Order, outbox: &[NewDelivery]) -> Result<Version, InsertError> {
        let mut state = self.state()?;
        let key = (order.channel().clone(), order.external_id().clone());
        if let Some(existing) = state.by_external.get(&key) {
            return Err(InsertError::AlreadyExists {
                existing: *existing,
            });
        }
        if state.orders.contains_key(&order.id()) {
            // As a database's primary key would.
            return Err(StoreError::msg("an order with this id is stored already").into());
        }
        let version = Version::new(1);
        let mut stored = order.clone();
        stored.mark_saved(version);
        state.by_external.insert(key, order.id());
        state.orders.insert(order.id(), stored);
        queue(&mut state, outbox);
        Ok(version)
    }

    async fn get(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.state()?.orders.get(&id).cloned())
    }

    async fn find_by_external(
        &self,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> Result<Option<Order>, StoreError> {
        let state = self.state()?;
        let key = (channel.clone(), external_id.clone());
        Ok(state
            .by_external
            .get(&key)
            .and_then(|id| state.orders.get(id))
            .cloned())
    }

    async fn list(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        let state = self.state()?;
        let mut found: Vec<&Order> = state
            .orders
            .values()
            .filter(|o| matches(o, query))
            .collect();
        found.sort_by_key(|o| (o.updated_at(), o.id()));
        let limit = usize::try_from(query.limit.max(1)).unwrap_or(usize::MAX);
        let more = found.len() > limit;
        found.truncate(limit);
        let next = if more {
            found.last().map(|o| OrderCursor {
                updated_at: o.updated_at(),
                id: o.id(),
            })
        } else {
            None
        };
        Ok(OrderPage {
            orders: found.into_iter().cloned().collect(),
            next,
        })
    }

    async fn save(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
        alerts: &[Alert],
    ) -> Result<Version, SaveError> {
        let mut state = self.state()?;
        let Some(stored) = state.orders.get(&order.id()) else {
            return Err(SaveError::NotFound(order.id()));
        };
        if stored.version() != order.version() {
            return Err(SaveError::Conflict(order.id()));
        }
        // History entries appended by deliveries since the order was loaded are kept: build
        // the new state from the caller's order plus the stored history.
        let mut record = order.to_record();
        let mut events = stored.events().to_vec();
        events.extend_from_slice(order.new_events());
        record.events = events;
        let version = order.version().next();
        record.version = version;
        let mut updated = Order::restore(record)
            .map_err(|e| StoreError::with_source("order breaks a rule", e))?;
        updated.mark_saved(version);
        state.orders.insert(order.id(), updated);
        queue(&mut state, outbox);
        state.alerts.extend(alerts.iter().map(AlertRow::new));
        Ok(version)
    }
}

#[async_trait]
impl DeliveryLog for MemoryStore {
    async fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        Ok(self
            .state()?
            .outbox
            .iter()
            .find(|r| r.delivery.id == id)
            .map(|r| r.delivery.clone()))
    }

    async fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError> {
        let state = self.state()?;
        let start = match query.after {
            Some(after) => state
                .outbox
                .iter()
                .position(|r| r.delivery.id == after)
                .unwrap_or(0),
            None => state.outbox.len(),
        };
        let limit = usize::try_from(query.limit.max(1)).unwrap_or(usize::MAX);
        Ok(state
            .outbox
            .iter()
            .take(start)
            .rev()
            .map(|r| &r.delivery)
            .filter(|d| query.state.is_none_or(|s| d.state == s))
            .filter(|d| query.order_id.is_none_or(|o| d.order_id == o))
            .filter(|d| query.channel.as_ref().is_none_or(|c| d.channel == *c))
            .filter(|d| query.created_from.is_none_or(|t| d.created_at >= t))
            .filter(|d| query.created_before.is_none_or(|t| d.created_at < t))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn requeue(
        &self,
        id: DeliveryId,
        now: DateTime<Utc>,
        event: &OrderEvent,
    ) -> Result<Delivery, RequeueError> {
        let mut state = self.state()?;
        let Some(row) = state.outbox.iter_mut().find(|r| r.delivery.id == id) else {
            return Err(RequeueError::NotFound(id));
        };
        if row.delivery.state != DeliveryState::Dead {
            return Err(RequeueError::NotDead {
                id,
                state: row.delivery.state,
            });
        }
        row.delivery.state = DeliveryState::Pending;
        row.delivery.next_attempt_at = now;
        row.lease = None;
        let delivery = row.delivery.clone();
        append_event(&mut state, delivery.order_id, event);
        Ok(delivery)
    }

    async fn requeue_many(
        &self,
        requeues: &[Requeue],
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryId>, StoreError> {
        let clock = self.clock.now();
        let mut state = self.state()?;
        let mut done = Vec::new();
        for requeue in requeues {
            let Some(row) = state
                .outbox
                .iter_mut()
                .find(|r| r.delivery.id == requeue.id)
            else {
                continue;
            };
            if !open_at(row, clock) {
                continue;
            }
            row.delivery.state = DeliveryState::Pending;
            row.delivery.next_attempt_at = now;
            row.lease = None;
            let order = row.delivery.order_id;
            append_event(&mut state, order, &requeue.event);
            done.push(requeue.id);
        }
        Ok(done)
    }

    async fn resolve(&self, id: DeliveryId, event: &OrderEvent) -> Result<Delivery, ResolveError> {
        let clock = self.clock.now();
        let mut state = self.state()?;
        let Some(row) = state.outbox.iter_mut().find(|r| r.delivery.id == id) else {
            return Err(ResolveError::NotFound(id));
        };
        if !open_at(row, clock) {
            return Err(match row.delivery.state {
                DeliveryState::Pending => ResolveError::InFlight(id),
                state => ResolveError::Closed { id, state },
            });
        }
        row.delivery.state = DeliveryState::Resolved;
        row.lease = None;
        let delivery = row.delivery.clone();
        append_event(&mut state, delivery.order_id, event);
        Ok(delivery)
    }

    async fn channel_stats(&self) -> Result<Vec<ChannelStats>, StoreError> {
        let state = self.state()?;
        let mut stats: BTreeMap<ChannelId, ChannelStats> = BTreeMap::new();
        for row in &state.outbox {
            let d = &row.delivery;
            if !matches!(d.state, DeliveryState::Pending | DeliveryState::Dead) {
                continue;
            }
            let entry = stats
                .entry(d.channel.clone())
                .or_insert_with(|| ChannelStats {
                    channel: d.channel.clone(),
                    pending: 0,
                    dead: 0,
                    oldest_pending: None,
                });
            if d.state == DeliveryState::Pending {
                entry.pending += 1;
                entry.oldest_pending = Some(
                    entry
                        .oldest_pending
                        .map_or(d.created_at, |t| t.min(d.created_at)),
                );
            } else {
                entry.dead += 1;
            }
        }
        Ok(stats.into_values().collect())
    }
}

#[async_trait]
impl PollState for MemoryStore {
    async fn poll_cursor(&self, channel: &ChannelId) -> Result<Option<String>, StoreError> {
        Ok(self.state()?.cursors.get(channel).cloned())
    }

    async fn set_poll_cursor(&self, channel: &ChannelId, cursor: &str) -> Result<(), StoreError> {
        self.state()?
            .cursors
            .insert(channel.clone(), cursor.to_owned());
        Ok(())
    }

    async fn lease_poller(
        &self,
        channel: &ChannelId,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // By the store's clock, for `until - now`, as the SQL stores do.
        let clock = self.clock.now();
        let length = (until - now).to_std().unwrap_or_default();
        let mut state = self.state()?;
        let free = state
            .poller_leases
            .get(channel)
            .is_none_or(|(holder, expires)| *holder == owner || *expires <= clock);
        if free {
            state
                .poller_leases
                .insert(channel.clone(), (owner, lease_end(clock, length)));
        }
        Ok(free)
    }
}

#[async_trait]
impl Health for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.state().map(|_| ())
    }
}
