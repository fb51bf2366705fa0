//! The fake ADM's answers recorded per `Idempotency-Key`: a Create Fulfillment request (with
//! the right API key) whose key was seen on an accepted fulfillment gets that answer again and
//! records nothing.
//!
//! Only accepted fulfillments are recorded. A refused request (a fault, the key check, the
//! media type, the body or the order check) changed nothing at ADM, so a re-send with the same
//! key is handled afresh: an operator who fixes the cause and retries the parked delivery gets
//! it through. The last `keep` keys are remembered (the oldest forgotten first), like the
//! other records.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The recorded answers of type `T`, by key.
#[derive(Debug)]
pub(crate) struct Replays<T> {
    state: Mutex<State<T>>,
    keep: usize,
}

#[derive(Debug)]
struct State<T> {
    answers: HashMap<String, T>,
    /// The keys in the order they were recorded, to forget the oldest.
    order: VecDeque<String>,
}

impl<T: Clone> Replays<T> {
    /// Remembers at most `keep` keys.
    pub(crate) fn new(keep: usize) -> Self {
        Self {
            state: Mutex::new(State {
                answers: HashMap::new(),
                order: VecDeque::new(),
            }),
            keep,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Every update leaves the map and the queue consistent before it can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer for `key`: the one recorded for it (and true), or else `handle`'s, recorded
    /// when `handle` says it should be (and false). Without a key, `handle` runs unrecorded.
    /// Requests with keys are answered one at a time, so two sent at once with the same key
    /// are handled once.
    pub(crate) fn once(&self, key: Option<&str>, handle: impl FnOnce() -> (T, bool)) -> (T, bool) {
        let Some(key) = key else {
            return (handle().0, false);
        };
        let mut state = self.lock();
        if let Some(recorded) = state.answers.get(key) {
            return (recorded.clone(), true);
        }
        let (answer, record) = handle();
        if record && self.keep > 0 {
            while state.order.len() >= self.keep {
                if let Some(oldest) = state.order.pop_front() {
                    state.answers.remove(&oldest);
                }
            }
            state.order.push_back(key.to_owned());
            state.answers.insert(key.to_owned(), answer.clone());
        }
        (answer, false)
    }

    /// Forgets every key.
    pub(crate) fn clear(&self) {
        let mut state = self.lock();
        state.answers.clear();
        state.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Replays;

    #[test]
    fn a_key_seen_before_gets_its_recorded_answer_without_handling() {
        let replays = Replays::new(10);
        assert_eq!(replays.once(Some("k"), || (1, true)), (1, false));
        assert_eq!(
            replays.once(Some("k"), || panic!("handled twice")),
            (1, true)
        );
        assert_eq!(replays.once(Some("other"), || (2, true)), (2, false));
        assert_eq!(replays.once(None, || (3, true)), (3, false));
        assert_eq!(replays.once(None, || (4, true)), (4, false));
    }

    #[test]
    fn an_answer_not_to_record_leaves_the_key_free() {
        let replays = Replays::new(10);
        assert_eq!(replays.once(Some("k"), || (1, false)), (1, false));
        assert_eq!(replays.once(Some("k"), || (2, true)), (2, false));
        assert_eq!(replays.once(Some("k"), || (3, true)), (2, true));
    }

    #[test]
    fn the_oldest_keys_are_forgotten_past_the_cap_and_clear_forgets_all() {
        let replays = Replays::new(2);
        for (n, key) in ["a", "b", "c"].into_iter().enumerate() {
            replays.once(Some(key), || (n, true));
        }
        assert_eq!(replays.once(Some("a"), || (9, true)), (9, false));
        assert_eq!(replays.once(Some("c"), || (9, true)), (2, true));
        replays.clear();
        assert_eq!(replays.once(Some("c"), || (7, true)), (7, false));
    }
}
