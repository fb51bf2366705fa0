//! The measurements: each phase drives the real service and then its baseline with the same
//! work, and returns both figures. What the phases share is here (the harness, the service
//! processes, measuring a pair in alternating slices); each phase has its file: `ingest`,
//! `fulfillment` (both run by [`Harness::throughputs`]), `latency`, `delivery` and `console`.

mod batches;
mod console;
mod delivery;
mod freshness;
mod fulfillment;
mod ingest;
mod latency;
mod slow;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::Utc;
use orderbridge_adm::webhook::WebhookSettings;
use orderbridge_adm::{AdmClient, AdmConfig, Secret};
use orderbridge_domain::order::Order;
use orderbridge_domain::outbox::NewDelivery;
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::marketplace::{Capabilities, Marketplace};
use orderbridge_domain::ports::store::{OrderStore, Store};
use orderbridge_domain::services::{Channels, OrderService, ServiceConfig};
use orderbridge_domain::values::{ChannelId, Currency, OrderId};
use orderbridge_sandbox::{AdmOrderGenerator, AdmSandbox, AdmSandboxConfig, GeneratedOrder};

use crate::db::{Db, StoreKind};
use crate::load::{Run, closed_loop, closed_loop_within};
use crate::report::{Compared, Figure, Plan, Throughputs};
use crate::service::Service;

/// The key ADM presents on the webhook.
const WEBHOOK_KEY: &str = "bench-adm-webhook-key";
/// The key orderbridge presents to the sandbox ADM.
const ADM_KEY: &str = "bench-adm-api-key";
/// The warehouse's key.
pub(crate) const WAREHOUSE_KEY: &str = "bench-warehouse-key";
/// ADM's channel id (the service's default).
const CHANNEL: &str = "adm";
/// Seed of the generated orders: the service's and the baseline's orders have the same shapes.
const SEED: u64 = 8;

/// What the phases share.
#[derive(Debug)]
pub struct Harness {
    plan: Plan,
    http: reqwest::Client,
    adm: AdmSandbox,
    /// The database, with the bench's queries of it.
    db: Db,
    /// The baselines' store and service, as the service wires them.
    store: Arc<dyn Store>,
    service: OrderService,
    caps: Capabilities,
    settings: WebhookSettings,
    binary: PathBuf,
    log_dir: PathBuf,
    /// The next external order id to hand out.
    next_id: u64,
    /// Peak RSS of each service process, by name.
    pub rss: Vec<(String, u64)>,
}

/// An order the service stored, ready for a fulfillment.
#[derive(Debug, Clone)]
struct Stored {
    order: GeneratedOrder,
    id: OrderId,
}

impl Harness {
    /// Creates the database on the store of `kind`, starts the sandbox ADM and connects the
    /// baselines.
    pub async fn new(
        plan: Plan,
        kind: StoreKind,
        admin_url: &str,
        binary: PathBuf,
        log_dir: PathBuf,
    ) -> Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .http1_only()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(plan.max_in_flight)
            .timeout(Duration::from_secs(60))
            .build()
            .context("building the HTTP client")?;
        let db = Db::create(kind, admin_url, &log_dir, plan.pool).await?;
        eprintln!("    {} database {} created", kind.name(), db.name());
        let adm = AdmSandbox::start(
            AdmSandboxConfig::new(ADM_KEY).with_keep_records(
                (plan.operations + plan.warmup)
                    .saturating_mul(4)
                    .max(AdmSandboxConfig::DEFAULT_KEEP_RECORDS),
            ),
        )
        .await
        .context("starting the sandbox ADM")?;
        let client = AdmClient::new(AdmConfig::new(adm.base_url(), Secret::new(ADM_KEY)))
            .context("an ADM client for the sandbox")?;
        let caps = client.capabilities();
        let channel = ChannelId::parse(CHANNEL)?;
        let store = db.store();
        let service = OrderService::new(
            store.clone() as Arc<dyn OrderStore>,
            Channels::new().with(channel.clone(), caps),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
            ServiceConfig::default(),
        );
        Ok(Self {
            plan,
            http,
            adm,
            db,
            store,
            service,
            caps,
            settings: WebhookSettings {
                channel,
                currency: Currency::parse("USD")?,
            },
            binary,
            log_dir,
            next_id: 500_000_000_000,
            rss: Vec::new(),
        })
    }

    /// Drops the database and stops the sandbox.
    pub async fn finish(self) -> Result<()> {
        self.adm.shutdown().await;
        drop(self.store);
        drop(self.service);
        self.db.finish().await
    }

    /// The bench database's name.
    pub fn database_name(&self) -> String {
        self.db.name()
    }

    /// Orders stored now.
    pub async fn order_count(&self) -> Result<i64> {
        self.db.order_count().await
    }

    /// Bulk-loads the plan's orders; returns the seconds it took.
    pub async fn bulk_load(&self) -> Result<f64> {
        let started = Instant::now();
        let total = self
            .db
            .bulk_load(self.plan.bulk_orders, Utc::now().timestamp_millis())
            .await?;
        eprintln!(
            "    {} orders stored in all after {:.1} s",
            total,
            started.elapsed().as_secs_f64()
        );
        Ok(started.elapsed().as_secs_f64())
    }

    fn service_env(&self, dormant_dispatcher: bool, concurrency: usize) -> Vec<(String, String)> {
        let mut env = self.db.service_env();
        env.extend([
            (
                "ORDERBRIDGE_DATABASE_MAX_CONNECTIONS",
                self.plan.pool.to_string(),
            ),
            ("ORDERBRIDGE_LOG_FORMAT", "json".to_owned()),
            ("ORDERBRIDGE_WAREHOUSE_API_KEYS", WAREHOUSE_KEY.to_owned()),
            ("ORDERBRIDGE_ADM_WEBHOOK_KEYS", WEBHOOK_KEY.to_owned()),
            ("ORDERBRIDGE_ADM_BASE_URL", self.adm.base_url()),
            ("ORDERBRIDGE_ADM_API_KEY", ADM_KEY.to_owned()),
            ("ORDERBRIDGE_DISPATCH_CONCURRENCY", concurrency.to_string()),
        ]);
        if dormant_dispatcher {
            // The recording phases measure recording only: deliveries wait in the outbox.
            env.push(("ORDERBRIDGE_DISPATCH_ENABLED", "false".to_owned()));
        }
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// Starts a service process named `name`.
    pub async fn start_service(&self, name: &str, dormant_dispatcher: bool) -> Result<Service> {
        self.start_service_with(name, dormant_dispatcher, self.plan.dispatch_concurrency)
            .await
    }

    /// Starts a service process named `name` whose dispatcher sends `concurrency` at once.
    async fn start_service_with(
        &self,
        name: &str,
        dormant_dispatcher: bool,
        concurrency: usize,
    ) -> Result<Service> {
        Service::start(
            name,
            &self.binary,
            &self.service_env(dormant_dispatcher, concurrency),
            &self.log_dir,
            &self.http,
        )
        .await
    }

    /// Notes the service's peak RSS and stops it.
    pub async fn stop_service(&mut self, name: &str, service: Service) -> Result<()> {
        let rss = service.peak_rss()?;
        self.rss.push((name.to_owned(), rss));
        service.stop().await
    }

    /// `count` new orders with the bench's seed, so that every batch has the same shapes.
    fn orders(&mut self, count: usize) -> Vec<GeneratedOrder> {
        let first = self.next_id;
        self.next_id += u64::try_from(count).unwrap_or(u64::MAX) + 1_000;
        AdmOrderGenerator::new(SEED)
            .starting_at(first)
            .take(count)
            .collect()
    }

    fn split<T>(&self, mut items: Vec<T>) -> (Vec<T>, Vec<T>) {
        let rest = items.split_off(self.plan.warmup.min(items.len()));
        (items, rest)
    }

    /// Runs the warm-up jobs of both sides, then measures the rest in [`SLICES`] alternating
    /// slices (baseline, service, baseline, ...), `concurrency` at a time, so that work
    /// elsewhere on the machine that comes and goes weighs on both sides alike. A slice stops
    /// starting operations after the plan's `slice_secs`.
    async fn measure_pair(&self, service: Vec<Job>, baseline: Vec<Job>) -> Result<(Run, Run)> {
        let concurrency = self.plan.concurrency;
        let (service_warmup, service) = self.split(service);
        let (baseline_warmup, baseline) = self.split(baseline);
        closed_loop(baseline_warmup, concurrency, run_job).await?;
        closed_loop(service_warmup, concurrency, run_job).await?;
        let mut service_runs = Vec::new();
        let mut baseline_runs = Vec::new();
        let limit = Some(Duration::from_secs_f64(self.plan.slice_secs));
        for (service, baseline) in slices(service).into_iter().zip(slices(baseline)) {
            baseline_runs.push(closed_loop_within(baseline, concurrency, limit, run_job).await?);
            service_runs.push(closed_loop_within(service, concurrency, limit, run_job).await?);
        }
        Ok((Run::merge(service_runs), Run::merge(baseline_runs)))
    }

    /// Ingest and fulfillment, service and baselines, on the database as it is.
    pub async fn throughputs(&mut self, base_url: &str) -> Result<Throughputs> {
        let orders_stored = self.order_count().await?;
        let count = self.plan.warmup + self.plan.operations;

        let baseline_orders = self.orders(count);
        let service_orders = self.orders(count);
        eprintln!(
            "    ingest: service (POST /webhooks/adm/orders) and baseline (the store's insert) ..."
        );
        let (baseline_jobs, baseline_stored) = self.ingest_baseline(&baseline_orders)?;
        let service_jobs = self.ingest_service(base_url, &service_orders);
        let (service_run, baseline_run) = self.measure_pair(service_jobs, baseline_jobs).await?;
        let ingest = Compared {
            service: Figure::from(&service_run),
            baseline: Figure::from(&baseline_run),
        };
        eprintln!(
            "    ingest: service {:.0}/s, baseline {:.0}/s, ratio {:.2}",
            ingest.service.rate,
            ingest.baseline.rate,
            ingest.ratio()
        );

        let service_stored = self.stored(service_orders).await?;
        eprintln!(
            "    fulfillment: service (POST /v1/orders/{{id}}/fulfillments) and baseline \
             (OrderService over the store) ..."
        );
        let baseline_jobs = self.fulfil_baseline(baseline_stored)?;
        let service_jobs = self.fulfil_service(base_url, service_stored);
        let (service_run, baseline_run) = self.measure_pair(service_jobs, baseline_jobs).await?;
        let fulfillment = Compared {
            service: Figure::from(&service_run),
            baseline: Figure::from(&baseline_run),
        };
        eprintln!(
            "    fulfillment: service {:.0}/s, baseline {:.0}/s, ratio {:.2}",
            fulfillment.service.rate,
            fulfillment.baseline.rate,
            fulfillment.ratio()
        );
        Ok(Throughputs {
            orders_stored,
            ingest,
            fulfillment,
        })
    }
}

impl Harness {
    /// `orders` the service stored, with the ids it gave them.
    async fn stored(&self, orders: Vec<GeneratedOrder>) -> Result<Vec<Stored>> {
        let external: Vec<String> = orders.iter().map(|o| o.id.clone()).collect();
        let ids = self.db.order_ids(CHANNEL, &external).await?;
        Ok(orders
            .into_iter()
            .zip(ids)
            .map(|(order, id)| Stored {
                order,
                id: OrderId::from_uuid(id),
            })
            .collect())
    }
}

/// The slices each side's measured operations are cut into, run in turn with the other side's.
const SLICES: usize = 4;

type BoxedFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// One operation, prepared ahead: calling it starts the request.
type Job = Box<dyn FnOnce() -> BoxedFuture + Send>;

async fn run_job(job: Job) -> Result<()> {
    job().await
}

/// The ingest baseline's insert: the store's own, as the service calls it (here, where the
/// store's trait is in scope).
async fn insert_order(store: &dyn Store, order: &Order, rows: &[NewDelivery]) -> Result<()> {
    store
        .insert(order, rows)
        .await
        .with_context(|| format!("baseline insert of order {}", order.id()))?;
    Ok(())
}

/// `items` cut into [`SLICES`] runs of (nearly) equal length, in order.
fn slices<T>(items: Vec<T>) -> Vec<Vec<T>> {
    let size = items.len().div_ceil(SLICES).max(1);
    let mut out: Vec<Vec<T>> = (0..SLICES).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        if let Some(slice) = out.get_mut(i / size) {
            slice.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{SLICES, slices};

    #[test]
    fn work_is_cut_into_slices_in_order() {
        let cut = slices((0..10).collect::<Vec<u32>>());
        assert_eq!(cut.len(), SLICES);
        assert_eq!(cut.concat(), (0..10).collect::<Vec<u32>>());
        assert!(cut.iter().all(|slice| slice.len() <= 3));
    }
}
