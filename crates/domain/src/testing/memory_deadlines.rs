//! The in-memory store's overdue orders and their alerts.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use super::channels::AlertRow;
use crate::alert::Alert;
use crate::order::Order;
use crate::ports::store::{
    DeadlineCursor, Deadlines, OverdueCount, OverdueOrder, OverduePage, OverdueQuery, StoreError,
};
use crate::values::{ChannelId, OrderId};

/// The most orders one page holds, as in the SQL stores.
const MAX_PAGE: u32 = 1_000;

/// The order's deadline, when it is overdue at `now`.
fn overdue_by(order: &Order, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    order.deliver_by().filter(|_| order.is_overdue(now))
}

fn selected(order: &Order, query: &OverdueQuery) -> Option<(DateTime<Utc>, OrderId)> {
    let deadline = overdue_by(order, query.now)?;
    let key = (deadline, order.id());
    let wanted = (query.statuses.is_empty() || query.statuses.contains(&order.status()))
        && query.channel.as_ref().is_none_or(|c| c == order.channel())
        && query.after.is_none_or(|c| key > (c.deliver_by, c.id));
    wanted.then_some(key)
}

#[async_trait]
impl Deadlines for MemoryStore {
    async fn overdue(&self, query: &OverdueQuery) -> Result<OverduePage, StoreError> {
        let state = self.state()?;
        let mut found: Vec<((DateTime<Utc>, OrderId), &Order)> = state
            .orders
            .values()
            .filter_map(|o| selected(o, query).map(|key| (key, o)))
            .collect();
        found.sort_by_key(|(key, _)| *key);
        let limit = usize::try_from(query.limit.clamp(1, MAX_PAGE)).unwrap_or(usize::MAX);
        let more = found.len() > limit;
        found.truncate(limit);
        let next = found
            .last()
            .filter(|_| more)
            .map(|((deliver_by, id), _)| DeadlineCursor {
                deliver_by: *deliver_by,
                id: *id,
            });
        Ok(OverduePage {
            orders: found.into_iter().map(|(_, o)| o.clone()).collect(),
            next,
        })
    }

    async fn overdue_counts(&self, now: DateTime<Utc>) -> Result<Vec<OverdueCount>, StoreError> {
        let state = self.state()?;
        let mut counts: BTreeMap<ChannelId, u64> = BTreeMap::new();
        for order in state.orders.values() {
            if order.is_overdue(now) {
                *counts.entry(order.channel().clone()).or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|(channel, orders)| OverdueCount { channel, orders })
            .collect())
    }

    async fn overdue_unalerted(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OverdueOrder>, StoreError> {
        let state = self.state()?;
        let mut found: Vec<OverdueOrder> = state
            .orders
            .values()
            .filter(|o| !state.overdue_alerted.contains(&o.id()))
            .filter_map(|o| {
                overdue_by(o, now).map(|deliver_by| OverdueOrder {
                    id: o.id(),
                    channel: o.channel().clone(),
                    external_id: o.external_id().clone(),
                    deliver_by,
                })
            })
            .collect();
        found.sort_by_key(|o| (o.deliver_by, o.id));
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    async fn alert_overdue(
        &self,
        alerts: &[Alert],
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError> {
        let mut state = self.state()?;
        let mut marked = Vec::new();
        for alert in alerts {
            let Some(id) = alert.order_id else { continue };
            let overdue = state.orders.get(&id).is_some_and(|o| o.is_overdue(now));
            if overdue && state.overdue_alerted.insert(id) {
                state.alerts.push(AlertRow::new(alert));
                marked.push(id);
            }
        }
        Ok(marked)
    }
}
