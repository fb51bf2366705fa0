//! Recording the outcomes of sent deliveries: a batch in one commit where the store allows,
//! and, when the batch fails, each on its own, so that one row the store cannot take never
//! fails the others (design section 12). A row whose outcome is not recorded keeps its lease
//! until it runs out and is then sent again; the rows recorded are not.

use super::{Attempt, Dispatched, Dispatcher};
use crate::outbox::Delivery;
use crate::ports::store::{AttemptResult, Completion, StoreError};

/// What recording one attempt came to: what became of the delivery, or the store's failure
/// (the row is then tried again once its lease runs out).
pub type Recorded = Result<Dispatched, StoreError>;

impl Dispatcher {
    /// Records the outcomes of several attempts, in one transaction where the store allows.
    /// Returns the deliveries, in the order given, each with what became of it:
    /// [`Dispatched::LeaseLost`] for those whose lease was no longer held, or the
    /// [`StoreError`] that kept it from being recorded.
    ///
    /// When the batch as a whole fails, each completion is recorded on its own, so that only
    /// the ones the store refuses stay unrecorded. When the first two on their own fail too
    /// and none has gone in, the store is taken to be down and the rest are not tried.
    pub async fn record(&self, attempts: Vec<Attempt>) -> (Vec<Delivery>, Vec<Recorded>) {
        if attempts.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let mut deliveries = Vec::with_capacity(attempts.len());
        let mut outcomes = Vec::with_capacity(attempts.len());
        let mut completions = Vec::with_capacity(attempts.len());
        for mut attempt in attempts {
            // The deliveries returned carry this attempt's error, for the health observation.
            if let AttemptResult::Retry { error, .. } | AttemptResult::Dead { error } =
                &attempt.completion.result
            {
                attempt.delivery.last_error = Some(error.clone());
            }
            deliveries.push(attempt.delivery);
            outcomes.push(attempt.dispatched);
            completions.push(attempt.completion);
        }
        let recorded = match self.queue.complete_many(&completions).await {
            Ok(recorded) => leases_held(outcomes, recorded),
            Err(error) if completions.len() == 1 => vec![Err(error)],
            Err(error) => self.one_by_one(&completions, outcomes, &error).await,
        };
        (deliveries, recorded)
    }

    /// Records each completion in a transaction of its own, after `batch_error` failed them
    /// together.
    async fn one_by_one(
        &self,
        completions: &[Completion],
        outcomes: Vec<Dispatched>,
        batch_error: &StoreError,
    ) -> Vec<Recorded> {
        let mut recorded = Vec::with_capacity(completions.len());
        let (mut failed, mut succeeded) = (0_usize, false);
        for (completion, dispatched) in completions.iter().zip(outcomes) {
            if failed >= 2 && !succeeded {
                recorded.push(Err(StoreError::msg(format!(
                    "not recorded: the batch failed ({batch_error}) and so did each tried alone"
                ))));
                continue;
            }
            match self
                .queue
                .complete_many(std::slice::from_ref(completion))
                .await
            {
                Ok(held) => {
                    succeeded = true;
                    recorded.extend(leases_held(vec![dispatched], held));
                }
                Err(error) => {
                    failed += 1;
                    recorded.push(Err(error));
                }
            }
        }
        recorded
    }
}

/// Each outcome as recorded, or [`Dispatched::LeaseLost`] where the store answered that the
/// lease was no longer held (a store answering for fewer recorded none of the rest).
fn leases_held(outcomes: Vec<Dispatched>, held: Vec<bool>) -> Vec<Recorded> {
    let held = held.into_iter().chain(std::iter::repeat(false));
    outcomes
        .into_iter()
        .zip(held)
        .map(|(dispatched, held)| {
            Ok(if held {
                dispatched
            } else {
                Dispatched::LeaseLost
            })
        })
        .collect()
}
