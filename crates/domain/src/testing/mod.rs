//! Test support shared with other crates (feature `testing`): a controllable clock, sequential
//! ids, an in-memory `OrderStore` and order fixtures.

mod fixtures;
mod memory;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

pub use fixtures::{adm_capabilities, feedamp_capabilities, new_order, test_channels};
pub use memory::MemoryStore;

use crate::ports::clock::{Clock, IdGenerator};

/// A clock that moves only when told.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock standing at `start`.
    #[must_use]
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    /// A clock standing at 2024-04-30T12:00:00Z.
    #[must_use]
    pub fn fixed() -> Self {
        Self::new(DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap_or_default())
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: TimeDelta) {
        if let Ok(mut now) = self.0.lock() {
            *now += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|now| *now).unwrap_or_default()
    }
}

/// Ids 1, 2, 3, … as UUIDs: predictable and increasing.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn next_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.0.fetch_add(1, Ordering::Relaxed) + 1))
    }
}
