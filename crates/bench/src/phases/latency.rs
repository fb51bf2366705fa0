//! The latency phase: webhooks started at a fixed rate (half the measured ingest rate) in an
//! open loop, each timed from when it was due; and the load curve, the same at several rates
//! around the measured ingest rate.

use anyhow::Result;
use orderbridge_sandbox::GeneratedOrder;

use crate::load::open_loop;
use crate::phases::Harness;
use crate::phases::ingest::post_webhook_or_shed;
use crate::report::Latency;

/// The load curve's offered rates, as shares of the measured ingest rate.
const CURVE: [f64; 5] = [0.25, 0.5, 0.75, 1.0, 1.25];

impl Harness {
    /// Webhooks at `rate` per second for the plan's latency time.
    pub async fn latency(&mut self, base_url: &str, rate: f64) -> Result<Latency> {
        let secs = self.plan.latency_secs;
        self.open_loop_run(base_url, rate, secs).await
    }

    /// Throughput and latency against offered load: webhooks at each share of
    /// `ingest_rate` in [`CURVE`], a quarter of the plan's latency time each (2 s at least).
    pub async fn load_curve(&mut self, base_url: &str, ingest_rate: f64) -> Result<Vec<Latency>> {
        let secs = (self.plan.latency_secs / 4.0).max(2.0);
        let mut points = Vec::with_capacity(CURVE.len());
        for share in CURVE {
            let point = self
                .open_loop_run(base_url, ingest_rate * share, secs)
                .await?;
            eprintln!(
                "    load curve: offered {:.0}/s, stored {:.0}/s, shed {}, p99 {:.1} ms",
                point.target_rate, point.achieved_rate, point.shed, point.p99_ms
            );
            points.push(point);
        }
        Ok(points)
    }

    /// Webhooks at `rate` per second for `secs` seconds.
    async fn open_loop_run(&mut self, base_url: &str, rate: f64, secs: f64) -> Result<Latency> {
        let count = (rate * secs).ceil().max(1.0) as usize;
        let bodies: Vec<Vec<u8>> = self
            .orders(count)
            .iter()
            .map(GeneratedOrder::body)
            .collect();
        let url = format!("{base_url}/webhooks/adm/orders");
        let http = self.http.clone();
        let run = open_loop(bodies, rate, self.plan.max_in_flight, move |body| {
            post_webhook_or_shed(http.clone(), url.clone(), body)
        })
        .await?;
        Ok(Latency::from_run(rate, &run))
    }
}
