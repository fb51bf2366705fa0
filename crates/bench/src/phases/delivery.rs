//! The delivery phase: the dispatcher of a fresh service sends every pending fulfillment to the
//! sandbox ADM, then a bare client sends the very bodies it received; both are measured
//! between the sandbox's first and last arrival.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use orderbridge_sandbox::ReceivedFulfillment;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::load::{closed_loop, per_second};
use crate::phases::{ADM_KEY, Harness};
use crate::report::{Delivery, Figure};

impl Harness {
    /// The dispatcher of a fresh service against a bare client, on every pending delivery.
    pub async fn delivery(&mut self) -> Result<Delivery> {
        let pending = usize::try_from(self.db.pending().await?)?;
        ensure!(pending > 1, "no deliveries are waiting in the outbox");
        let concurrency = self.plan.dispatch_concurrency;
        let (dispatcher, dispatcher_wall, accepted) = self
            .dispatcher_run("delivery", concurrency, pending, None)
            .await?;
        eprintln!(
            "    delivery: dispatcher {:.0}/s; bare client ...",
            dispatcher.rate
        );
        let bodies: Vec<String> = accepted.into_iter().map(|f| f.body).collect();
        let (bare, bare_wall) = self.bare_client_run(bodies, concurrency, None).await?;
        eprintln!(
            "    delivery: bare client {:.0}/s, ratio {:.2}",
            bare.rate,
            if bare.rate > 0.0 {
                dispatcher.rate / bare.rate
            } else {
                0.0
            }
        );
        Ok(Delivery {
            deliveries: pending,
            concurrency,
            dispatcher,
            dispatcher_wall_secs: dispatcher_wall.as_secs_f64(),
            bare,
            bare_wall_secs: bare_wall.as_secs_f64(),
        })
    }

    /// Starts a fresh service named `name` sending `concurrency` at once (to a sandbox that
    /// holds each request `marketplace_latency`, when given) and waits until the sandbox
    /// accepted the `pending` deliveries and the outbox is drained: the dispatcher's figure,
    /// its wall time from the service's start, and what the sandbox accepted.
    pub(super) async fn dispatcher_run(
        &mut self,
        name: &str,
        concurrency: usize,
        pending: usize,
        marketplace_latency: Option<Duration>,
    ) -> Result<(Figure, Duration, Vec<ReceivedFulfillment>)> {
        self.adm.reset();
        if let Some(latency) = marketplace_latency {
            self.adm.faults().delay_all(latency);
        }
        eprintln!("    {name}: dispatcher, {pending} deliveries, concurrency {concurrency} ...");
        let started = Instant::now();
        let service = self.start_service_with(name, false, concurrency).await?;
        let patience = Duration::from_secs(60) + Duration::from_millis(pending as u64 * 20);
        if !self.adm.wait_for_accepted(pending as u64, patience).await {
            bail!(
                "the sandbox ADM accepted {} of {pending} deliveries within {patience:?}",
                self.adm.accepted_count()
            );
        }
        let dispatcher_wall = started.elapsed();
        let accepted = self.adm.accepted();
        ensure!(
            accepted.len() == pending,
            "the sandbox ADM kept {} of {pending} fulfillments",
            accepted.len()
        );
        let dispatcher = arrival_figure(&accepted);
        // The outbox is empty before the service goes.
        let drained = Instant::now();
        while self.db.undelivered().await? > 0 {
            if drained.elapsed() > Duration::from_secs(60) {
                bail!("deliveries the sandbox accepted were not marked delivered within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.stop_service(name, service).await?;
        Ok((dispatcher, dispatcher_wall, accepted))
    }

    /// A bare client sends `bodies` to the sandbox, `concurrency` at a time: its figure and
    /// its wall time from the first request to the last answer.
    pub(super) async fn bare_client_run(
        &mut self,
        bodies: Vec<String>,
        concurrency: usize,
        marketplace_latency: Option<Duration>,
    ) -> Result<(Figure, Duration)> {
        self.adm.reset();
        if let Some(latency) = marketplace_latency {
            self.adm.faults().delay_all(latency);
        }
        let url = self.adm.fulfillment_url();
        let http = self.http.clone();
        // Measured as the dispatcher is: from the sandbox's first arrival to its last.
        let bare_started = Instant::now();
        closed_loop(bodies, concurrency, move |body| {
            let http = http.clone();
            let url = url.clone();
            async move {
                let response = http
                    .post(&url)
                    .header(AUTHORIZATION, format!("Bearer {ADM_KEY}"))
                    .header(CONTENT_TYPE, "application/json")
                    .body(body)
                    .send()
                    .await
                    .context("bare client: POST to the sandbox ADM")?;
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                if status.as_u16() != 200 {
                    bail!("bare client: the sandbox ADM answered {status}: {text}");
                }
                Ok(())
            }
        })
        .await?;
        let bare_wall = bare_started.elapsed();
        Ok((arrival_figure(&self.adm.accepted()), bare_wall))
    }
}

/// Deliveries per second between the first and the last arrival at the sandbox.
fn arrival_figure(accepted: &[ReceivedFulfillment]) -> Figure {
    let first = accepted.iter().map(|f| f.received_at).min();
    let last = accepted.iter().map(|f| f.received_at).max();
    let span = match (first, last) {
        (Some(first), Some(last)) => (last - first).to_std().unwrap_or_default(),
        _ => Duration::ZERO,
    };
    let intervals = accepted.len().saturating_sub(1);
    Figure {
        count: accepted.len(),
        secs: span.as_secs_f64(),
        rate: per_second(intervals, span),
        p50_ms: 0.0,
        p99_ms: 0.0,
    }
}
