//! The in-memory store's retention: the rule of [`crate::retention`] applied to its orders,
//! deliveries and quarantined entries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, State};
use crate::order::Order;
use crate::outbox::Delivery;
use crate::ports::store::{DuePage, OrderCursor, Retention, StoreError};
use crate::retention::{DueInbound, DueOrder, Erasure, OrderActivity, inbound_due};
use crate::values::{InboundId, OrderId};

/// What the rule reads of a stored order.
fn activity(state: &State, order: &Order) -> OrderActivity {
    let deliveries: Vec<Delivery> = state
        .outbox
        .iter()
        .filter(|row| row.delivery.order_id == order.id())
        .map(|row| row.delivery.clone())
        .collect();
    OrderActivity::of(order, &deliveries)
}

/// Whether the SQL stores' page would look at `order`: complete by its status, not erased,
/// changed at or before `cutoff`, after `after`.
fn looked_at(order: &Order, cutoff: DateTime<Utc>, after: Option<OrderCursor>) -> bool {
    order.status().is_settled()
        && order.erased_at().is_none()
        && order.updated_at() <= cutoff
        && after.is_none_or(|c| (order.updated_at(), order.id()) > (c.updated_at, c.id))
}

#[async_trait]
impl Retention for MemoryStore {
    async fn due_orders(
        &self,
        cutoff: DateTime<Utc>,
        after: Option<OrderCursor>,
        limit: u32,
    ) -> Result<DuePage, StoreError> {
        let state = self.state()?;
        let mut candidates: Vec<&Order> = state
            .orders
            .values()
            .filter(|order| looked_at(order, cutoff, after))
            .collect();
        candidates.sort_by_key(|order| (order.updated_at(), order.id()));
        let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
        let more = candidates.len() > limit;
        candidates.truncate(limit);
        let next = candidates.last().filter(|_| more).map(|order| OrderCursor {
            updated_at: order.updated_at(),
            id: order.id(),
        });
        let orders = candidates
            .into_iter()
            .filter_map(|order| {
                activity(&state, order)
                    .due(cutoff)
                    .map(|completed_at| DueOrder {
                        id: order.id(),
                        channel: order.channel().clone(),
                        external_id: order.external_id().clone(),
                        completed_at,
                    })
            })
            .collect();
        Ok(DuePage { orders, next })
    }

    async fn erase_orders(
        &self,
        erasures: &[Erasure],
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError> {
        let mut state = self.state()?;
        let mut erased = Vec::new();
        for erasure in erasures {
            let Some(order) = state.orders.get(&erasure.order) else {
                continue;
            };
            if activity(&state, order).due(cutoff).is_none() {
                continue;
            }
            if let Some(order) = state.orders.get_mut(&erasure.order) {
                order.erase_personal_data(erasure.event.clone());
                let version = order.version().next();
                order.mark_saved(version);
                erased.push(erasure.order);
            }
        }
        Ok(erased)
    }

    async fn due_inbound(
        &self,
        cutoff: DateTime<Utc>,
        after: Option<InboundId>,
        limit: u32,
    ) -> Result<Vec<DueInbound>, StoreError> {
        let state = self.state()?;
        let start = after
            .and_then(|after| state.inbound.iter().position(|e| e.id == after))
            .map_or(0, |at| at + 1);
        let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
        Ok(state
            .inbound
            .iter()
            .skip(start)
            .filter(|e| inbound_due(e.state, e.closed_at, e.erased_at, cutoff))
            .filter_map(|e| {
                e.closed_at.map(|closed_at| DueInbound {
                    id: e.id,
                    channel: e.channel.clone(),
                    external_id: e.external_id.clone(),
                    state: e.state,
                    closed_at,
                })
            })
            .take(limit)
            .collect())
    }

    async fn erase_inbound(
        &self,
        ids: &[InboundId],
        cutoff: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Vec<InboundId>, StoreError> {
        let mut state = self.state()?;
        let mut erased = Vec::new();
        for id in ids {
            let Some(entry) = state.inbound.iter_mut().find(|e| e.id == *id) else {
                continue;
            };
            if inbound_due(entry.state, entry.closed_at, entry.erased_at, cutoff) {
                entry.body.clear();
                entry.erased_at = Some(at);
                erased.push(*id);
            }
        }
        Ok(erased)
    }
}
