//! The latency phase: webhooks started at a fixed rate (half the measured ingest rate) in an
//! open loop, each timed from when it was due.

use anyhow::Result;
use orderbridge_sandbox::GeneratedOrder;

use crate::load::open_loop;
use crate::phases::Harness;
use crate::phases::ingest::post_webhook;
use crate::report::Latency;

impl Harness {
    /// Webhooks at `rate` per second for the plan's latency time.
    pub async fn latency(&mut self, base_url: &str, rate: f64) -> Result<Latency> {
        let count = (rate * self.plan.latency_secs).ceil().max(1.0) as usize;
        let bodies: Vec<Vec<u8>> = self
            .orders(count)
            .iter()
            .map(GeneratedOrder::body)
            .collect();
        let url = format!("{base_url}/webhooks/adm/orders");
        let http = self.http.clone();
        let run = open_loop(bodies, rate, self.plan.max_in_flight, move |body| {
            post_webhook(http.clone(), url.clone(), body)
        })
        .await?;
        Ok(Latency::from_run(rate, &run))
    }
}
