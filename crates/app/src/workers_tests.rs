//! The dispatcher loop's bound: a send keeps its slot until its outcome is committed, so no
//! more than `concurrency` deliveries are ever sent but not recorded (what a crash can repeat).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use orderbridge_domain::health::HealthPolicy;
use orderbridge_domain::order::Order;
use orderbridge_domain::outbox::DeliveryState;
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::marketplace::{Capabilities, Marketplace, Outcome};
use orderbridge_domain::ports::store::{DeliveryLog, DeliveryQuery};
use orderbridge_domain::services::{
    Dispatcher, Marketplaces, OrderService, RetryPolicy, ServiceConfig,
};
use orderbridge_domain::testing::{MemoryStore, feedamp_capabilities, new_order, test_channels};
use orderbridge_domain::values::{ChannelId, DeliveryId};
use tokio::sync::watch;

use super::dispatch_loop;
use crate::config::DispatchConfig;
use crate::test_queue::TestQueue;

/// Accepts every confirmation and counts them.
#[derive(Debug, Default)]
struct Counting(AtomicUsize);

#[async_trait]
impl Marketplace for Counting {
    fn capabilities(&self) -> Capabilities {
        feedamp_capabilities()
    }
    fn call_timeout(&self) -> Duration {
        Duration::from_secs(30)
    }
    async fn confirm(&self, _order: &Order, _key: DeliveryId) -> Outcome {
        self.0.fetch_add(1, Ordering::SeqCst);
        Outcome::Delivered { remote_ref: None }
    }
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_wait_for_their_outcomes_to_be_committed_before_more_go_out() {
    const ORDERS: usize = 12;
    const CONCURRENCY: usize = 3;
    let (open, gate) = watch::channel(false);
    let store = Arc::new(MemoryStore::new());
    let queue = Arc::new(TestQueue {
        gate: Some(gate),
        ..TestQueue::new(store.clone())
    });
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
        ServiceConfig::default(),
    );
    for n in 0..ORDERS {
        // FeedAMP orders are confirmed back: one delivery each.
        let order = new_order("feedamp", &format!("G-{n}"), &[("SKU-1", 1, "5.00")]).unwrap();
        service.ingest(order).await.unwrap();
    }
    let marketplace = Arc::new(Counting::default());
    let mut marketplaces = Marketplaces::new();
    marketplaces.insert(ChannelId::parse("feedamp").unwrap(), marketplace.clone());
    let dispatcher = Dispatcher::new(
        queue,
        store.clone(),
        marketplaces,
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
        RetryPolicy::default(),
    );
    let config = DispatchConfig {
        concurrency: CONCURRENCY,
        batch_size: 4,
        idle_poll: Duration::from_millis(10),
        policy: RetryPolicy::default(),
        health: HealthPolicy::default(),
    };
    let (stop, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(dispatch_loop(
        dispatcher,
        config,
        stop_rx,
        Duration::from_secs(5),
    ));

    let sent = || marketplace.0.load(Ordering::SeqCst);
    until("the first sends are out", || sent() == CONCURRENCY).await;
    // Rows are claimed ahead and slots are free of sending, but none may go out while the
    // outcomes already sent wait for their commit.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sent(),
        CONCURRENCY,
        "no more than `concurrency` sent but not recorded"
    );

    open.send(true).unwrap();
    let all = DeliveryQuery {
        state: Some(DeliveryState::Delivered),
        order_id: None,
        after: None,
        limit: 100,
        ..DeliveryQuery::default()
    };
    for _ in 0..500 {
        if store.deliveries(&all).await.unwrap().len() == ORDERS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(store.deliveries(&all).await.unwrap().len(), ORDERS);
    assert_eq!(sent(), ORDERS, "each delivery sent once");
    stop.send(true).unwrap();
    worker.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_delivery_wakes_the_idle_dispatcher_before_its_next_poll() {
    let store = Arc::new(MemoryStore::new());
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
        ServiceConfig::default(),
    );
    let marketplace = Arc::new(Counting::default());
    let mut marketplaces = Marketplaces::new();
    marketplaces.insert(ChannelId::parse("feedamp").unwrap(), marketplace.clone());
    let dispatcher = Dispatcher::new(
        store.clone(),
        store.clone(),
        marketplaces,
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
        RetryPolicy::default(),
    );
    let config = DispatchConfig {
        concurrency: 2,
        batch_size: 4,
        // Far longer than the test waits: only the wake can make it look again in time.
        idle_poll: Duration::from_secs(60),
        policy: RetryPolicy::default(),
        health: HealthPolicy::default(),
    };
    let wake = Arc::new(tokio::sync::Notify::new());
    let (stop, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(super::dispatch_loop_woken(
        dispatcher,
        config,
        wake.clone(),
        stop_rx,
        Duration::from_secs(5),
    ));
    // The claimer has found nothing and waits.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let order = new_order("feedamp", "W-1", &[("SKU-1", 1, "5.00")]).unwrap();
    service.ingest(order).await.unwrap();
    wake.notify_one();
    until("the confirmation is sent", || {
        marketplace.0.load(Ordering::SeqCst) == 1
    })
    .await;
    stop.send(true).unwrap();
    worker.await.unwrap();
}
