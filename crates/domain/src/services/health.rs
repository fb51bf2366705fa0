//! Channel health in use: [`Watch`], the dispatcher's side (outcomes move a channel's state,
//! probes of paused channels), and [`ChannelService`], the operators' side (the channels with
//! their queues, pause, resume). Both write through the store's compare-and-set, so that several
//! instances agree, and queue the alerts a change raises in the same transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::alert::{Alert, AlertKind};
use crate::health::{ChannelHealth, ChannelState, HealthPolicy, Observation, Transition};
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::store::{ChannelStates, ChannelStats, DeliveryLog, StoreError};
use crate::values::{AlertId, ChannelId};

/// How often a channel's last success is written while nothing else about it changes.
const SUCCESS_EVERY: TimeDelta = TimeDelta::seconds(5);

/// Writes that lose to another instance are tried again this many times.
const CAS_TRIES: usize = 5;

/// A change of a channel's state, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthChange {
    /// What changed.
    pub transition: Transition,
    /// The channel's health after it.
    pub health: ChannelHealth,
}

/// Writes channel health with the alerts its changes raise.
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    states: Arc<dyn ChannelStates>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    policy: HealthPolicy,
    alerting: bool,
}

/// Whether `next` differs from `current` enough to be written: anything but the time of the
/// last success, which is written at most every [`SUCCESS_EVERY`].
fn worth_writing(current: &ChannelHealth, next: &ChannelHealth) -> bool {
    let mut same = next.clone();
    same.last_success = current.last_success;
    if same != *current {
        return true;
    }
    match (current.last_success, next.last_success) {
        (None, Some(_)) => true,
        (Some(then), Some(now)) => now - then >= SUCCESS_EVERY,
        _ => false,
    }
}

impl Watch {
    pub(crate) fn new(
        states: Arc<dyn ChannelStates>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        policy: HealthPolicy,
    ) -> Self {
        Self {
            states,
            clock,
            ids,
            policy,
            alerting: false,
        }
    }

    pub(crate) fn alerting(mut self) -> Self {
        self.alerting = true;
        self
    }

    /// The alert a transition raises, if alerts are on and it is one operators hear of.
    fn alert(
        &self,
        transition: Transition,
        health: &ChannelHealth,
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        let kind = match transition {
            Transition::Paused => AlertKind::ChannelPaused,
            Transition::Resumed => AlertKind::ChannelResumed,
            Transition::BackingOff | Transition::Recovered => return Vec::new(),
        };
        if !self.alerting {
            return Vec::new();
        }
        let message = match (kind, &health.reason, health.paused_by) {
            (AlertKind::ChannelPaused, Some(reason), Some(by)) => {
                format!("paused ({}): {reason}; its deliveries wait", by.as_str())
            }
            (AlertKind::ChannelPaused, _, _) => "paused; its deliveries wait".to_owned(),
            _ => "active again; its waiting deliveries go out".to_owned(),
        };
        vec![Alert {
            id: AlertId::from_uuid(self.ids.next_id()),
            kind,
            channel: health.channel.clone(),
            order_id: None,
            delivery_id: None,
            message,
            at: now,
        }]
    }

    async fn stored(&self) -> Result<BTreeMap<ChannelId, ChannelHealth>, StoreError> {
        Ok(self
            .states
            .channel_states()
            .await?
            .into_iter()
            .map(|h| (h.channel.clone(), h))
            .collect())
    }

    /// Applies `change` to the channel's stored health until the write wins: `change` returns
    /// the new health and its transition, or `None` to write nothing.
    pub(crate) async fn update(
        &self,
        channel: &ChannelId,
        change: impl Fn(&ChannelHealth, DateTime<Utc>) -> Option<(ChannelHealth, Option<Transition>)>
        + Send
        + Sync,
    ) -> Result<Option<HealthChange>, StoreError> {
        for _ in 0..CAS_TRIES {
            let now = self.clock.now();
            let current = self
                .stored()
                .await?
                .remove(channel)
                .unwrap_or_else(|| ChannelHealth::active(channel.clone(), now));
            let Some((next, transition)) = change(&current, now) else {
                return Ok(None);
            };
            let alerts = transition.map_or_else(Vec::new, |t| self.alert(t, &next, now));
            if self.states.put_channel_state(&next, &alerts).await? {
                return Ok(transition.map(|transition| HealthChange {
                    transition,
                    health: next,
                }));
            }
        }
        Err(StoreError::msg(format!(
            "channel {channel}: health kept changing under {CAS_TRIES} writes"
        )))
    }

    /// Moves each observed channel's health, returning the changes of state. The stored
    /// health is read once for the batch; a channel whose write loses to another instance is
    /// read again and retried.
    pub(crate) async fn observe(
        &self,
        seen: BTreeMap<ChannelId, Observation>,
    ) -> Result<Vec<HealthChange>, StoreError> {
        let mut stored = self.stored().await?;
        let mut changes = Vec::new();
        let policy = self.policy;
        for (channel, observation) in seen {
            let now = self.clock.now();
            let current = stored
                .remove(&channel)
                .unwrap_or_else(|| ChannelHealth::active(channel.clone(), now));
            let (next, transition) = current.observe(&observation, now, &policy);
            if !worth_writing(&current, &next) {
                continue;
            }
            let alerts = transition.map_or_else(Vec::new, |t| self.alert(t, &next, now));
            if self.states.put_channel_state(&next, &alerts).await? {
                changes.extend(transition.map(|transition| HealthChange {
                    transition,
                    health: next,
                }));
                continue;
            }
            let change = self
                .update(&channel, |current, now| {
                    let (next, transition) = current.observe(&observation, now, &policy);
                    worth_writing(current, &next).then_some((next, transition))
                })
                .await?;
            changes.extend(change);
        }
        Ok(changes)
    }

    /// The channels whose probe is due, each taken from other instances (its next probe moved
    /// on) so that one instance probes at a time.
    pub(crate) async fn take_probes(&self) -> Result<Vec<ChannelId>, StoreError> {
        let now = self.clock.now();
        let mut taken = Vec::new();
        for health in self.stored().await?.into_values() {
            if health.probe_due(now)
                && self
                    .states
                    .put_channel_state(&health.probing(now, &self.policy), &[])
                    .await?
            {
                taken.push(health.channel);
            }
        }
        Ok(taken)
    }
}

/// One channel as operators see it: its health and its queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelView {
    /// Its health.
    pub health: ChannelHealth,
    /// Its pending and parked deliveries.
    pub stats: ChannelStats,
}

/// Why a channel action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChannelActionError {
    /// No such channel account is configured.
    #[error("no channel account {0} is configured")]
    Unknown(ChannelId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The operators' actions on channels. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ChannelService {
    channels: Arc<Vec<ChannelId>>,
    watch: Watch,
    log: Arc<dyn DeliveryLog>,
    clock: Arc<dyn Clock>,
}

impl ChannelService {
    /// A service over the configured `channels`.
    #[must_use]
    pub fn new(
        channels: Vec<ChannelId>,
        states: Arc<dyn ChannelStates>,
        log: Arc<dyn DeliveryLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        alerting: bool,
    ) -> Self {
        let watch = Watch::new(states, clock.clone(), ids, HealthPolicy::default());
        Self {
            channels: Arc::new(channels),
            watch: if alerting { watch.alerting() } else { watch },
            log,
            clock,
        }
    }

    /// Every configured channel with its health and queue, by id.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn channels(&self) -> Result<Vec<ChannelView>, StoreError> {
        let now = self.clock.now();
        let mut stored = self.watch.stored().await?;
        let mut stats: BTreeMap<ChannelId, ChannelStats> = self
            .log
            .channel_stats()
            .await?
            .into_iter()
            .map(|s| (s.channel.clone(), s))
            .collect();
        Ok(self
            .channels
            .iter()
            .map(|channel| ChannelView {
                health: stored
                    .remove(channel)
                    .unwrap_or_else(|| ChannelHealth::active(channel.clone(), now)),
                stats: stats.remove(channel).unwrap_or(ChannelStats {
                    channel: channel.clone(),
                    pending: 0,
                    dead: 0,
                    oldest_pending: None,
                }),
            })
            .collect())
    }

    fn known(&self, channel: &ChannelId) -> Result<(), ChannelActionError> {
        if self.channels.contains(channel) {
            Ok(())
        } else {
            Err(ChannelActionError::Unknown(channel.clone()))
        }
    }

    /// Pauses a channel by hand with `reason`; its deliveries wait until an operator resumes
    /// it. Pausing a paused channel changes nothing. Returns its health.
    ///
    /// # Errors
    /// [`ChannelActionError`].
    pub async fn pause(
        &self,
        channel: &ChannelId,
        reason: &str,
    ) -> Result<ChannelHealth, ChannelActionError> {
        self.known(channel)?;
        self.watch
            .update(channel, |current, now| {
                (current.state != ChannelState::Paused).then(|| {
                    (
                        current.paused_by_operator(reason, now),
                        Some(Transition::Paused),
                    )
                })
            })
            .await?;
        Ok(self.health(channel).await?)
    }

    /// Resumes a paused or backing-off channel at once; its due deliveries go out. Resuming an
    /// active channel changes nothing. Returns its health.
    ///
    /// # Errors
    /// [`ChannelActionError`].
    pub async fn resume(&self, channel: &ChannelId) -> Result<ChannelHealth, ChannelActionError> {
        self.known(channel)?;
        self.watch
            .update(channel, |current, now| match current.state {
                ChannelState::Active => None,
                ChannelState::Paused => Some((current.resumed(now), Some(Transition::Resumed))),
                ChannelState::BackingOff => {
                    Some((current.resumed(now), Some(Transition::Recovered)))
                }
            })
            .await?;
        Ok(self.health(channel).await?)
    }

    async fn health(&self, channel: &ChannelId) -> Result<ChannelHealth, StoreError> {
        let now = self.clock.now();
        Ok(self
            .watch
            .stored()
            .await?
            .remove(channel)
            .unwrap_or_else(|| ChannelHealth::active(channel.clone(), now)))
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
