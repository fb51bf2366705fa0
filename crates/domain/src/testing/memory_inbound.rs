//! The in-memory store's inbound quarantine.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use super::channels::AlertRow;
use crate::alert::Alert;
use crate::inbound::{Inbound, InboundQuery, InboundState, NewInbound};
use crate::ports::store::{InboundError, InboundLog, StoreError};
use crate::values::{InboundId, OrderId};

/// The entry `id` if it is still rejected.
fn open_entry(entries: &mut [Inbound], id: InboundId) -> Result<&mut Inbound, InboundError> {
    let entry = entries
        .iter_mut()
        .find(|e| e.id == id)
        .ok_or(InboundError::NotFound(id))?;
    if entry.state != InboundState::Rejected {
        return Err(InboundError::Closed {
            id,
            state: entry.state,
        });
    }
    Ok(entry)
}

#[async_trait]
impl InboundLog for MemoryStore {
    async fn quarantine(
        &self,
        entry: &NewInbound,
        alerts: &[Alert],
    ) -> Result<(Inbound, bool), StoreError> {
        let mut state = self.state()?;
        if let Some(discarded) = state.inbound.iter().rev().find(|e| {
            e.state == InboundState::Discarded && e.channel == entry.channel && e.body == entry.body
        }) {
            return Ok((discarded.clone(), false));
        }
        if let Some(known) = state.inbound.iter_mut().find(|e| {
            e.state == InboundState::Rejected && e.channel == entry.channel && e.body == entry.body
        }) {
            known.seen = known.seen.saturating_add(1);
            known.last_seen_at = entry.at;
            known.error.clone_from(&entry.error);
            return Ok((known.clone(), false));
        }
        let stored = Inbound {
            id: entry.id,
            channel: entry.channel.clone(),
            external_id: entry.external_id.clone(),
            body: entry.body.clone(),
            error: entry.error.clone(),
            state: InboundState::Rejected,
            first_seen_at: entry.at,
            last_seen_at: entry.at,
            seen: 1,
            order_id: None,
            closed_at: None,
        };
        state.inbound.push(stored.clone());
        state.alerts.extend(alerts.iter().map(AlertRow::new));
        Ok((stored, true))
    }

    async fn inbound(&self, id: InboundId) -> Result<Option<Inbound>, StoreError> {
        Ok(self.state()?.inbound.iter().find(|e| e.id == id).cloned())
    }

    async fn inbound_list(&self, query: &InboundQuery) -> Result<Vec<Inbound>, StoreError> {
        let state = self.state()?;
        let limit = usize::try_from(query.limit.max(1)).unwrap_or(usize::MAX);
        Ok(state
            .inbound
            .iter()
            .rev()
            .skip_while(|e| query.after.is_some_and(|after| e.id != after))
            .skip(usize::from(query.after.is_some()))
            .filter(|e| query.state.is_none_or(|s| e.state == s))
            .filter(|e| query.channel.as_ref().is_none_or(|c| e.channel == *c))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn close_inbound(
        &self,
        id: InboundId,
        to: InboundState,
        order_id: Option<OrderId>,
        at: DateTime<Utc>,
    ) -> Result<Inbound, InboundError> {
        let mut state = self.state()?;
        let entry = open_entry(&mut state.inbound, id)?;
        entry.state = to;
        entry.order_id = order_id;
        entry.closed_at = Some(at);
        Ok(entry.clone())
    }

    async fn retried_inbound(&self, id: InboundId, error: &str) -> Result<Inbound, InboundError> {
        let mut state = self.state()?;
        let entry = open_entry(&mut state.inbound, id)?;
        error.clone_into(&mut entry.error);
        Ok(entry.clone())
    }
}
