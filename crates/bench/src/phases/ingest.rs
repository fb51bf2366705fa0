//! The ingest phase: ADM webhooks through the service against the storage limit, the same
//! orders stored with `Postgres::insert` in process.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use orderbridge_adm::parse_order;
use orderbridge_domain::order::Order;
use orderbridge_domain::outbox::{Change, NewDelivery, deliveries_for, waits_for};
use orderbridge_domain::ports::clock::{Clock, SystemClock};
use orderbridge_domain::values::{DeliveryId, EventId, OrderId};
use orderbridge_sandbox::GeneratedOrder;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::load::Answer;
use crate::phases::{BoxedFuture, Harness, Job, Stored, WEBHOOK_KEY, insert_order};

impl Harness {
    /// The storage limit: the same orders, parsed and built ahead of time, stored with
    /// `Postgres::insert`.
    pub(super) fn ingest_baseline(
        &self,
        orders: &[GeneratedOrder],
    ) -> Result<(Vec<Job>, Vec<Stored>)> {
        let clock = SystemClock;
        let mut jobs: Vec<Job> = Vec::with_capacity(orders.len());
        let mut stored = Vec::with_capacity(orders.len());
        for generated in orders {
            let now = clock.now();
            let new = parse_order(&generated.body(), &self.settings, now)
                .with_context(|| format!("parsing generated order {}", generated.id))?;
            let order = Order::create(
                new,
                OrderId::from_uuid(uuid::Uuid::now_v7()),
                EventId::from_uuid(uuid::Uuid::now_v7()),
                now,
            )?;
            let rows: Vec<NewDelivery> = deliveries_for(Change::Received, &order, &self.caps)
                .into_iter()
                .map(|kind| NewDelivery {
                    id: DeliveryId::from_uuid(uuid::Uuid::now_v7()),
                    order_id: order.id(),
                    channel: order.channel().clone(),
                    kind,
                    created_at: now,
                    waits_for: waits_for(kind, &order, &self.caps),
                })
                .collect();
            stored.push(Stored {
                order: generated.clone(),
                id: order.id(),
            });
            let store = Arc::clone(&self.store);
            jobs.push(Box::new(move || {
                Box::pin(async move { insert_order(store.as_ref(), &order, &rows).await })
            }));
        }
        Ok((jobs, stored))
    }

    /// Webhooks through the service.
    pub(super) fn ingest_service(&self, base_url: &str, orders: &[GeneratedOrder]) -> Vec<Job> {
        let url = format!("{base_url}/webhooks/adm/orders");
        orders
            .iter()
            .map(|order| {
                let body = order.body();
                let http = self.http.clone();
                let url = url.clone();
                Box::new(move || Box::pin(post_webhook(http, url, body)) as BoxedFuture) as Job
            })
            .collect()
    }
}

pub(super) async fn post_webhook(http: reqwest::Client, url: String, body: Vec<u8>) -> Result<()> {
    match post_webhook_or_shed(http, url, body).await? {
        Answer::Done => Ok(()),
        Answer::Shed => bail!("the service shed a webhook (503 Overloaded) in a closed loop"),
    }
}

/// Posts one webhook: [`Answer::Shed`] when the service turns it away as overloaded (its
/// load shedding, 503), an error for any other answer than 200.
pub(super) async fn post_webhook_or_shed(
    http: reqwest::Client,
    url: String,
    body: Vec<u8>,
) -> Result<Answer> {
    let response = http
        .post(&url)
        .header(AUTHORIZATION, format!("Bearer {WEBHOOK_KEY}"))
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    match status.as_u16() {
        200 => Ok(Answer::Done),
        503 if text.contains("Overloaded") => Ok(Answer::Shed),
        _ => bail!("POST {url} answered {status}: {text}"),
    }
}
