//! The group commit's batch sizes, read from the service's `/metrics` (the summary
//! `orderbridge_order_insert_batch_size`): how many orders each insert transaction held.

use anyhow::{Context, Result};

use crate::phases::Harness;
use crate::report::Batches;

/// The summary's name.
const METRIC: &str = "orderbridge_order_insert_batch_size";

impl Harness {
    /// The batch sizes the service at `base_url` has committed since it started.
    pub async fn batches(&self, base_url: &str) -> Result<Batches> {
        let text = self
            .http
            .get(format!("{base_url}/metrics"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .context("GET /metrics")?
            .text()
            .await?;
        Ok(parse(&text))
    }
}

/// The summary's count, sum and quantiles in Prometheus text (zeros when absent).
fn parse(text: &str) -> Batches {
    let mut batches = Batches::default();
    for line in text.lines().filter(|l| l.starts_with(METRIC)) {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        match name.strip_prefix(METRIC).unwrap_or_default() {
            "_count" => batches.count = value as u64,
            "_sum" => batches.orders = value as u64,
            "{quantile=\"0.5\"}" => batches.p50 = value,
            "{quantile=\"0.99\"}" => batches.p99 = value,
            "{quantile=\"1\"}" => batches.max = value,
            _ => {}
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn the_summary_is_read_from_prometheus_text() {
        let text = "# TYPE orderbridge_order_insert_batch_size summary\n\
            orderbridge_order_insert_batch_size{quantile=\"0\"} 1\n\
            orderbridge_order_insert_batch_size{quantile=\"0.5\"} 3\n\
            orderbridge_order_insert_batch_size{quantile=\"0.99\"} 11\n\
            orderbridge_order_insert_batch_size{quantile=\"1\"} 14\n\
            orderbridge_order_insert_batch_size_sum 1200\n\
            orderbridge_order_insert_batch_size_count 400\n\
            orderbridge_other_total 9\n";
        let batches = parse(text);
        assert_eq!((batches.count, batches.orders), (400, 1200));
        assert_eq!((batches.p50, batches.p99, batches.max), (3.0, 11.0, 14.0));
        assert!((batches.mean() - 3.0).abs() < 1e-9);
        assert_eq!(parse("").count, 0);
    }
}
