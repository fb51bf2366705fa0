//! The fulfillment phase: one fulfillment per stored order through the warehouse API against
//! the service's use case run in process over the same store.

use anyhow::{Context, Result, bail, ensure};
use orderbridge_domain::order::{Fulfilled, FulfillmentRequest};
use orderbridge_domain::values::{Carrier, Quantity, Sku, TrackingNumber, TrackingUrl};
use orderbridge_sandbox::GeneratedOrder;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::json;

use crate::phases::{BoxedFuture, Harness, Job, Stored, WAREHOUSE_KEY};

impl Harness {
    /// The baseline of fulfillment: the service's use case in process, over the same store.
    pub(super) fn fulfil_baseline(&self, orders: Vec<Stored>) -> Result<Vec<Job>> {
        orders
            .iter()
            .map(|stored| {
                let id = stored.id;
                let request = fulfillment_request(&stored.order)?;
                let service = self.service.clone();
                Ok(Box::new(move || {
                    Box::pin(async move {
                        let recorded = service
                            .record_fulfillment(id, &request)
                            .await
                            .with_context(|| format!("baseline fulfillment of order {id}"))?;
                        ensure!(
                            matches!(recorded.outcome, Fulfilled::Created(_)),
                            "baseline fulfillment of order {id} was a replay"
                        );
                        Ok(())
                    }) as BoxedFuture
                }) as Job)
            })
            .collect()
    }

    /// Fulfillments through the warehouse API.
    pub(super) fn fulfil_service(&self, base_url: &str, orders: Vec<Stored>) -> Vec<Job> {
        orders
            .iter()
            .map(|stored| {
                let body = fulfillment_json(&stored.order).to_string().into_bytes();
                let url = format!("{base_url}/v1/orders/{}/fulfillments", stored.id);
                let http = self.http.clone();
                Box::new(move || {
                    Box::pin(async move { post_fulfillment(&http, &url, body).await })
                        as BoxedFuture
                }) as Job
            })
            .collect()
    }
}

/// POSTs one fulfillment to the warehouse API at `url`; anything but a 201 is an error.
pub(super) async fn post_fulfillment(
    http: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> Result<()> {
    let response = http
        .post(url)
        .header(AUTHORIZATION, format!("Bearer {WAREHOUSE_KEY}"))
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.as_u16() != 201 {
        bail!("POST {url} answered {status}: {text}");
    }
    Ok(())
}

/// Every unit of the order, by SKU in the order SKUs first appear.
fn units_by_sku(order: &GeneratedOrder) -> Vec<(String, u32)> {
    let mut units: Vec<(String, u32)> = Vec::new();
    for (sku, quantity) in &order.lines {
        match units.iter_mut().find(|(known, _)| known == sku) {
            Some((_, total)) => *total += quantity,
            None => units.push((sku.clone(), *quantity)),
        }
    }
    units
}

pub(super) fn tracking_number(order: &GeneratedOrder) -> String {
    format!("1ZBENCH{}", order.id)
}

fn tracking_url(order: &GeneratedOrder) -> String {
    format!("https://track.example.com/{}", tracking_number(order))
}

/// The warehouse API body shipping the whole order in one package.
pub(super) fn fulfillment_json(order: &GeneratedOrder) -> serde_json::Value {
    let lines: Vec<serde_json::Value> = units_by_sku(order)
        .into_iter()
        .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity}))
        .collect();
    json!({
        "tracking_number": tracking_number(order),
        "carrier": "UPS",
        "tracking_url": tracking_url(order),
        "line_items": lines,
    })
}

/// The same as a domain request.
fn fulfillment_request(order: &GeneratedOrder) -> Result<FulfillmentRequest> {
    let lines = units_by_sku(order)
        .into_iter()
        .map(|(sku, quantity)| Ok((Sku::parse(&sku)?, Quantity::new(quantity)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(FulfillmentRequest {
        tracking_number: TrackingNumber::parse(&tracking_number(order))?,
        carrier: Some(Carrier::parse("UPS")?),
        tracking_url: Some(TrackingUrl::parse(&tracking_url(order))?),
        lines,
        shipped_at: None,
    })
}

#[cfg(test)]
mod tests {
    use orderbridge_sandbox::AdmOrderGenerator;

    use super::{fulfillment_json, fulfillment_request, units_by_sku};

    #[test]
    fn a_fulfillment_ships_every_unit_once_per_sku() -> anyhow::Result<()> {
        for order in AdmOrderGenerator::new(1).take(200) {
            let units = units_by_sku(&order);
            let total: u32 = units.iter().map(|(_, q)| q).sum();
            let ordered: u32 = order.lines.iter().map(|(_, q)| q).sum();
            assert_eq!(total, ordered);
            let request = fulfillment_request(&order)?;
            assert_eq!(request.lines.len(), units.len());
            let body = fulfillment_json(&order);
            assert_eq!(
                body["line_items"].as_array().map(Vec::len),
                Some(units.len())
            );
        }
        Ok(())
    }
}
