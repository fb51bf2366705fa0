//! The freshness phase: how soon the marketplace hears of a shipment. A fresh service with its
//! dispatcher running (and its outbox empty) takes fulfillments through the warehouse API, first
//! one at a time on an otherwise idle service, then at half the measured fulfillment rate; each
//! is timed from the warehouse's 201 to the sandbox ADM's receipt of it, matched by tracking
//! number (one clock: the sandbox runs in this process).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

use crate::load::{Answer, Latencies, open_loop};
use crate::phases::fulfillment::{fulfillment_json, post_fulfillment, tracking_number};
use crate::phases::{Harness, Stored};
use crate::report::{Freshness, Spread};

/// The pause between two fulfillments of the idle part: the dispatcher is idle again well
/// before the next one.
const IDLE_GAP: Duration = Duration::from_millis(100);

/// When each fulfillment got its 201, by tracking number.
type Answered = std::sync::Arc<Mutex<HashMap<String, DateTime<Utc>>>>;

impl Harness {
    /// Freshness on an idle service and at `loaded_rate` fulfillments a second.
    pub async fn freshness(&mut self, loaded_rate: f64) -> Result<Freshness> {
        let idle_count = self.plan.freshness_idle;
        let loaded_count = ((loaded_rate * self.plan.latency_secs).ceil() as usize).max(1);
        self.adm.reset();
        let service = self.start_service("freshness", false).await?;
        let base_url = service.base_url();
        let orders = self
            .stored_orders(&base_url, idle_count + loaded_count)
            .await?;
        let (idle_orders, loaded_orders) = orders.split_at(idle_count.min(orders.len()));

        eprintln!("    freshness: {idle_count} fulfillments one at a time ...");
        let answered: Answered = Answered::default();
        for stored in idle_orders {
            fulfil(self.http.clone(), &base_url, stored, answered.clone()).await?;
            tokio::time::sleep(IDLE_GAP).await;
        }
        let idle = self.spread(&answered, idle_orders).await?;

        eprintln!("    freshness: {loaded_count} fulfillments at {loaded_rate:.0}/s ...");
        let answered: Answered = Answered::default();
        let (http, url, seen) = (self.http.clone(), base_url.clone(), answered.clone());
        open_loop(
            loaded_orders.to_vec(),
            loaded_rate,
            self.plan.max_in_flight,
            move |stored| {
                let (http, url, seen) = (http.clone(), url.clone(), seen.clone());
                async move {
                    fulfil(http, &url, &stored, seen).await?;
                    Ok(Answer::Done)
                }
            },
        )
        .await?;
        let loaded = self.spread(&answered, loaded_orders).await?;
        self.stop_service("freshness", service).await?;
        eprintln!(
            "    freshness: p50 / p99 idle {:.1} / {:.1} ms, at {loaded_rate:.0}/s {:.1} / {:.1} ms",
            idle.p50_ms, idle.p99_ms, loaded.p50_ms, loaded.p99_ms
        );
        Ok(Freshness {
            idle,
            loaded,
            loaded_rate,
        })
    }

    /// `count` new orders sent as webhooks to the service at `base_url`, as stored.
    async fn stored_orders(&mut self, base_url: &str, count: usize) -> Result<Vec<Stored>> {
        let orders = self.orders(count);
        let url = format!("{base_url}/webhooks/adm/orders");
        for order in &orders {
            super::ingest::post_webhook(self.http.clone(), url.clone(), order.body()).await?;
        }
        self.stored(orders).await
    }

    /// Waits until the sandbox received every one of `orders`' fulfillments; from each 201 in
    /// `answered` to its receipt (0 when the dispatcher was quicker than the 201's way back).
    async fn spread(&self, answered: &Answered, orders: &[Stored]) -> Result<Spread> {
        let answered = answered.lock().await.clone();
        let patience = Duration::from_secs(30);
        let waited = tokio::time::Instant::now();
        let received = loop {
            let received: HashMap<String, DateTime<Utc>> = self
                .adm
                .accepted()
                .into_iter()
                .map(|f| (f.tracking_number, f.received_at))
                .collect();
            if orders
                .iter()
                .all(|s| received.contains_key(&tracking_number(&s.order)))
            {
                break received;
            }
            if waited.elapsed() > patience {
                bail!("the sandbox ADM did not receive every fulfillment within {patience:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let mut micros = Vec::with_capacity(orders.len());
        for stored in orders {
            let tracking = tracking_number(&stored.order);
            let (Some(at), Some(got)) = (answered.get(&tracking), received.get(&tracking)) else {
                bail!("fulfillment {tracking}: no 201 or no receipt recorded");
            };
            let micro = (*got - *at).num_microseconds().unwrap_or(i64::MAX).max(0);
            micros.push(u64::try_from(micro).unwrap_or(u64::MAX));
        }
        let latencies = Latencies::from_micros(micros);
        Ok(Spread {
            count: orders.len(),
            p50_ms: latencies.percentile_ms(50.0),
            p99_ms: latencies.percentile_ms(99.0),
            max_ms: latencies.max_ms(),
        })
    }
}

/// Records one fulfillment of `stored` through the warehouse API; notes when its 201 came.
async fn fulfil(
    http: reqwest::Client,
    base_url: &str,
    stored: &Stored,
    answered: Answered,
) -> Result<()> {
    let url = format!("{base_url}/v1/orders/{}/fulfillments", stored.id);
    let body = fulfillment_json(&stored.order).to_string().into_bytes();
    post_fulfillment(&http, &url, body).await?;
    let at = Utc::now();
    answered
        .lock()
        .await
        .insert(tracking_number(&stored.order), at);
    Ok(())
}
