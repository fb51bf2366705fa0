//! Channel health, alert and per-channel queue rows: a stored row as the domain's record, and
//! the columns a record writes.

use chrono::{DateTime, Utc};
use orderbridge_domain::alert::{Alert, AlertKind};
use orderbridge_domain::health::{ChannelHealth, ChannelState, PausedBy};
use orderbridge_domain::ports::store::{ChannelStats, QueuedAlert, StoreError};
use orderbridge_domain::values::{AlertId, ChannelId, DeliveryId, OrderId};

use crate::codec::{corrupt, count};
use crate::columns::Columns;

/// The `channel_states` columns [`health`] reads.
pub const HEALTH_COLUMNS: &str =
    "channel, state, reason, paused_by, since, failures, until, last_success, version";

/// The `alerts` columns [`queued_alerts`] reads.
pub const ALERT_COLUMNS: &str = "id, kind, channel, order_id, delivery_id, message, at, attempts";

fn channel(row: &impl Columns, column: &'static str) -> Result<ChannelId, StoreError> {
    ChannelId::parse(&row.text(column)?).map_err(corrupt(column))
}

/// A stored `channel_states` row.
///
/// # Errors
/// [`StoreError`] when the row is corrupt.
pub fn health(row: &impl Columns) -> Result<ChannelHealth, StoreError> {
    Ok(ChannelHealth {
        channel: channel(row, "channel")?,
        state: ChannelState::parse(&row.text("state")?).map_err(corrupt("state"))?,
        reason: row.opt_text("reason")?,
        paused_by: row
            .opt_text("paused_by")?
            .map(|by| PausedBy::parse(&by).map_err(corrupt("paused_by")))
            .transpose()?,
        since: row.time("since")?,
        failures: count(row.int("failures")?, "failures")?,
        until: row.opt_time("until")?,
        last_success: row.opt_time("last_success")?,
        version: u64::try_from(row.big("version")?).unwrap_or_default(),
    })
}

/// The columns a channel health writes, `version` being the one it is written as.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs, reason = "one field per column of the same name")]
pub struct HealthRow<'a> {
    pub channel: &'a str,
    pub state: &'static str,
    pub reason: Option<&'a str>,
    pub paused_by: Option<&'static str>,
    pub since: DateTime<Utc>,
    pub failures: i32,
    pub until: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// The version stored now (0: none).
    pub expected: i64,
    /// The version it is written as.
    pub version: i64,
}

impl<'a> HealthRow<'a> {
    /// The row of `health`, written over the stored version `health.version`.
    #[must_use]
    pub fn of(health: &'a ChannelHealth) -> Self {
        let expected = i64::try_from(health.version).unwrap_or(i64::MAX);
        Self {
            channel: health.channel.as_str(),
            state: health.state.as_str(),
            reason: health.reason.as_deref(),
            paused_by: health.paused_by.map(PausedBy::as_str),
            since: health.since,
            failures: i32::try_from(health.failures).unwrap_or(i32::MAX),
            until: health.until,
            last_success: health.last_success,
            expected,
            version: expected.saturating_add(1),
        }
    }
}

/// Claimed `alerts` rows, in the order they are sent: oldest first, then by id (a claim's
/// `UPDATE ... RETURNING` gives them in no order).
///
/// # Errors
/// [`StoreError`] when a row is corrupt.
pub fn queued_alerts<R: Columns>(
    rows: impl IntoIterator<Item = R>,
) -> Result<Vec<QueuedAlert>, StoreError> {
    let mut alerts = rows
        .into_iter()
        .map(|row| queued_alert(&row))
        .collect::<Result<Vec<_>, _>>()?;
    alerts.sort_by_key(|a| (a.alert.at, a.alert.id));
    Ok(alerts)
}

/// A claimed `alerts` row.
fn queued_alert(row: &impl Columns) -> Result<QueuedAlert, StoreError> {
    let at = row.time("at")?;
    Ok(QueuedAlert {
        alert: Alert {
            id: AlertId::from_uuid(row.uuid("id")?),
            kind: AlertKind::parse(&row.text("kind")?).map_err(corrupt("kind"))?,
            channel: channel(row, "channel")?,
            order_id: row.opt_uuid("order_id")?.map(OrderId::from_uuid),
            delivery_id: row.opt_uuid("delivery_id")?.map(DeliveryId::from_uuid),
            message: row.text("message")?,
            at,
        },
        attempts: count(row.int("attempts")?, "attempts")?,
        created_at: at,
    })
}

/// A per-channel queue row with `channel`, the counts `pending` and `dead`, and the time
/// `oldest` (NULL when none is pending).
///
/// # Errors
/// [`StoreError`] when the row is corrupt.
pub fn channel_stats(row: &impl Columns) -> Result<ChannelStats, StoreError> {
    Ok(ChannelStats {
        channel: channel(row, "channel")?,
        pending: u64::try_from(row.big("pending")?).unwrap_or_default(),
        dead: u64::try_from(row.big("dead")?).unwrap_or_default(),
        oldest_pending: row.opt_time("oldest")?,
    })
}
