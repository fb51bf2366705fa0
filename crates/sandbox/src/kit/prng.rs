//! A small seeded pseudo-random generator (SplitMix64): the same seed gives the same sequence
//! on every platform, which is all the fake data needs. Not for anything secret.

/// SplitMix64 (Steele, Lea and Flood), as used to seed xoshiro.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0). The modulo bias is far below what fake data
    /// could show.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low).saturating_add(1))
    }

    /// True `numerator` times in `denominator`.
    pub(crate) fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.below(denominator) < numerator
    }

    /// One of `items` ("" when there are none).
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let index = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(index).copied().unwrap_or("")
    }

    /// One of `items`, `None` when there are none (the same draw as [`SplitMix64::pick`]).
    pub(crate) fn pick_copied<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        let index = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(index).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let second: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(first, second);
        assert_ne!(SplitMix64::new(8).next_u64(), first[0]);
    }

    #[test]
    fn the_reference_output_for_seed_zero_is_reproduced() {
        // The first outputs of SplitMix64 seeded with 0, from the reference implementation.
        let mut prng = SplitMix64::new(0);
        assert_eq!(prng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(prng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn ranges_stay_within_their_bounds() {
        let mut prng = SplitMix64::new(1);
        for _ in 0..1_000 {
            let n = prng.between(3, 5);
            assert!((3..=5).contains(&n), "{n}");
            assert!(prng.below(4) < 4);
        }
        assert_eq!(prng.below(0), 0);
        assert_eq!(prng.pick(&[]), "");
    }
}
