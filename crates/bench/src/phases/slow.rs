//! The slow-marketplace phase (issue 17): real marketplaces answer in tens of milliseconds, so
//! the sandbox ADM holds every request 50 ms, and the dispatcher of a fresh service sends at
//! concurrency 8, 32 and 128 against a bare client at the same concurrency, each on the same
//! number of deliveries (fulfillments delivered earlier, put back in the queue).

use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};

use crate::db;
use crate::phases::Harness;
use crate::phases::delivery::arrival_figure;
use crate::report::SlowPoint;
use crate::service::Service;

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
            let requeued = db::requeue_delivered(&self.pool, deliveries).await?;
            ensure!(
                requeued == deliveries as u64,
                "only {requeued} delivered fulfillments to send again, {deliveries} wanted"
            );
            eprintln!(
                "    slow marketplace: concurrency {concurrency}, {deliveries} deliveries, {} ms each ...",
                MARKETPLACE_LATENCY.as_millis()
            );
            let (dispatcher, bodies) = self.slow_dispatcher_run(concurrency, deliveries).await?;
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

    /// A fresh service at `concurrency` sends the `deliveries` queued to the slowed sandbox:
    /// its figure and the bodies the sandbox received.
    async fn slow_dispatcher_run(
        &mut self,
        concurrency: usize,
        deliveries: usize,
    ) -> Result<(crate::report::Figure, Vec<String>)> {
        self.adm.reset();
        self.adm.faults().delay_all(MARKETPLACE_LATENCY);
        let mut env = self.service_env(false);
        env.retain(|(key, _)| key != "ORDERBRIDGE_DISPATCH_CONCURRENCY");
        env.push((
            "ORDERBRIDGE_DISPATCH_CONCURRENCY".to_owned(),
            concurrency.to_string(),
        ));
        let name = format!("slow-{concurrency}");
        let service = Service::start(&name, &self.binary, &env, &self.log_dir, &self.http).await?;
        let patience = Duration::from_secs(120);
        if !self
            .adm
            .wait_for_accepted(deliveries as u64, patience)
            .await
        {
            bail!(
                "the slowed sandbox ADM accepted {} of {deliveries} deliveries within {patience:?}",
                self.adm.accepted_count()
            );
        }
        let accepted = self.adm.accepted();
        let figure = arrival_figure(&accepted);
        let drained = Instant::now();
        while db::undelivered(&self.pool).await? > 0 {
            if drained.elapsed() > Duration::from_secs(60) {
                bail!("deliveries the sandbox accepted were not marked delivered within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.stop_service(&name, service).await?;
        Ok((figure, accepted.into_iter().map(|f| f.body).collect()))
    }
}
