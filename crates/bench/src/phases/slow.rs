//! The slow-marketplace phase (issue 17): real marketplaces answer in tens of milliseconds, so
//! the sandbox ADM holds every request 50 ms, and the dispatcher of a fresh service sends at
//! concurrency 8, 32 and 128 against a bare client at the same concurrency, each on the same
//! number of deliveries (fulfillments delivered earlier, put back in the queue).

use std::time::Duration;

use anyhow::{Result, ensure};

use crate::phases::Harness;
use crate::report::SlowPoint;

/// How long the sandbox ADM holds each request.
pub const MARKETPLACE_LATENCY: Duration = Duration::from_millis(50);

/// The concurrencies compared.
pub const CONCURRENCIES: [usize; 3] = [8, 32, 128];

/// Deliveries per run, per unit of concurrency: each send slot makes this many calls (a
/// quarter of it in a quick run).
const CALLS_PER_SLOT: usize = 40;

impl Harness {
    /// The dispatcher against a bare client at each of [`CONCURRENCIES`], with the sandbox
    /// answering after [`MARKETPLACE_LATENCY`].
    pub async fn slow_marketplace(&mut self) -> Result<Vec<SlowPoint>> {
        let mut points = Vec::new();
        for concurrency in CONCURRENCIES {
            let per_slot = if self.plan.quick {
                CALLS_PER_SLOT / 4
            } else {
                CALLS_PER_SLOT
            };
            let deliveries = concurrency * per_slot;
            let requeued = self.db.requeue_delivered(deliveries).await?;
            ensure!(
                requeued == deliveries as u64,
                "only {requeued} delivered fulfillments to send again, {deliveries} wanted"
            );
            eprintln!(
                "    slow marketplace: concurrency {concurrency}, {deliveries} deliveries, {} ms each ...",
                MARKETPLACE_LATENCY.as_millis()
            );
            let name = format!("slow-{concurrency}");
            let (dispatcher, _, accepted) = self
                .dispatcher_run(&name, concurrency, deliveries, Some(MARKETPLACE_LATENCY))
                .await?;
            let bodies = accepted.into_iter().map(|f| f.body).collect();
            let (bare, _) = self
                .bare_client_run(bodies, concurrency, Some(MARKETPLACE_LATENCY))
                .await?;
            eprintln!(
                "    slow marketplace: concurrency {concurrency}: dispatcher {:.0}/s, bare client {:.0}/s",
                dispatcher.rate, bare.rate
            );
            points.push(SlowPoint {
                concurrency,
                deliveries,
                dispatcher,
                bare,
            });
        }
        self.adm.reset();
        Ok(points)
    }
}
