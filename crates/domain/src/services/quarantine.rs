//! `Quarantine`: what a channel sent that could not be turned into an order is kept whole
//! (design section 11), before the marketplace gets its answer; operators list and discard the
//! entries (replay comes with the channels' readers).

use std::sync::Arc;

use crate::alert::{Alert, AlertKind};
use crate::inbound::{Inbound, InboundQuery, InboundState, NewInbound};
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::store::{InboundError, InboundLog, StoreError};
use crate::values::{AlertId, ChannelId, InboundId};

/// The inbound quarantine in use. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Quarantine {
    log: Arc<dyn InboundLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    alerting: bool,
}

impl Quarantine {
    /// A quarantine over `log`; `alerting`: a new entry raises an `inbound_rejected` alert.
    #[must_use]
    pub fn new(
        log: Arc<dyn InboundLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        alerting: bool,
    ) -> Self {
        Self {
            log,
            clock,
            ids,
            alerting,
        }
    }

    /// Keeps `body` from `channel`, which could not be read because of `error`; returns the
    /// entry and whether it is new (the same body still rejected is counted instead).
    ///
    /// # Errors
    /// [`StoreError`]: then nothing is kept, and the marketplace should be told to send again.
    pub async fn keep(
        &self,
        channel: &ChannelId,
        external_id: Option<String>,
        body: &[u8],
        error: &str,
    ) -> Result<(Inbound, bool), StoreError> {
        let now = self.clock.now();
        let id = InboundId::from_uuid(self.ids.next_id());
        let alerts = if self.alerting {
            let which = external_id
                .as_deref()
                .map(|e| format!("order {e}"))
                .unwrap_or_else(|| "an order".to_owned());
            vec![Alert {
                id: AlertId::from_uuid(self.ids.next_id()),
                kind: AlertKind::InboundRejected,
                channel: channel.clone(),
                order_id: None,
                delivery_id: None,
                message: format!(
                    "{which} could not be read and is kept in quarantine ({id}): {error}"
                ),
                at: now,
            }]
        } else {
            Vec::new()
        };
        let entry = NewInbound {
            id,
            channel: channel.clone(),
            external_id,
            body: body.to_vec(),
            error: error.to_owned(),
            at: now,
        };
        self.log.quarantine(&entry, &alerts).await
    }

    /// One entry.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn entry(&self, id: InboundId) -> Result<Option<Inbound>, StoreError> {
        self.log.inbound(id).await
    }

    /// Entries, newest first.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn entries(&self, query: &InboundQuery) -> Result<Vec<Inbound>, StoreError> {
        self.log.inbound_list(query).await
    }

    /// Discards a rejected entry: the operator decided it is not an order to keep.
    ///
    /// # Errors
    /// [`InboundError`]: not found, already closed, or a store failure.
    pub async fn discard(&self, id: InboundId) -> Result<Inbound, InboundError> {
        self.log
            .close_inbound(id, InboundState::Discarded, None, self.clock.now())
            .await
    }
}
