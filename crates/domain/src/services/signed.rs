//! `SignedCalls`: the receiving side of Standard Webhooks signatures for any marketplace's
//! webhook. A call is admitted when its timestamp is fresh, one of its signatures matches and
//! its `webhook-id` was not received within the window a replay could use; the id is recorded
//! in the store, so that every instance sharing it refuses the replay (design section 12).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::clock::Clock;
use crate::ports::store::{StoreError, WebhookIds};
use crate::ports::webhook::Headers;
use crate::standard_webhooks::{SignatureError, SignedCall, SigningKey};
use crate::values::ChannelId;

/// Why a signed call was refused.
#[derive(Debug, thiserror::Error)]
pub enum CallRefused {
    /// Its headers are missing, malformed, stale, or no signature matches.
    #[error(transparent)]
    Unsigned(#[from] SignatureError),
    /// Its `webhook-id` was received already, within the window a replay could use.
    #[error("webhook-id {0:?} was received already")]
    Replayed(String),
    /// The store failed; the call may be sent again.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A call admitted: its channel and id, to forget with [`SignedCalls::failed`] when handling
/// it fails on this side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    channel: ChannelId,
    id: String,
}

/// Signed calls to the webhooks of this process. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SignedCalls {
    ids: Arc<dyn WebhookIds>,
    clock: Arc<dyn Clock>,
}

impl SignedCalls {
    /// Calls whose ids are recorded in `ids` (the store).
    #[must_use]
    pub fn new(ids: Arc<dyn WebhookIds>, clock: Arc<dyn Clock>) -> Self {
        Self { ids, clock }
    }

    /// Calls whose ids are kept in this process only: a replay to another instance is not
    /// refused. For services built without a store (tests); the service wires the store's.
    #[must_use]
    pub fn in_process(clock: Arc<dyn Clock>) -> Self {
        Self::new(Arc::new(ProcessWebhookIds::default()), clock)
    }

    /// Reads a call's headers and checks its timestamp, before its body is read.
    ///
    /// # Errors
    /// [`SignatureError`] when a header is missing or malformed, or the timestamp is stale.
    pub fn check_headers(&self, headers: &Headers) -> Result<SignedCall, SignatureError> {
        SignedCall::read(headers, self.clock.now())
    }

    /// Admits a call to `channel`: fresh, signed with `key` over `body`, and its id not
    /// received before within the window (it is recorded now).
    ///
    /// # Errors
    /// [`CallRefused`].
    pub async fn admit(
        &self,
        channel: &ChannelId,
        key: &SigningKey,
        headers: &Headers,
        body: &[u8],
    ) -> Result<Admitted, CallRefused> {
        let now = self.clock.now();
        let call = SignedCall::read(headers, now)?;
        key.verify(&call, body)?;
        let until = call.replayable_until();
        if !self
            .ids
            .record_webhook_id(channel, call.id(), now, until)
            .await?
        {
            return Err(CallRefused::Replayed(call.id().to_owned()));
        }
        Ok(Admitted {
            channel: channel.clone(),
            id: call.id().to_owned(),
        })
    }

    /// Forgets an admitted call whose handling failed on this side, so that its sender's retry
    /// (with the same id) is admitted.
    ///
    /// # Errors
    /// [`StoreError`]; the id is then refused until its window closes.
    pub async fn failed(&self, admitted: &Admitted) -> Result<(), StoreError> {
        self.ids
            .forget_webhook_id(&admitted.channel, &admitted.id)
            .await
    }
}

/// Ids received, with the time until which each is kept; what the in-memory stores hold.
#[derive(Debug, Default)]
pub(crate) struct SeenIds {
    until: BTreeMap<(ChannelId, String), DateTime<Utc>>,
    records: u64,
}

impl SeenIds {
    /// Records when new (or past its time), as [`WebhookIds::record_webhook_id`] says.
    pub(crate) fn record(
        &mut self,
        channel: &ChannelId,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> bool {
        self.records += 1;
        if self.records.is_multiple_of(1_024) {
            self.until.retain(|_, kept| *kept > now);
        }
        let key = (channel.clone(), id.to_owned());
        if self.until.get(&key).is_some_and(|kept| *kept > now) {
            return false;
        }
        self.until.insert(key, until);
        true
    }

    /// Forgets one id.
    pub(crate) fn forget(&mut self, channel: &ChannelId, id: &str) {
        self.until.remove(&(channel.clone(), id.to_owned()));
    }
}

/// Ids kept in this process.
#[derive(Debug, Default)]
struct ProcessWebhookIds(Mutex<SeenIds>);

impl ProcessWebhookIds {
    fn seen(&self) -> Result<std::sync::MutexGuard<'_, SeenIds>, StoreError> {
        self.0
            .lock()
            .map_err(|_| StoreError::msg("webhook ids lock poisoned"))
    }
}

#[async_trait]
impl WebhookIds for ProcessWebhookIds {
    async fn record_webhook_id(
        &self,
        channel: &ChannelId,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.seen()?.record(channel, id, now, until))
    }

    async fn forget_webhook_id(&self, channel: &ChannelId, id: &str) -> Result<(), StoreError> {
        self.seen()?.forget(channel, id);
        Ok(())
    }
}

#[cfg(test)]
#[path = "signed_tests.rs"]
mod tests;
