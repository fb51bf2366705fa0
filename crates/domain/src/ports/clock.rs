//! Time and identity, behind traits so that services and tests control them.

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

/// The current time, always UTC.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// New unique ids. Ids should sort roughly by creation time (UUIDv7), which keeps index
/// inserts cheap and keyset pages stable.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait IdGenerator: Send + Sync + std::fmt::Debug {
    /// A new id, never returned before.
    fn next_id(&self) -> Uuid;
}

/// The system clock, truncated to whole microseconds: the precision PostgreSQL keeps, so that
/// what is stored reads back equal.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// UUIDv7 ids: time-ordered, random in their low bits.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

#[cfg(test)]
mod tests {
    use super::{IdGenerator, UuidV7Ids};

    #[test]
    fn the_system_clock_keeps_whole_microseconds() {
        use super::{Clock, SystemClock};
        use chrono::Timelike;
        assert_eq!(SystemClock.now().nanosecond() % 1_000, 0);
    }

    #[test]
    fn v7_ids_are_unique_and_increase() {
        let ids = UuidV7Ids;
        let mut last = ids.next_id();
        for _ in 0..1_000 {
            let next = ids.next_id();
            assert!(next > last, "{next} after {last}");
            last = next;
        }
    }
}
