//! Channel health transitions.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{ChannelHealth, ChannelState, HealthPolicy, Observation, PausedBy, Transition};
use crate::values::ChannelId;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap() + TimeDelta::seconds(seconds)
}

fn fresh() -> ChannelHealth {
    ChannelHealth::active(ChannelId::parse("feedamp").unwrap(), at(0))
}

fn policy() -> HealthPolicy {
    HealthPolicy {
        backoff_after: 3,
        backoff_base: Duration::from_secs(10),
        backoff_cap: Duration::from_secs(60),
        probe_every: Duration::from_secs(30),
    }
}

fn transient(n: u32) -> Observation {
    Observation {
        transient: n,
        last_error: Some("503".to_owned()),
        ..Observation::default()
    }
}

fn delivered() -> Observation {
    Observation {
        delivered: 1,
        ..Observation::default()
    }
}

fn refused() -> Observation {
    Observation {
        refused: Some("403 Forbidden".to_owned()),
        ..Observation::default()
    }
}

#[test]
fn transient_failures_in_a_row_back_the_channel_off_as_a_whole() {
    let (two, none) = fresh().observe(&transient(2), at(1), &policy());
    assert_eq!((two.state, none), (ChannelState::Active, None));
    let (three, change) = two.observe(&transient(1), at(2), &policy());
    assert_eq!(change, Some(Transition::BackingOff));
    assert_eq!(three.state, ChannelState::BackingOff);
    assert_eq!(three.until, Some(at(12)), "the first wait");
    assert!(three.holds_back(at(11)) && !three.holds_back(at(12)));
    assert!(three.reason.as_deref().unwrap_or_default().contains("503"));
    // A failure after the wait makes the next one longer.
    let (again, change) = three.observe(&transient(1), at(13), &policy());
    assert_eq!((again.state, change), (ChannelState::BackingOff, None));
    assert_eq!(again.until, Some(at(13 + 20)));
    let (ok, change) = again.observe(&delivered(), at(40), &policy());
    assert_eq!(change, Some(Transition::Recovered));
    assert_eq!(
        (ok.state, ok.failures, ok.last_success),
        (ChannelState::Active, 0, Some(at(40)))
    );
}

#[test]
fn a_success_between_failures_starts_the_count_again() {
    let (two, _) = fresh().observe(&transient(2), at(1), &policy());
    let (ok, _) = two.observe(&delivered(), at(2), &policy());
    let (after, change) = ok.observe(&transient(2), at(3), &policy());
    assert_eq!(
        (after.state, after.failures, change),
        (ChannelState::Active, 2, None)
    );
}

#[test]
fn refused_credentials_pause_and_a_probe_that_works_resumes() {
    let (paused, change) = fresh().observe(&refused(), at(5), &policy());
    assert_eq!(change, Some(Transition::Paused));
    assert_eq!(
        (paused.state, paused.paused_by, paused.since),
        (ChannelState::Paused, Some(PausedBy::Credentials), at(5))
    );
    assert!(
        paused.holds_back(at(1_000)),
        "paused holds back until it resumes"
    );
    assert!(!paused.probe_due(at(34)) && paused.probe_due(at(35)));
    // The probe is refused again: still paused, the next probe later, no new transition.
    let (still, change) = paused.observe(&refused(), at(36), &policy());
    assert_eq!(
        (still.state, still.since, change),
        (ChannelState::Paused, at(5), None)
    );
    assert_eq!(still.until, Some(at(66)));
    let (resumed, change) = still.observe(&delivered(), at(70), &policy());
    assert_eq!(change, Some(Transition::Resumed));
    assert_eq!(
        (resumed.state, resumed.reason),
        (ChannelState::Active, None)
    );
}

#[test]
fn an_operator_pause_holds_until_an_operator_resumes() {
    let paused = fresh().paused_by_operator("maintenance at the marketplace", at(1));
    assert!(
        !paused.probe_due(at(10_000)),
        "no probes for an operator's pause"
    );
    let (after_success, change) = paused.observe(&delivered(), at(2), &policy());
    assert_eq!((after_success.state, change), (ChannelState::Paused, None));
    assert_eq!(after_success.last_success, Some(at(2)));
    let (after_refusal, change) = paused.observe(&refused(), at(3), &policy());
    assert_eq!(
        (after_refusal.paused_by, change),
        (Some(PausedBy::Operator), None)
    );
    let resumed = after_refusal.resumed(at(4));
    assert_eq!(
        (resumed.state, resumed.since),
        (ChannelState::Active, at(4))
    );
}

#[test]
fn waits_double_up_to_the_cap_and_names_round_trip() {
    let policy = policy();
    let waits: Vec<u64> = (0..5).map(|n| policy.wait(n).as_secs()).collect();
    assert_eq!(waits, [10, 20, 40, 60, 60]);
    for state in ChannelState::ALL {
        assert_eq!(ChannelState::parse(state.as_str()), Ok(state));
    }
    for by in [PausedBy::Credentials, PausedBy::Operator] {
        assert_eq!(PausedBy::parse(by.as_str()), Ok(by));
    }
    assert!(ChannelState::parse("down").is_err());
}
