//! Ship-by rows: an overdue order not alerted yet, a channel's count of overdue orders, and
//! the alerts an alert check marks.

use std::collections::HashSet;

use orderbridge_domain::alert::Alert;
use orderbridge_domain::ports::store::{OverdueCount, OverdueOrder, StoreError};
use orderbridge_domain::values::{ChannelId, ExternalOrderId, OrderId};

use crate::codec::corrupt;
use crate::columns::Columns;

/// The `orders` columns [`overdue_order`] reads.
pub const OVERDUE_COLUMNS: &str = "id, channel, external_id, deliver_by";

/// A stored order as [`OverdueOrder`], from [`OVERDUE_COLUMNS`].
///
/// # Errors
/// [`StoreError`] when the row is corrupt.
pub fn overdue_order(row: &impl Columns) -> Result<OverdueOrder, StoreError> {
    Ok(OverdueOrder {
        id: OrderId::from_uuid(row.uuid("id")?),
        channel: ChannelId::parse(&row.text("channel")?).map_err(corrupt("channel"))?,
        external_id: ExternalOrderId::parse(&row.text("external_id")?)
            .map_err(corrupt("external_id"))?,
        deliver_by: row.time("deliver_by")?,
    })
}

/// A channel's count (columns `channel`, `orders`).
///
/// # Errors
/// [`StoreError`] when the row is corrupt.
pub fn overdue_count(row: &impl Columns) -> Result<OverdueCount, StoreError> {
    let orders = row.big("orders")?;
    Ok(OverdueCount {
        channel: ChannelId::parse(&row.text("channel")?).map_err(corrupt("channel"))?,
        orders: u64::try_from(orders)
            .map_err(|_| StoreError::msg(format!("corrupt count of overdue orders: {orders}")))?,
    })
}

/// The alerts that name an order, each with its order, the first alert of an order only, in
/// the order given: what `Deadlines::alert_overdue` marks and queues.
#[must_use]
pub fn alerts_by_order(alerts: &[Alert]) -> Vec<(OrderId, &Alert)> {
    let mut seen = HashSet::new();
    alerts
        .iter()
        .filter_map(|alert| alert.order_id.map(|order| (order, alert)))
        .filter(|(order, _)| seen.insert(*order))
        .collect()
}
