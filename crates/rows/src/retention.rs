//! The retention port, once for every store: each store runs the statements of
//! [`RetentionStatements`] in its own transactions ([`Transactions`]); the procedures here read
//! what the domain's rule needs ([`OrderActivity`], [`inbound_due`]), apply it, and erase in a
//! transaction that checks the rule again with the order locked. The SQL only narrows what is
//! read (settled and not erased orders changed at or before the cutoff, closed and not erased
//! entries closed at or before it); the rule decides.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::inbound::InboundState;
use orderbridge_domain::order::{OrderEvent, OrderStatus};
use orderbridge_domain::ports::store::{DuePage, OrderCursor, StoreError};
use orderbridge_domain::retention::{
    DeliveryActivity, DueInbound, DueOrder, Erasure, OrderActivity, inbound_due,
};
use orderbridge_domain::values::{ChannelId, ExternalOrderId, InboundId, OrderId};
use uuid::Uuid;

use crate::codec::{corrupt, delivery_state};
use crate::columns::Columns;
use crate::store::Transactions;
use crate::write::OrderWrites;

/// The names of the statuses an order may be erased in (every unit shipped or cancelled).
#[must_use]
pub fn settled_statuses() -> Vec<&'static str> {
    OrderStatus::ALL
        .into_iter()
        .filter(|s| s.is_settled())
        .map(OrderStatus::as_str)
        .collect()
}

/// The columns of a candidate order (see [`RetentionStatements::candidates`]), from `orders o`.
pub const CANDIDATE_COLUMNS: &str = "o.id, o.channel, o.external_id, o.status, o.updated_at, \
     o.erased_at, (SELECT max(e.at) FROM order_events e WHERE e.order_id = o.id) AS last_event_at";

/// `o.status IN ('fulfilled', 'cancelled')` from [`settled_statuses`], written out so that
/// both stores' planners match it with the partial index `orders_retention_idx` (migration
/// 0010), which a bound parameter would not.
#[must_use]
pub fn settled_predicate() -> String {
    let names: Vec<String> = settled_statuses()
        .iter()
        .map(|s| format!("'{s}'"))
        .collect();
    format!("o.status IN ({})", names.join(", "))
}

/// The names of the states of quarantined entries whose body may be erased (closed).
#[must_use]
pub fn closed_states() -> Vec<&'static str> {
    InboundState::ALL
        .into_iter()
        .filter(|s| *s != InboundState::Rejected)
        .map(InboundState::as_str)
        .collect()
}

/// The statements of the retention port, each run in the store's open transaction.
#[async_trait]
pub trait RetentionStatements: Send {
    /// A row as the store returns it.
    type Row: Columns + Send;

    /// The orders in one of [`settled_statuses`], not erased, changed at or before `cutoff`
    /// and after `after`, by `updated_at` then id, at most `limit`; columns `id`, `channel`,
    /// `external_id`, `status`, `updated_at`, `erased_at` and `last_event_at` (the latest
    /// history entry's time).
    async fn candidates(
        &mut self,
        cutoff: DateTime<Utc>,
        after: Option<OrderCursor>,
        limit: u32,
    ) -> Result<Vec<Self::Row>, StoreError>;

    /// The same columns for the order `id` whatever its state, locked until the transaction
    /// ends against every change that could make it incomplete (a save).
    async fn locked(&mut self, id: Uuid) -> Result<Option<Self::Row>, StoreError>;

    /// The deliveries of these orders: `order_id`, `state` and `delivered_at`, one row per
    /// delivery or per order and state with its latest `delivered_at`.
    async fn deliveries(&mut self, ids: &[Uuid]) -> Result<Vec<Self::Row>, StoreError>;

    /// Empties the order's email, shipping address and raw payload and the notes of its
    /// cancellations and refunds, sets `erased_at` to `at` and moves its version on.
    async fn erase(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// The quarantined entries in one of [`closed_states`], not erased, closed at or before
    /// `cutoff`, after the entry `after`, oldest first, at most `limit`; columns `id`,
    /// `channel`, `external_id`, `state`, `closed_at` and `erased_at`. With `ids`, only those
    /// entries, locked until the transaction ends.
    async fn closed_entries(
        &mut self,
        cutoff: DateTime<Utc>,
        after: Option<InboundId>,
        ids: Option<&[InboundId]>,
        limit: u32,
    ) -> Result<Vec<Self::Row>, StoreError>;

    /// Empties the bodies of these entries and sets their `erased_at` to `at`.
    async fn erase_bodies(&mut self, ids: &[Uuid], at: DateTime<Utc>) -> Result<(), StoreError>;
}

/// A candidate order: who it is, and what the rule reads of it but its deliveries.
struct Candidate {
    due: DueOrder,
    activity: OrderActivity,
}

fn candidate(row: &impl Columns) -> Result<Candidate, StoreError> {
    let status = OrderStatus::parse(&row.text("status")?).map_err(corrupt("status"))?;
    Ok(Candidate {
        due: DueOrder {
            id: OrderId::from_uuid(row.uuid("id")?),
            channel: ChannelId::parse(&row.text("channel")?).map_err(corrupt("channel"))?,
            external_id: ExternalOrderId::parse(&row.text("external_id")?)
                .map_err(corrupt("external_id"))?,
            completed_at: row.time("updated_at")?,
        },
        activity: OrderActivity {
            status,
            updated_at: row.time("updated_at")?,
            last_event_at: row.opt_time("last_event_at")?,
            deliveries: Vec::new(),
            erased_at: row.opt_time("erased_at")?,
        },
    })
}

/// The candidates with their deliveries that are due at `cutoff`, with their completion.
async fn due_among<T: RetentionStatements>(
    tx: &mut T,
    mut candidates: Vec<Candidate>,
    cutoff: DateTime<Utc>,
) -> Result<Vec<DueOrder>, StoreError> {
    let ids: Vec<Uuid> = candidates.iter().map(|c| c.due.id.as_uuid()).collect();
    let mut by_id: HashMap<Uuid, usize> = HashMap::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        by_id.insert(*id, index);
    }
    if !ids.is_empty() {
        for row in tx.deliveries(&ids).await? {
            let index = by_id.get(&row.uuid("order_id")?).copied();
            if let Some(c) = index.and_then(|i| candidates.get_mut(i)) {
                c.activity.deliveries.push(DeliveryActivity {
                    state: delivery_state(&row.text("state")?)?,
                    delivered_at: row.opt_time("delivered_at")?,
                });
            }
        }
    }
    Ok(candidates
        .into_iter()
        .filter_map(|c| {
            c.activity.due(cutoff).map(|completed_at| DueOrder {
                completed_at,
                ..c.due
            })
        })
        .collect())
}

/// `Retention::due_orders`: one page of candidates, read in one transaction, and those of them
/// the rule finds due.
///
/// # Errors
/// [`StoreError`].
pub async fn due_orders<S>(
    store: &S,
    cutoff: DateTime<Utc>,
    after: Option<OrderCursor>,
    limit: u32,
) -> Result<DuePage, StoreError>
where
    S: Transactions,
    S::Tx: RetentionStatements,
{
    let limit = limit.clamp(1, 1_000);
    let mut tx = store.read().await?;
    let rows = tx.candidates(cutoff, after, limit + 1).await?;
    let mut candidates = rows.iter().map(candidate).collect::<Result<Vec<_>, _>>()?;
    let more = candidates.len() > limit as usize;
    candidates.truncate(limit as usize);
    let next = candidates.last().filter(|_| more).map(|c| OrderCursor {
        updated_at: c.activity.updated_at,
        id: c.due.id,
    });
    let orders = due_among(&mut tx, candidates, cutoff).await?;
    S::commit(tx).await?;
    Ok(DuePage { orders, next })
}

/// `Retention::erase_orders`: each order in a transaction of its own, locked, checked against
/// the rule again, erased with its history entry.
///
/// # Errors
/// [`StoreError`]; the orders erased before it stay erased.
pub async fn erase_orders<S>(
    store: &S,
    erasures: &[Erasure],
    cutoff: DateTime<Utc>,
) -> Result<Vec<OrderId>, StoreError>
where
    S: Transactions,
    S::Tx: RetentionStatements,
{
    let mut erased = Vec::new();
    for erasure in erasures {
        let id = erasure.order.as_uuid();
        let mut tx = store.write().await?;
        let Some(row) = tx.locked(id).await? else {
            continue;
        };
        if due_among(&mut tx, vec![candidate(&row)?], cutoff)
            .await?
            .is_empty()
        {
            continue;
        }
        tx.erase(id, erasure.event.at).await?;
        tx.insert_events(id, std::slice::from_ref::<OrderEvent>(&erasure.event))
            .await?;
        S::commit(tx).await?;
        erased.push(erasure.order);
    }
    Ok(erased)
}

fn due_inbound_row(row: &impl Columns) -> Result<(DueInbound, Option<DateTime<Utc>>), StoreError> {
    let state = InboundState::parse(&row.text("state")?).map_err(corrupt("state"))?;
    Ok((
        DueInbound {
            id: InboundId::from_uuid(row.uuid("id")?),
            channel: ChannelId::parse(&row.text("channel")?).map_err(corrupt("channel"))?,
            external_id: row.opt_text("external_id")?,
            state,
            closed_at: row.time("closed_at")?,
        },
        row.opt_time("erased_at")?,
    ))
}

/// The entries of `rows` the rule finds due at `cutoff`.
fn inbound_due_among(
    rows: &[impl Columns],
    cutoff: DateTime<Utc>,
) -> Result<Vec<DueInbound>, StoreError> {
    let mut due = Vec::new();
    for row in rows {
        let (entry, erased_at) = due_inbound_row(row)?;
        if inbound_due(entry.state, Some(entry.closed_at), erased_at, cutoff) {
            due.push(entry);
        }
    }
    Ok(due)
}

/// `Retention::due_inbound`.
///
/// # Errors
/// [`StoreError`].
pub async fn due_inbound<S>(
    store: &S,
    cutoff: DateTime<Utc>,
    after: Option<InboundId>,
    limit: u32,
) -> Result<Vec<DueInbound>, StoreError>
where
    S: Transactions,
    S::Tx: RetentionStatements,
{
    let mut tx = store.read().await?;
    let rows = tx
        .closed_entries(cutoff, after, None, limit.clamp(1, 1_000))
        .await?;
    S::commit(tx).await?;
    inbound_due_among(&rows, cutoff)
}

/// `Retention::erase_inbound`: the entries locked, checked against the rule again and erased
/// in one transaction.
///
/// # Errors
/// [`StoreError`].
pub async fn erase_inbound<S>(
    store: &S,
    ids: &[InboundId],
    cutoff: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<Vec<InboundId>, StoreError>
where
    S: Transactions,
    S::Tx: RetentionStatements,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let limit = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    let mut tx = store.write().await?;
    let rows = tx.closed_entries(cutoff, None, Some(ids), limit).await?;
    let due: Vec<InboundId> = inbound_due_among(&rows, cutoff)?
        .into_iter()
        .map(|e| e.id)
        .collect();
    if !due.is_empty() {
        let uuids: Vec<Uuid> = due.iter().map(|id| id.as_uuid()).collect();
        tx.erase_bodies(&uuids, at).await?;
    }
    S::commit(tx).await?;
    Ok(ids.iter().filter(|id| due.contains(id)).copied().collect())
}

/// Implements `Retention` for a store type that implements [`Transactions`] with
/// [`RetentionStatements`], with the procedures of this module.
#[macro_export]
macro_rules! impl_retention {
    ($store:ty) => {
        #[$crate::__private::async_trait]
        impl $crate::__private::Retention for $store {
            async fn due_orders(
                &self,
                cutoff: $crate::__private::DateTime,
                after: Option<$crate::__private::OrderCursor>,
                limit: u32,
            ) -> Result<$crate::__private::DuePage, $crate::__private::StoreError> {
                $crate::retention::due_orders(self, cutoff, after, limit).await
            }

            async fn erase_orders(
                &self,
                erasures: &[$crate::__private::Erasure],
                cutoff: $crate::__private::DateTime,
            ) -> Result<Vec<$crate::__private::OrderId>, $crate::__private::StoreError> {
                $crate::retention::erase_orders(self, erasures, cutoff).await
            }

            async fn due_inbound(
                &self,
                cutoff: $crate::__private::DateTime,
                after: Option<$crate::__private::InboundId>,
                limit: u32,
            ) -> Result<Vec<$crate::__private::DueInbound>, $crate::__private::StoreError> {
                $crate::retention::due_inbound(self, cutoff, after, limit).await
            }

            async fn erase_inbound(
                &self,
                ids: &[$crate::__private::InboundId],
                cutoff: $crate::__private::DateTime,
                at: $crate::__private::DateTime,
            ) -> Result<Vec<$crate::__private::InboundId>, $crate::__private::StoreError> {
                $crate::retention::erase_inbound(self, ids, cutoff, at).await
            }
        }
    };
}
