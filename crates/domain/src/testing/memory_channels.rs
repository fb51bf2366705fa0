//! The in-memory store's channel health and alert queue.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{MemoryStore, State};
use crate::alert::Alert;
use crate::health::ChannelHealth;
use crate::outbox::DeliveryState;
use crate::ports::store::{AlertQueue, AttemptResult, ChannelStates, QueuedAlert, StoreError};
use crate::values::{AlertId, ChannelId};

/// One queued alert with its delivery state.
#[derive(Debug, Clone)]
pub(super) struct AlertRow {
    alert: Alert,
    state: DeliveryState,
    attempts: u32,
    next_attempt_at: DateTime<Utc>,
    lease: Option<(Uuid, DateTime<Utc>)>,
}

impl AlertRow {
    /// A new alert, pending and due at once.
    pub(super) fn new(alert: &Alert) -> Self {
        Self {
            alert: alert.clone(),
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: alert.at,
            lease: None,
        }
    }
}

/// Whether `channel`'s health holds its deliveries back at `now`.
pub(super) fn held_back(state: &State, channel: &ChannelId, now: DateTime<Utc>) -> bool {
    state
        .channels
        .get(channel)
        .is_some_and(|health| health.holds_back(now))
}

#[async_trait]
impl ChannelStates for MemoryStore {
    async fn channel_states(&self) -> Result<Vec<ChannelHealth>, StoreError> {
        let mut all: Vec<ChannelHealth> = self.state()?.channels.values().cloned().collect();
        all.sort_by(|a, b| a.channel.cmp(&b.channel));
        Ok(all)
    }

    async fn put_channel_state(
        &self,
        health: &ChannelHealth,
        alerts: &[Alert],
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let stored = state.channels.get(&health.channel).map_or(0, |h| h.version);
        if stored != health.version {
            return Ok(false);
        }
        let mut next = health.clone();
        next.version = stored + 1;
        state.channels.insert(health.channel.clone(), next);
        state.alerts.extend(alerts.iter().map(AlertRow::new));
        Ok(true)
    }
}

#[async_trait]
impl AlertQueue for MemoryStore {
    async fn claim_alerts(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        token: Uuid,
        limit: u32,
    ) -> Result<Vec<QueuedAlert>, StoreError> {
        let mut state = self.state()?;
        let mut claimed = Vec::new();
        for row in &mut state.alerts {
            if claimed.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                break;
            }
            if row.state == DeliveryState::Pending
                && row.next_attempt_at <= now
                && row.lease.is_none_or(|(_, at)| at <= now)
            {
                row.lease = Some((token, until));
                claimed.push(QueuedAlert {
                    alert: row.alert.clone(),
                    attempts: row.attempts,
                    created_at: row.alert.at,
                });
            }
        }
        Ok(claimed)
    }

    async fn complete_alert(
        &self,
        id: AlertId,
        token: Uuid,
        result: &AttemptResult,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let Some(row) = state
            .alerts
            .iter_mut()
            .find(|r| r.alert.id == id && r.lease.is_some_and(|(t, _)| t == token))
        else {
            return Ok(false);
        };
        row.lease = None;
        row.attempts = row.attempts.saturating_add(1);
        match result {
            AttemptResult::Delivered { .. } => row.state = DeliveryState::Delivered,
            AttemptResult::Retry { at, .. } => row.next_attempt_at = *at,
            AttemptResult::Dead { .. } => row.state = DeliveryState::Dead,
        }
        Ok(true)
    }
}
