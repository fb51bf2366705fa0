//! The state check of a pull channel (design section 11): its orders still open are re-read at
//! the marketplace, one at a time, and what the marketplace did to them since is recorded: a
//! cancellation cancels every unit not shipped (never reported back), a hold refuses shipments
//! until a later re-read shows the order released. It runs under the channel's poll lease, so
//! that only the instance polling the channel (and holding its rate limit) calls the
//! marketplace for it.

use std::collections::HashSet;

use crate::order::{Order, OrderStatus};
use crate::ports::source::{RemoteState, SourceError, StateRead};
use crate::ports::store::{OrderQuery, StoreError};
use crate::services::{MarketplaceCancelOutcome, OrderUpdateError, UpstreamError};
use crate::values::ExternalOrderId;

use super::{PollError, Poller};

/// Open orders loaded per page; the lease is renewed between pages. At FeedAMP's 2 calls a
/// second a page takes about 25 s, well within the shortest lease (2 s is allowed, but a lease
/// is at least twice the poll interval, 120 s by default).
const STATE_PAGE: u32 = 50;

/// Passing failures ([`SourceError::Retry`]: 5xx, timeouts, refused connections) in a row
/// that end a round: one is the order's own trouble and the round goes on, several in a row
/// mean the marketplace is down, and calling it for every other order would only hold up the
/// poller.
const PASSING_FAILURES_IN_A_ROW: u32 = 3;

/// Why a state check ended before every open order was re-read. What it recorded before
/// stays recorded; the next round starts again from the first open order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundStop {
    /// Another instance took the channel's lease (ours ran out).
    LeaseLost,
    /// The channel's source cannot re-read orders.
    Unsupported,
    /// The marketplace refused the credentials, asked us to slow down, or failed several
    /// times in a row.
    Source(SourceError),
}

/// What one state check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateCheckReport {
    /// Open orders the marketplace answered for (`not_found` included).
    pub checked: u32,
    /// Of those, orders found cancelled by the marketplace, and cancelled now.
    pub cancelled: u32,
    /// Orders the marketplace holds, put on hold now.
    pub held: u32,
    /// Orders the marketplace released, released now.
    pub released: u32,
    /// Orders the marketplace does not know (its 404): nothing was changed.
    pub not_found: Vec<ExternalOrderId>,
    /// Orders whose re-read or update failed, with why (no personal data); the round went on.
    pub failed: Vec<(ExternalOrderId, String)>,
    /// Why the round ended early, if it did.
    pub stopped: Option<RoundStop>,
}

/// Whether the round goes on after an order.
enum Next {
    Go,
    Stop(RoundStop),
}

impl Poller {
    /// Re-reads every order of the channel still open (`open` or `partially_fulfilled`,
    /// oldest change first, each once) at the marketplace and records what changed: a
    /// cancellation through [`OrderService::marketplace_cancelled`], a hold or its release
    /// through [`OrderService::marketplace_hold`]; both are idempotent, so a state told again
    /// changes nothing. Returns `Ok(None)` when another instance holds the channel's lease.
    ///
    /// A re-read that fails for one order is counted in [`StateCheckReport::failed`] and the
    /// round goes on; refused credentials, a rate limit, several passing failures in a row, a
    /// source that cannot re-read, or a lost lease end the round
    /// ([`StateCheckReport::stopped`]), and the next round tries again.
    ///
    /// [`OrderService::marketplace_cancelled`]: crate::services::OrderService::marketplace_cancelled
    /// [`OrderService::marketplace_hold`]: crate::services::OrderService::marketplace_hold
    ///
    /// # Errors
    /// [`PollError::Store`] when storing fails; what was recorded before stays recorded.
    pub async fn check_states(&self) -> Result<Option<StateCheckReport>, PollError> {
        if !self.hold_lease().await? {
            return Ok(None);
        }
        let mut report = StateCheckReport::default();
        let mut seen = HashSet::new();
        let mut failures_in_a_row = 0;
        let mut query = OrderQuery {
            statuses: vec![OrderStatus::Open, OrderStatus::PartiallyFulfilled],
            channel: Some(self.source.channel().clone()),
            updated_after: None,
            on_hold: None,
            after: None,
            limit: STATE_PAGE,
        };
        loop {
            let page = self.service.orders(&query).await?;
            for order in &page.orders {
                // An order changed by this round moves to the end of the list: read it once.
                if !seen.insert(order.id()) {
                    continue;
                }
                if let Next::Stop(why) = self
                    .recheck(order, &mut report, &mut failures_in_a_row)
                    .await?
                {
                    report.stopped = Some(why);
                    return Ok(Some(report));
                }
            }
            let Some(next) = page.next else {
                return Ok(Some(report));
            };
            if !self.hold_lease().await? {
                report.stopped = Some(RoundStop::LeaseLost);
                return Ok(Some(report));
            }
            query.after = Some(next);
        }
    }

    /// Re-reads one order and records what changed.
    async fn recheck(
        &self,
        order: &Order,
        report: &mut StateCheckReport,
        failures_in_a_row: &mut u32,
    ) -> Result<Next, StoreError> {
        let external_id = order.external_id();
        let state = match self.source.order_state(external_id).await {
            Ok(StateRead::Known(state)) => state,
            Ok(StateRead::NotFound) => {
                *failures_in_a_row = 0;
                report.checked += 1;
                report.not_found.push(external_id.clone());
                return Ok(Next::Go);
            }
            Ok(StateRead::Unsupported) => return Ok(Next::Stop(RoundStop::Unsupported)),
            Err(error @ (SourceError::AuthFailed { .. } | SourceError::RateLimited { .. })) => {
                return Ok(Next::Stop(RoundStop::Source(error)));
            }
            Err(error @ SourceError::Retry { .. }) => {
                *failures_in_a_row += 1;
                report.failed.push((external_id.clone(), error.to_string()));
                if *failures_in_a_row >= PASSING_FAILURES_IN_A_ROW {
                    return Ok(Next::Stop(RoundStop::Source(error)));
                }
                return Ok(Next::Go);
            }
            Err(error @ SourceError::Rejected { .. }) => {
                report.failed.push((external_id.clone(), error.to_string()));
                return Ok(Next::Go);
            }
        };
        *failures_in_a_row = 0;
        report.checked += 1;
        if let Err(error) = self.apply(order, &state, report).await {
            match error {
                OrderUpdateError::Store(error) => return Err(error),
                // Gone meanwhile: nothing to record.
                OrderUpdateError::NotFound(_) => {}
                other => report.failed.push((external_id.clone(), other.to_string())),
            }
        }
        Ok(Next::Go)
    }

    /// Records a cancellation the marketplace made, then its hold or release.
    async fn apply(
        &self,
        order: &Order,
        state: &RemoteState,
        report: &mut StateCheckReport,
    ) -> Result<(), UpstreamError> {
        if let Some(cancel) = &state.cancelled {
            let outcome = self
                .service
                .marketplace_cancelled(order.channel(), order.external_id(), cancel)
                .await?;
            if matches!(outcome, MarketplaceCancelOutcome::Applied { .. }) {
                report.cancelled += 1;
            }
        }
        if let Some(on_hold) = state.on_hold
            && on_hold != order.on_hold()
        {
            let (changed, _) = self.service.marketplace_hold(order.id(), on_hold).await?;
            match (changed, on_hold) {
                (true, true) => report.held += 1,
                (true, false) => report.released += 1,
                (false, _) => {}
            }
        }
        Ok(())
    }
}
