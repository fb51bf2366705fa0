//! Leases in the dispatcher loop: a slow send keeps its row (renewed, never sent twice by two
//! loops), a send whose lease cannot be renewed is cut off, and shutdown gives back the
//! leases of every claim still holding rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use orderbridge_domain::health::HealthPolicy;
use orderbridge_domain::order::Order;
use orderbridge_domain::outbox::{Delivery, DeliveryState};
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::marketplace::{Capabilities, Marketplace, Outcome};
use orderbridge_domain::ports::store::{ClaimRequest, DeliveryLog, DeliveryQuery, DeliveryQueue};
use orderbridge_domain::services::{
    Dispatcher, Marketplaces, OrderService, RetryPolicy, ServiceConfig,
};
use orderbridge_domain::testing::{MemoryStore, feedamp_capabilities, new_order, test_channels};
use orderbridge_domain::values::{ChannelId, DeliveryId};
use tokio::sync::watch;
use uuid::Uuid;

use super::Tokens;
use crate::config::DispatchConfig;
use crate::test_queue::TestQueue;
use crate::workers::dispatch_loop;

#[test]
fn a_token_lives_until_each_of_its_rows_is_done() {
    let tokens = Tokens::default();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    {
        let mut held = tokens.0.lock().unwrap();
        held.insert(a, 2);
        held.insert(b, 1);
    }
    tokens.done(a);
    let mut live = tokens.live();
    live.sort();
    let mut both = vec![a, b];
    both.sort();
    assert_eq!(live, both, "a still holds one row");
    tokens.done(a);
    tokens.done(b);
    tokens.done(b);
    assert!(tokens.live().is_empty());
}

/// Confirms after `delay` (forever for `None`), counting calls.
#[derive(Debug)]
struct Slow {
    delay: Option<Duration>,
    calls: AtomicUsize,
}

#[async_trait]
impl Marketplace for Slow {
    fn capabilities(&self) -> Capabilities {
        feedamp_capabilities()
    }
    fn call_timeout(&self) -> Duration {
        Duration::from_secs(30)
    }
    async fn confirm(&self, _order: &Order, _key: DeliveryId) -> Outcome {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.delay {
            Some(delay) => tokio::time::sleep(delay).await,
            None => std::future::pending().await,
        }
        Outcome::Delivered { remote_ref: None }
    }
}

struct Setup {
    store: Arc<MemoryStore>,
    queue: Arc<TestQueue>,
    marketplace: Arc<Slow>,
}

const LEASE: Duration = Duration::from_millis(600);

/// `orders` FeedAMP orders (one confirmation each) in a memory store.
async fn setup(orders: usize, delay: Option<Duration>, renewals_fail: bool) -> Setup {
    let store = Arc::new(MemoryStore::new());
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
        ServiceConfig::default(),
    );
    for n in 0..orders {
        let order = new_order("feedamp", &format!("L-{n}"), &[("SKU-1", 1, "5.00")]).unwrap();
        service.ingest(order).await.unwrap();
    }
    Setup {
        queue: Arc::new(TestQueue {
            renewals_fail,
            ..TestQueue::new(store.clone())
        }),
        store,
        marketplace: Arc::new(Slow {
            delay,
            calls: AtomicUsize::new(0),
        }),
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        lease: LEASE,
        ..RetryPolicy::default()
    }
}

/// A dispatcher loop (one instance) over `setup`'s store, stopped by the returned sender.
fn instance(
    setup: &Setup,
    concurrency: usize,
    batch_size: u32,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let mut marketplaces = Marketplaces::new();
    marketplaces.insert(
        ChannelId::parse("feedamp").unwrap(),
        setup.marketplace.clone(),
    );
    let dispatcher = Dispatcher::new(
        setup.queue.clone(),
        setup.store.clone(),
        marketplaces,
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
        policy(),
    );
    let config = DispatchConfig {
        concurrency,
        batch_size,
        idle_poll: Duration::from_millis(10),
        policy: policy(),
        health: HealthPolicy::default(),
    };
    let (stop, stopped) = watch::channel(false);
    let grace = Duration::from_millis(100);
    (
        stop,
        tokio::spawn(dispatch_loop(dispatcher, config, stopped, grace)),
    )
}

async fn rows(store: &MemoryStore) -> Vec<Delivery> {
    store
        .deliveries(&DeliveryQuery {
            limit: 100,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_slower_than_its_lease_is_renewed_and_sent_once_by_two_instances() {
    let setup = setup(1, Some(LEASE * 5 / 2), false).await;
    let (stop_a, a) = instance(&setup, 4, 4);
    let (stop_b, b) = instance(&setup, 4, 4);
    for _ in 0..400 {
        if rows(&setup.store).await[0].state == DeliveryState::Delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let row = rows(&setup.store).await.remove(0);
    assert_eq!((row.state, row.attempts), (DeliveryState::Delivered, 1));
    assert_eq!(
        setup.marketplace.calls.load(Ordering::SeqCst),
        1,
        "the other instance never took the row while it was being sent"
    );
    assert!(
        setup.queue.renewals.load(Ordering::SeqCst) >= 3,
        "renewed every third"
    );
    for (stop, worker) in [(stop_a, a), (stop_b, b)] {
        stop.send(true).unwrap();
        worker.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_whose_lease_cannot_be_renewed_is_cut_off_before_the_lease_runs_out() {
    let setup = setup(1, None, true).await;
    let started = tokio::time::Instant::now();
    let (stop, worker) = instance(&setup, 1, 1);
    for _ in 0..300 {
        if rows(&setup.store).await[0].attempts == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let row = rows(&setup.store).await.remove(0);
    assert!(started.elapsed() < LEASE * 2, "cut off in time");
    assert_eq!(row.state, DeliveryState::Pending, "a retry, not parked");
    let error = row.last_error.unwrap_or_default();
    assert!(error.contains("send cut off"), "{error}");
    assert!(setup.queue.renewals.load(Ordering::SeqCst) >= 1);
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_back_the_leases_of_every_claim() {
    // Three claims of one row each, all hanging: three tokens to give back.
    let setup = setup(3, None, false).await;
    let (stop, worker) = instance(&setup, 3, 1);
    for _ in 0..300 {
        if setup.marketplace.calls.load(Ordering::SeqCst) == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(setup.marketplace.calls.load(Ordering::SeqCst), 3);
    stop.send(true).unwrap();
    worker.await.unwrap();
    let claimed = setup
        .store
        .claim_due(&ClaimRequest {
            now: Utc::now(),
            lease: LEASE,
            token: Uuid::now_v7(),
            limit: 10,
            skip_channels: Vec::new(),
            probe: None,
        })
        .await
        .unwrap();
    assert_eq!(
        claimed.len(),
        3,
        "every claim's lease was given back at once"
    );
}
