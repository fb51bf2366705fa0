//! `Quarantine`: what a channel sent that could not be turned into an order is kept whole
//! (design section 11), before the marketplace gets its answer; operators list and discard the
//! entries, or replay them (read again with the current code and settings).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::alert::{Alert, AlertKind};
use crate::inbound::{Inbound, InboundQuery, InboundState, NewInbound};
use crate::order::{MarketplaceCancel, NewOrder};
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::source::OrderSource;
use crate::ports::store::{InboundError, InboundLog, StoreError};
use crate::ports::webhook::Webhook;
use crate::services::{IngestError, Ingested, OrderService};
use crate::values::{AlertId, ChannelId, CleanText, ExternalOrderId, InboundId, OrderId};

/// How the reason an entry was kept for is cleaned: one line of at most 2000 characters.
const ERROR: CleanText = CleanText::line(2_000);

/// What a replay came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// It now reads: the order was created.
    Created(OrderId),
    /// It now reads, and the order exists already (it came again meanwhile).
    Existing(OrderId),
    /// It still cannot be read, for this reason; it stays rejected.
    StillRejected(String),
}

/// What reads a channel's quarantined bodies again: the webhook or the feed they came from.
#[derive(Debug, Clone)]
enum Reader {
    Webhook(Arc<dyn Webhook>),
    Source(Arc<dyn OrderSource>),
}

impl Reader {
    fn reread(&self, body: &[u8]) -> Result<NewOrder, String> {
        match self {
            Self::Webhook(webhook) => webhook.reread(body),
            Self::Source(source) => source.reread(body),
        }
    }

    fn cancellation(&self, body: &[u8]) -> Option<MarketplaceCancel> {
        match self {
            Self::Webhook(webhook) => webhook.reread_cancellation(body),
            Self::Source(_) => None,
        }
    }
}

/// The inbound quarantine in use. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Quarantine {
    log: Arc<dyn InboundLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    alerting: bool,
    readers: Arc<BTreeMap<ChannelId, Reader>>,
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
            readers: Arc::default(),
        }
    }

    /// Replays the bodies of `webhook`'s channel with it.
    #[must_use]
    pub fn read_by_webhook(self, webhook: Arc<dyn Webhook>) -> Self {
        let channel = webhook.channel().clone();
        self.with_reader(channel, Reader::Webhook(webhook))
    }

    /// Replays the orders of `source`'s channel with it.
    #[must_use]
    pub fn read_by_source(self, source: Arc<dyn OrderSource>) -> Self {
        let channel = source.channel().clone();
        self.with_reader(channel, Reader::Source(source))
    }

    fn with_reader(mut self, channel: ChannelId, reader: Reader) -> Self {
        Arc::make_mut(&mut self.readers).insert(channel, reader);
        self
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
        // The reason and the id come from the adapter's reading of outside text: kept clean.
        let error = ERROR
            .clean(error)
            .unwrap_or_else(|| "unreadable".to_owned());
        let external_id =
            external_id.and_then(|id| CleanText::line(ExternalOrderId::MAX_LEN).clean(&id));
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
            error,
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

    /// Reads a rejected entry again with its channel's webhook or feed (the current code and
    /// settings) and ingests the order through `orders` when it now reads; the entry is then
    /// closed as replayed, with the order's id. When it still cannot be read, the new reason is
    /// kept and the entry stays rejected.
    ///
    /// # Errors
    /// [`InboundError`]: not found, closed already, or a store failure (the order may then
    /// have been created; a second replay answers `Existing`).
    pub async fn replay(
        &self,
        id: InboundId,
        orders: &OrderService,
    ) -> Result<(Inbound, Replay), InboundError> {
        let entry = self
            .log
            .inbound(id)
            .await?
            .ok_or(InboundError::NotFound(id))?;
        if entry.state != InboundState::Rejected {
            return Err(InboundError::Closed {
                id,
                state: entry.state,
            });
        }
        let reader = self.readers.get(&entry.channel);
        let read = match reader {
            Some(reader) => reader.reread(&entry.body),
            None => Err(format!(
                "channel {} is not configured: nothing can read it",
                entry.channel
            )),
        };
        // An order sent already cancelled is replayed cancelled: the cancellation is kept
        // first, so that the order arrives with it (or applied, when it exists already).
        if let (Ok(new), Some(cancel)) = (&read, reader.and_then(|r| r.cancellation(&entry.body))) {
            orders
                .marketplace_cancelled(&new.channel, &new.external_id, &cancel)
                .await
                .map_err(|e| {
                    StoreError::with_source("could not record the body's cancellation", e)
                })?;
        }
        let outcome = match read {
            Err(reason) => Replay::StillRejected(reason),
            Ok(new) => match orders.ingest(new).await {
                Ok(Ingested::Created(order)) => Replay::Created(order.id()),
                Ok(Ingested::Duplicate(existing)) => Replay::Existing(existing),
                Err(IngestError::Invalid(e)) => Replay::StillRejected(e.to_string()),
                Err(IngestError::UnknownChannel(channel)) => {
                    Replay::StillRejected(format!("channel {channel} is not configured"))
                }
                Err(IngestError::Store(e)) => return Err(e.into()),
            },
        };
        let entry = match &outcome {
            Replay::Created(order) | Replay::Existing(order) => {
                self.log
                    .close_inbound(id, InboundState::Replayed, Some(*order), self.clock.now())
                    .await?
            }
            Replay::StillRejected(reason) => self.log.retried_inbound(id, reason).await?,
        };
        Ok((entry, outcome))
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

#[cfg(test)]
#[path = "quarantine_tests.rs"]
mod tests;
