//! The base of both fakes' order generators: the seeded sequence of ids and dates, and the
//! draws their orders share (units, discount and tax, a line repeating an earlier SKU, a
//! street address, an email address). Each fake keeps its own names, products and money
//! format; what is drawn here is drawn in the same order as before the generators shared it,
//! so a seed still gives the same orders.

use chrono::{DateTime, Duration as TimeDelta, TimeZone, Utc};

use crate::kit::prng::SplitMix64;

/// The domains of generated email addresses (reserved for examples).
const EMAIL_DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];

/// Ids and dates from a seed: ids are consecutive numbers from a start the seed picks among
/// `blocks` blocks of a million above `floor`, so one generator never repeats an id and two
/// seeds rarely overlap; dates start at 2025-01-01T00:00:00Z and step a few minutes.
#[derive(Debug, Clone)]
pub(crate) struct Sequence {
    pub(crate) prng: SplitMix64,
    next_id: u64,
    clock: DateTime<Utc>,
}

impl Sequence {
    pub(crate) fn new(seed: u64, floor: u64, blocks: u64) -> Self {
        let mut prng = SplitMix64::new(seed);
        let next_id = floor + prng.below(blocks) * 1_000_000;
        let clock = Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH);
        Self {
            prng,
            next_id,
            clock,
        }
    }

    /// Numbers ids from `first_id` on.
    pub(crate) fn start_at(&mut self, first_id: u64) {
        self.next_id = first_id;
    }

    /// Dates the next order at `start`.
    pub(crate) fn date_from(&mut self, start: DateTime<Utc>) {
        self.clock = start;
    }

    /// The next id and date; the clock then moves on `low..=high` seconds.
    pub(crate) fn next(&mut self, low: u64, high: u64) -> (String, DateTime<Utc>) {
        let id = self.next_id.to_string();
        self.next_id = self.next_id.wrapping_add(1);
        let at = self.clock;
        let step = i64::try_from(self.prng.between(low, high)).unwrap_or(60);
        self.clock += TimeDelta::seconds(step);
        (id, at)
    }
}

/// A line's units: 1 three times in five, else 2 to 5.
pub(crate) fn quantity(prng: &mut SplitMix64) -> u64 {
    if prng.chance(3, 5) {
        1
    } else {
        prng.between(2, 5)
    }
}

/// A line's discount (5% to 20% of `gross`, one line in `one_in`) and its 8% tax on what is
/// left, in cents.
pub(crate) fn discount_and_tax(prng: &mut SplitMix64, gross: u64, one_in: u64) -> (u64, u64) {
    let discount = if prng.chance(1, one_in) {
        gross * prng.between(5, 20) / 100
    } else {
        0
    };
    (discount, (gross - discount) * 8 / 100)
}

/// What a new line sells: after the first line, one line in four repeats one of `earlier`
/// (as seed 001's example does with ABC-123 at two prices); else one of `catalogue`.
pub(crate) fn product<T: Copy>(prng: &mut SplitMix64, earlier: &[T], catalogue: &[T]) -> Option<T> {
    if !earlier.is_empty() && prng.chance(1, 4) {
        prng.pick_copied(earlier)
    } else {
        prng.pick_copied(catalogue)
    }
}

/// A house number and one of `streets`.
pub(crate) fn street_address(prng: &mut SplitMix64, streets: &[&str]) -> String {
    format!("{} {}", prng.between(1, 9_999), prng.pick(streets))
}

/// `first.last<n>@example.*`, lower case.
pub(crate) fn email(prng: &mut SplitMix64, first: &str, last: &str) -> String {
    format!(
        "{}.{}{}@{}",
        first.to_lowercase(),
        last.to_lowercase(),
        prng.below(100),
        prng.pick(&EMAIL_DOMAINS)
    )
}
