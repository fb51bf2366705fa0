//! Several instances (issue 7 §4): three `orderbridge` processes share one PostgreSQL
//! database; 1,000 fulfillments recorded through all three reach ADM exactly once each, in
//! per-order order, whichever instance's dispatcher sends them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::process::api::{ADM_KEY, webhook_sender};
use crate::process::{Api, Launch, Service, TestDb, eventually, with_adm};

const INSTANCES: usize = 3;
const ORDERS: usize = 100;
const PER_ORDER: usize = 10;
/// Requests in flight at once.
const CONCURRENCY: usize = 6;

fn external_id(o: usize) -> String {
    format!("{}", 7_000_000 + o)
}

fn tracking(o: usize, n: usize) -> String {
    format!("MI-{o:03}-{n:02}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_database_deliver_a_thousand_fulfillments_exactly_once() {
    let started = Instant::now();
    let db = TestDb::create().await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let launch = with_adm(Launch::new(), &adm).env("DATABASE_URL", db.url());
    // Started together: they migrate the same database at once.
    let (a, b, c) = tokio::join!(
        launch.serve("instance 1"),
        launch.serve("instance 2"),
        launch.serve("instance 3"),
    );
    let instances: Vec<Service> = vec![a, b, c];
    let apis: Vec<Api> = instances.iter().map(|s| Api::new(&s.base_url())).collect();
    let webhooks: Vec<_> = instances
        .iter()
        .map(|s| webhook_sender(&s.base_url()))
        .collect();
    let up = started.elapsed();

    // 100 orders of ten units, through the three webhooks in turn.
    for o in 0..ORDERS {
        let payload = json!({
            "id": external_id(o),
            "created_at": "2024-04-30T12:00:00Z",
            "email": "customer@example.com",
            "line_items": [{"sku": "SKU-MI", "quantity": PER_ORDER, "price": "5.00", "total_discount": "0.00", "total_tax": "0.40"}],
            "total_price": "54.00",
        });
        let reply = webhooks[o % INSTANCES].send(&payload).await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let listed = apis[0].all_orders().await;
    let ids: Vec<String> = (0..ORDERS)
        .map(|o| {
            listed
                .iter()
                .find(|order| order["external_id"] == external_id(o).as_str())
                .and_then(|order| order["id"].as_str())
                .unwrap_or_else(|| panic!("order {} listed", external_id(o)))
                .to_owned()
        })
        .collect();
    let ingested = started.elapsed();

    // Round n ships unit n of every order, a few at a time over the three APIs; round n + 1
    // starts once round n is recorded, so each order's shipments are queued in tracking order
    // while the dispatchers are busy sending the earlier ones.
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let ids = Arc::new(ids);
    for n in 0..PER_ORDER {
        let mut round = tokio::task::JoinSet::new();
        for o in 0..ORDERS {
            let permit = permits.clone().acquire_owned().await.unwrap();
            let api = apis[(o + n) % INSTANCES].clone();
            let ids = ids.clone();
            round.spawn(async move {
                let (status, body) = api.ship(&ids[o], &tracking(o, n), &[("SKU-MI", 1)]).await;
                assert_eq!(status, 201, "{body}");
                drop(permit);
            });
        }
        while let Some(done) = round.join_next().await {
            done.expect("a fulfillment call panicked");
        }
    }
    let recorded = started.elapsed();

    let total = u64::try_from(ORDERS * PER_ORDER).unwrap();
    assert!(
        adm.wait_for_accepted(total, Duration::from_secs(60)).await,
        "only {} of {total} reached ADM",
        adm.accepted_count()
    );
    // Nothing pending any more: no send can still come.
    let settled = eventually(Duration::from_secs(30), async || {
        let (_, page) = apis[0].get("/v1/deliveries?state=pending&limit=1").await;
        page["deliveries"].as_array().is_some_and(Vec::is_empty)
    })
    .await;
    assert!(settled, "deliveries still pending");
    let delivered = started.elapsed();

    let accepted = adm.accepted();
    assert_eq!(accepted.len(), ORDERS * PER_ORDER);
    assert_eq!(adm.duplicates(), 0, "each fulfillment exactly once");
    // Shipments of one order wait for nothing of each other (design section 6), so they may
    // arrive in any order: each one once, under its own order.
    for o in 0..ORDERS {
        let mut sent: Vec<&str> = accepted
            .iter()
            .filter(|f| f.order_id == external_id(o))
            .map(|f| f.tracking_number.as_str())
            .collect();
        sent.sort_unstable();
        let expected: Vec<String> = (0..PER_ORDER).map(|n| tracking(o, n)).collect();
        assert_eq!(
            sent,
            expected,
            "order {}: each shipment once",
            external_id(o)
        );
    }
    let (_, dead) = apis[0].get("/v1/deliveries?state=dead").await;
    assert_eq!(dead["deliveries"], json!([]), "none parked");

    let split: Vec<usize> = instances
        .iter()
        .map(|s| s.logs().count("delivered"))
        .collect();
    eprintln!(
        "several instances: up in {up:.1?}, {} orders ingested in {ingested:.1?}, {} fulfillments recorded by \
         {recorded:.1?}, all delivered by {delivered:.1?}; delivered per instance {split:?} \
         (sum {}), duplicates {}",
        ORDERS,
        ORDERS * PER_ORDER,
        split.iter().sum::<usize>(),
        adm.duplicates()
    );
    assert_eq!(
        split.iter().sum::<usize>(),
        ORDERS * PER_ORDER,
        "the instances' `delivered` events add up"
    );
    drop(instances);
    db.drop_now().await;
}
