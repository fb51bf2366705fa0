//! `DeadlineService`: ship-by (design section 11). Each order keeps the marketplace's deadline
//! (`deliver_by`); an order past it with units still open is overdue. The API lists overdue
//! orders, a gauge counts them per channel, and an `order_overdue` alert is raised once per
//! order: the alert is queued in the transaction that marks the order as alerted, under a
//! compare-and-set, so that several instances checking at once raise it once.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::alert::{Alert, AlertKind};
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::store::{
    Deadlines, OverdueCount, OverdueOrder, OverduePage, OverdueQuery, StoreError,
};
use crate::values::{AlertId, OrderId};

/// Overdue orders looked up per query when raising alerts.
const ALERT_BATCH: u32 = 100;

/// Batches of alerts raised per check at most; more wait for the next check, so that a
/// backlog (alerts just turned on) does not hold one check for long.
const ALERT_ROUNDS: usize = 10;

/// What one check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverdueCheck {
    /// Overdue orders per channel (channels with none are absent).
    pub counts: Vec<OverdueCount>,
    /// Orders whose alert this check queued.
    pub alerted: Vec<OrderId>,
}

/// Overdue orders: the listing, the counts and the alerts. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DeadlineService {
    store: Arc<dyn Deadlines>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    alerting: bool,
}

impl DeadlineService {
    /// A service over `store`; `alerting`: overdue orders raise `order_overdue` alerts (when
    /// off, no order is marked, so that turning alerts on later alerts every order still
    /// overdue, once).
    #[must_use]
    pub fn new(
        store: Arc<dyn Deadlines>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        alerting: bool,
    ) -> Self {
        Self {
            store,
            clock,
            ids,
            alerting,
        }
    }

    /// A page of orders overdue at `query.now`, oldest deadline first.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn overdue(&self, query: &OverdueQuery) -> Result<OverduePage, StoreError> {
        self.store.overdue(query).await
    }

    /// Counts overdue orders per channel and queues an alert for each overdue order not
    /// alerted yet (when alerting), at the clock's time.
    ///
    /// # Errors
    /// [`StoreError`]; alerts already queued by then stay queued, the others are raised by
    /// the next check.
    pub async fn check(&self) -> Result<OverdueCheck, StoreError> {
        let now = self.clock.now();
        let counts = self.store.overdue_counts(now).await?;
        let alerted = if self.alerting {
            self.raise(now).await?
        } else {
            Vec::new()
        };
        Ok(OverdueCheck { counts, alerted })
    }

    /// Queues the alerts of orders overdue at `now` and not alerted yet, a batch at a time.
    async fn raise(&self, now: DateTime<Utc>) -> Result<Vec<OrderId>, StoreError> {
        let mut alerted = Vec::new();
        for _ in 0..ALERT_ROUNDS {
            let found = self.store.overdue_unalerted(now, ALERT_BATCH).await?;
            if found.is_empty() {
                break;
            }
            let alerts: Vec<Alert> = found.iter().map(|order| self.alert(order, now)).collect();
            alerted.extend(self.store.alert_overdue(&alerts, now).await?);
            if found.len() < ALERT_BATCH as usize {
                break;
            }
        }
        Ok(alerted)
    }

    /// The alert of one overdue order: its ids and the deadline, no customer data.
    fn alert(&self, order: &OverdueOrder, now: DateTime<Utc>) -> Alert {
        Alert {
            id: AlertId::from_uuid(self.ids.next_id()),
            kind: AlertKind::OrderOverdue,
            channel: order.channel.clone(),
            order_id: Some(order.id),
            delivery_id: None,
            message: format!(
                "order {} ({}) is past its deadline of {} with units still to ship",
                order.external_id,
                order.id,
                order.deliver_by.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            at: now,
        }
    }
}

#[cfg(test)]
#[path = "deadlines_tests.rs"]
mod tests;
