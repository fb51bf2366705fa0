//! Channel health (design section 11): whether a channel account's deliveries may be sent.
//!
//! - `active`: sent as they fall due.
//! - `backing_off`: several transient failures in a row (timeouts, 5xx, 429): the channel waits
//!   as a whole until `until`, one timer for the channel instead of one per row; the first
//!   delivery after the wait that succeeds makes it active again, one that fails doubles the wait.
//! - `paused`: the marketplace refused the credentials (a 403, or a 401 that a token renewal did
//!   not cure), or an operator paused it. Its rows stay pending, never parked for it. A channel
//!   paused for its credentials is probed at `until` (one delivery is let through) and resumes by
//!   itself when the marketplace takes it; one an operator paused waits for an operator.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::values::{ChannelId, InvalidValue};

/// A channel's health state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelState {
    /// Deliveries go out as they fall due.
    Active,
    /// Waiting as a whole after transient failures in a row.
    BackingOff,
    /// Nothing is sent until it resumes.
    Paused,
}

impl ChannelState {
    /// Every state.
    pub const ALL: [Self; 3] = [Self::Active, Self::BackingOff, Self::Paused];

    /// The snake-case name used in storage, the API and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::BackingOff => "backing_off",
            Self::Paused => "paused",
        }
    }

    /// Parses a name written by [`ChannelState::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "channel state",
                expected: "one of active, backing_off, paused",
            })
    }
}

/// Who paused a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PausedBy {
    /// The marketplace refused the credentials; probed and resumed by itself.
    Credentials,
    /// An operator; resumed by an operator.
    Operator,
}

impl PausedBy {
    /// The snake-case name used in storage and the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credentials => "credentials",
            Self::Operator => "operator",
        }
    }

    /// Parses a name written by [`PausedBy::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        [Self::Credentials, Self::Operator]
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "paused by",
                expected: "credentials or operator",
            })
    }
}

/// How health reacts to outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthPolicy {
    /// Transient failures in a row that put the channel in `backing_off`.
    pub backoff_after: u32,
    /// The first wait; each further one doubles it.
    pub backoff_base: Duration,
    /// The longest wait.
    pub backoff_cap: Duration,
    /// How often a channel paused for its credentials is probed.
    pub probe_every: Duration,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        Self {
            backoff_after: 5,
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(5 * 60),
            probe_every: Duration::from_secs(60),
        }
    }
}

impl HealthPolicy {
    /// The wait of the `n`th backing off in a row (0 for the first).
    #[must_use]
    pub fn wait(&self, n: u32) -> Duration {
        self.backoff_base
            .saturating_mul(1u32 << n.min(20))
            .min(self.backoff_cap)
    }
}

/// What the sends of one channel came to, over one batch of outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// Deliveries the marketplace took.
    pub delivered: u32,
    /// Transient failures, with the last one's reason.
    pub transient: u32,
    /// The last transient failure's reason.
    pub last_error: Option<String>,
    /// The marketplace refused the credentials, as it said.
    pub refused: Option<String>,
}

/// A channel's health as stored. A channel never stored is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelHealth {
    /// The channel account.
    pub channel: ChannelId,
    /// Its state.
    pub state: ChannelState,
    /// Why it is backing off or paused.
    pub reason: Option<String>,
    /// Who paused it.
    pub paused_by: Option<PausedBy>,
    /// Since when it is in this state.
    pub since: DateTime<Utc>,
    /// Transient failures in a row.
    pub failures: u32,
    /// Backing off: when the wait ends. Paused for its credentials: when the next probe is due.
    pub until: Option<DateTime<Utc>>,
    /// When a delivery last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// Bumped by every write; 0 for one never stored.
    pub version: u64,
}

/// A change of state worth telling operators about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The channel was paused.
    Paused,
    /// It was active again after being paused.
    Resumed,
    /// It began to back off.
    BackingOff,
    /// It was active again after backing off.
    Recovered,
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

impl ChannelHealth {
    /// A channel with no stored health: active since `now`.
    #[must_use]
    pub fn active(channel: ChannelId, now: DateTime<Utc>) -> Self {
        Self {
            channel,
            state: ChannelState::Active,
            reason: None,
            paused_by: None,
            since: now,
            failures: 0,
            until: None,
            last_success: None,
            version: 0,
        }
    }

    /// Whether its deliveries are held back at `now` (paused, or backing off until later).
    #[must_use]
    pub fn holds_back(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            ChannelState::Active => false,
            ChannelState::Paused => true,
            ChannelState::BackingOff => self.until.is_some_and(|until| until > now),
        }
    }

    /// Whether a probe is due at `now`: paused for its credentials and the probe time reached.
    #[must_use]
    pub fn probe_due(&self, now: DateTime<Utc>) -> bool {
        self.state == ChannelState::Paused
            && self.paused_by == Some(PausedBy::Credentials)
            && self.until.is_none_or(|at| at <= now)
    }

    fn to(&self, state: ChannelState, now: DateTime<Utc>) -> Self {
        Self {
            state,
            since: now,
            reason: None,
            paused_by: None,
            until: None,
            ..self.clone()
        }
    }

    /// The health after `seen`, with the transition it makes, if any. A refusal of the
    /// credentials pauses (or, while paused for them, moves the next probe on); a delivery that
    /// went through ends a backing off or a pause for credentials and clears the failures;
    /// transient failures count up to backing off, and one after a wait doubles it.
    #[must_use]
    pub fn observe(
        &self,
        seen: &Observation,
        now: DateTime<Utc>,
        policy: &HealthPolicy,
    ) -> (Self, Option<Transition>) {
        let mut next = self.clone();
        if let Some(reason) = &seen.refused {
            return match (self.state, self.paused_by) {
                (ChannelState::Paused, Some(PausedBy::Operator)) => (next, None),
                (ChannelState::Paused, _) => {
                    next.reason = Some(reason.clone());
                    next.until = Some(now + delta(policy.probe_every));
                    (next, None)
                }
                _ => {
                    let mut paused = self.to(ChannelState::Paused, now);
                    paused.reason = Some(reason.clone());
                    paused.paused_by = Some(PausedBy::Credentials);
                    paused.until = Some(now + delta(policy.probe_every));
                    (paused, Some(Transition::Paused))
                }
            };
        }
        if seen.delivered > 0 {
            next.failures = 0;
            next.last_success = Some(now);
            return match (self.state, self.paused_by) {
                (ChannelState::BackingOff, _) => (
                    next.to(ChannelState::Active, now),
                    Some(Transition::Recovered),
                ),
                (ChannelState::Paused, Some(PausedBy::Credentials)) => (
                    next.to(ChannelState::Active, now),
                    Some(Transition::Resumed),
                ),
                _ => (next, None),
            };
        }
        if seen.transient == 0 {
            return (next, None);
        }
        next.failures = self.failures.saturating_add(seen.transient);
        let reason = format!(
            "{} transient failures in a row; last: {}",
            next.failures,
            seen.last_error.as_deref().unwrap_or("unknown")
        );
        match self.state {
            ChannelState::Active if next.failures >= policy.backoff_after => {
                let mut backing = next.to(ChannelState::BackingOff, now);
                backing.reason = Some(reason);
                backing.until = Some(now + delta(policy.wait(0)));
                (backing, Some(Transition::BackingOff))
            }
            ChannelState::BackingOff if !self.holds_back(now) => {
                let round = next.failures.saturating_sub(policy.backoff_after);
                next.reason = Some(reason);
                next.until = Some(now + delta(policy.wait(round.min(20))));
                (next, None)
            }
            _ => (next, None),
        }
    }

    /// Paused by an operator at `now` (from any state), with their reason.
    #[must_use]
    pub fn paused_by_operator(&self, reason: &str, now: DateTime<Utc>) -> Self {
        let mut paused = self.to(ChannelState::Paused, now);
        paused.reason = Some(reason.to_owned());
        paused.paused_by = Some(PausedBy::Operator);
        paused
    }

    /// Active again at `now`, failures cleared (an operator's resume).
    #[must_use]
    pub fn resumed(&self, now: DateTime<Utc>) -> Self {
        let mut active = self.to(ChannelState::Active, now);
        active.failures = 0;
        active
    }

    /// The next probe moved to `now` plus the probe interval (a probe is being made).
    #[must_use]
    pub fn probing(&self, now: DateTime<Utc>, policy: &HealthPolicy) -> Self {
        Self {
            until: Some(now + delta(policy.probe_every)),
            ..self.clone()
        }
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
