//! The dispatcher loop's leases: a token per claim, the tokens still holding rows this process
//! has not recorded (given back at shutdown), and the keeper that renews a row's lease while
//! it is sent and cuts the send off before the lease could run out unrenewed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use orderbridge_domain::services::{Dispatcher, Ready};
use tokio::time::Instant;
use uuid::Uuid;

/// The claim tokens holding rows that are claimed and not yet recorded, with how many.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens(Arc<Mutex<HashMap<Uuid, usize>>>);

impl Tokens {
    /// Counts the rows of a claim.
    pub(crate) fn hold(&self, rows: &[Ready]) {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for row in rows {
            *held.entry(row.claimed.lease.token).or_default() += 1;
        }
    }

    /// One row of `token`'s claim is recorded (or left to run out): a token whose rows are
    /// all done is forgotten.
    pub(crate) fn done(&self, token: Uuid) {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&token) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&token);
            }
        }
    }

    /// The tokens still holding rows: those sent but not recorded, and those queued but not
    /// sent.
    pub(crate) fn live(&self) -> Vec<Uuid> {
        let held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        held.keys().copied().collect()
    }
}

/// How long before its lease could run out unrenewed a send is cut off.
fn margin(length: Duration) -> Duration {
    length / 10
}

/// Keeps `row`'s lease while it is sent: renews it every third of the lease (by the store's
/// clock, which decides when leases run out), retries a failed renewal within a second, and
/// ends, saying why, only when the lease is lost or would run out unrenewed within a tenth
/// of its length. Counted from when the claim was asked for, on this process's monotonic
/// clock, so that the lease this process counts on never outlasts the store's.
pub(crate) async fn keep(dispatcher: Dispatcher, row: Ready) -> String {
    let length = dispatcher.lease_length();
    let every = length / 3;
    let margin = margin(length);
    let mut held_until = Instant::from_std(row.claimed_at) + length;
    let mut next = Instant::from_std(row.claimed_at) + every;
    loop {
        let cut_at = held_until.checked_sub(margin).unwrap_or(held_until);
        tokio::time::sleep_until(next.min(cut_at)).await;
        if Instant::now() >= cut_at {
            return format!(
                "its lease could not be renewed (the database did not answer) and would have run out within {} ms",
                margin.as_millis()
            );
        }
        let asked = Instant::now();
        match tokio::time::timeout_at(cut_at, dispatcher.renew(&row.claimed.lease)).await {
            Ok(Ok(Some(_))) => {
                held_until = asked + length;
                next = asked + every;
            }
            Ok(Ok(None)) => {
                return "its lease was lost: the row was claimed by another worker".to_owned();
            }
            Ok(Err(error)) => {
                tracing::warn!(delivery_id = %row.claimed.delivery.id, error = %error, "could not renew a delivery's lease while it is sent; trying again");
                next = Instant::now() + every.min(Duration::from_secs(1));
            }
            // The next turn of the loop finds the cut-off time passed.
            Err(_) => {}
        }
    }
}

#[cfg(test)]
#[path = "leases_tests.rs"]
mod tests;
