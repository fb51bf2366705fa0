//! The dispatcher's channel-wide concerns: channel health (probes of paused channels, the
//! health outcomes move), alerts, and the channels one instance at a time sends to.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::{Dispatched, Dispatcher, Ready, to_delta};
use crate::health::{HealthPolicy, Observation};
use crate::outbox::Delivery;
use crate::ports::store::{ChannelStates, PollState, StoreError};
use crate::services::health::{HealthChange, Watch};
use crate::values::ChannelId;

/// Pull channels whose calls all come from the instance holding the channel's poll lease, so
/// that the channel's rate limit (kept per process) holds across instances.
#[derive(Debug, Clone)]
pub(super) struct Exclusive {
    state: Arc<dyn PollState>,
    owner: Uuid,
    channels: Vec<(ChannelId, Duration)>,
}

impl Dispatcher {
    /// Keeps channel health in `states`: a refusal of the credentials pauses the channel (its
    /// rows stay pending), transient failures in a row back it off, a paused channel is probed.
    #[must_use]
    pub fn with_health(mut self, states: Arc<dyn ChannelStates>, policy: HealthPolicy) -> Self {
        self.watch = Some(Watch::new(
            states,
            self.clock.clone(),
            self.ids.clone(),
            policy,
        ));
        self
    }

    /// Raises alerts (parked deliveries; channels paused and resumed) in the alert queue.
    #[must_use]
    pub fn with_alerts(mut self) -> Self {
        self.alerting = true;
        if let Some(watch) = self.watch.take() {
            self.watch = Some(watch.alerting());
        }
        self
    }

    /// Claims one row of each paused channel whose probe is due (taking the probe from other
    /// instances), with their orders: when the marketplace takes it, the channel resumes.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn claim_probes(
        &self,
        token: Uuid,
        skip: &[ChannelId],
    ) -> Result<Vec<Ready>, StoreError> {
        let Some(watch) = &self.watch else {
            return Ok(Vec::new());
        };
        let started = Instant::now();
        let mut claimed = Vec::new();
        for channel in watch.take_probes().await? {
            if skip.contains(&channel) {
                continue;
            }
            claimed.extend(self.claim_with(token, 1, &[], Some(channel)).await?);
        }
        self.with_orders(claimed, started).await
    }

    /// What the recorded outcomes of `attempts` mean for their channels' health: the changes
    /// made (none without channel health).
    ///
    /// # Errors
    /// [`StoreError`] when a channel's health cannot be written.
    pub async fn observe(
        &self,
        deliveries: &[Delivery],
        outcomes: &[Dispatched],
    ) -> Result<Vec<HealthChange>, StoreError> {
        let Some(watch) = &self.watch else {
            return Ok(Vec::new());
        };
        let mut seen: BTreeMap<ChannelId, Observation> = BTreeMap::new();
        for (delivery, outcome) in deliveries.iter().zip(outcomes) {
            let entry = seen.entry(delivery.channel.clone()).or_default();
            match outcome {
                Dispatched::Delivered => entry.delivered += 1,
                Dispatched::Retrying(_) => {
                    entry.transient += 1;
                    entry.last_error.clone_from(&delivery.last_error);
                }
                Dispatched::Refused(reason) => entry.refused = Some(reason.clone()),
                Dispatched::Parked(_) | Dispatched::LeaseLost => {}
            }
        }
        watch.observe(seen).await
    }

    /// Sends to each of `channels` only while this process holds the channel's poll lease
    /// (taking it when it is free, for the duration given), as `owner`, the identity its
    /// pollers use: every call to such a channel then comes from one instance, whose rate
    /// limit holds for all.
    #[must_use]
    pub fn with_exclusive_senders(
        mut self,
        state: Arc<dyn PollState>,
        owner: Uuid,
        channels: Vec<(ChannelId, Duration)>,
    ) -> Self {
        self.exclusive = (!channels.is_empty()).then_some(Exclusive {
            state,
            owner,
            channels,
        });
        self
    }

    /// `skip` plus the exclusive channels this process does not hold the lease of now.
    pub(super) async fn not_ours(&self, skip: &[ChannelId]) -> Result<Vec<ChannelId>, StoreError> {
        let mut skipped = skip.to_vec();
        let Some(exclusive) = &self.exclusive else {
            return Ok(skipped);
        };
        let now = self.clock.now();
        for (channel, lease) in &exclusive.channels {
            if skipped.contains(channel) {
                continue;
            }
            let held = exclusive
                .state
                .lease_poller(channel, exclusive.owner, now, now + to_delta(*lease))
                .await?;
            if !held {
                skipped.push(channel.clone());
            }
        }
        Ok(skipped)
    }

    /// Gives back the poll leases this process holds for its exclusive channels (shutdown);
    /// a lease another instance holds is left alone.
    pub(super) async fn release_exclusive(&self) -> Result<(), StoreError> {
        let Some(exclusive) = &self.exclusive else {
            return Ok(());
        };
        let now = self.clock.now();
        for (channel, _) in &exclusive.channels {
            exclusive
                .state
                .lease_poller(channel, exclusive.owner, now, now)
                .await?;
        }
        Ok(())
    }
}
