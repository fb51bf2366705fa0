//! State check tests with a mock source over the in-memory store: what the marketplace says is
//! recorded once, only open orders of the channel are re-read, one order's failure does not
//! stop the others, credentials and rate limits do, and the lease is held throughout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use crate::order::{
    CancelOrigin, CancelReason, FulfilError, FulfillmentRequest, MarketplaceCancel, Order,
    OrderStatus,
};
use crate::outbox::DeliveryKind;
use crate::ports::clock::Clock;
use crate::ports::source::{
    MockOrderSource, OrderSource, RemoteState, SourceError, SourcePage, StateRead,
};
use crate::ports::store::{DeliveryLog, DeliveryQuery, PollState};
use crate::services::{
    Ingested, OrderService, OrderUpdateError, Poller, RoundStop, ServiceConfig, StateCheckReport,
};
use crate::testing::{ManualClock, MemoryStore, SequentialIds, new_order, test_channels};
use crate::values::{Carrier, ChannelId, ExternalOrderId, Quantity, Sku, TrackingNumber};

struct Setup {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    service: OrderService,
}

fn setup() -> Setup {
    let clock = Arc::new(ManualClock::fixed());
    // The store's clock is the test's: moving it runs leases out.
    let store = Arc::new(MemoryStore::with_clock(clock.clone()));
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        clock.clone(),
        Arc::new(SequentialIds::default()),
        ServiceConfig::default(),
    )
    .with_early_cancellations(store.clone());
    Setup {
        store,
        clock,
        service,
    }
}

fn poller(setup: &Setup, source: Arc<dyn OrderSource>, owner: Uuid) -> Poller {
    Poller::new(
        setup.service.clone(),
        setup.store.clone(),
        source,
        setup.clock.clone(),
        owner,
        Duration::from_secs(60),
    )
}

async fn ingest(setup: &Setup, channel: &str, id: &str) -> Order {
    let new = new_order(channel, id, &[("SKU-1", 2, "19.99")]).unwrap();
    match setup.service.ingest(new).await.unwrap() {
        Ingested::Created(order) => *order,
        Ingested::Duplicate(id) => panic!("unexpected duplicate {id}"),
    }
}

fn shipment(tracking: &str, units: u32) -> FulfillmentRequest {
    FulfillmentRequest {
        tracking_number: TrackingNumber::parse(tracking).unwrap(),
        carrier: Some(Carrier::parse("UPS").unwrap()),
        tracking_url: None,
        lines: vec![(Sku::parse("SKU-1").unwrap(), Quantity::new(units).unwrap())],
        shipped_at: None,
    }
}

fn state(on_hold: Option<bool>, cancelled: bool) -> StateRead {
    StateRead::Known(RemoteState {
        on_hold,
        cancelled: cancelled.then(|| MarketplaceCancel {
            reason: CancelReason::Other,
            note: Some("FeedAMP state CANCELLED".to_owned()),
            at: Utc::now(),
        }),
    })
}

/// A FeedAMP feed whose orders answer as `answers` says (by external id) at the moment of
/// the call; every call is counted by id.
fn feed(
    answers: Arc<Mutex<HashMap<String, Result<StateRead, SourceError>>>>,
    calls: Arc<Mutex<Vec<String>>>,
) -> MockOrderSource {
    let mut source = MockOrderSource::new();
    source
        .expect_channel()
        .return_const(ChannelId::parse("feedamp").unwrap());
    source.expect_order_state().returning(move |id| {
        calls.lock().unwrap().push(id.as_str().to_owned());
        answers
            .lock()
            .unwrap()
            .get(id.as_str())
            .cloned()
            .unwrap_or(Ok(state(Some(false), false)))
    });
    source
}

type Answers = Arc<Mutex<HashMap<String, Result<StateRead, SourceError>>>>;

fn answers(pairs: &[(&str, Result<StateRead, SourceError>)]) -> Answers {
    Arc::new(Mutex::new(
        pairs
            .iter()
            .map(|(id, answer)| ((*id).to_owned(), answer.clone()))
            .collect(),
    ))
}

async fn check(poller: &Poller) -> StateCheckReport {
    poller.check_states().await.unwrap().unwrap()
}

#[tokio::test]
async fn a_round_records_cancellations_and_holds_once_and_reads_only_open_orders_of_its_channel() {
    let setup = setup();
    let cancelled = ingest(&setup, "feedamp", "F-CANCEL").await;
    let paused = ingest(&setup, "feedamp", "F-PAUSE").await;
    let partly = ingest(&setup, "feedamp", "F-PARTLY").await;
    let done = ingest(&setup, "feedamp", "F-DONE").await;
    ingest(&setup, "adm", "A-1").await;
    for (order, units) in [(&partly, 1), (&done, 2)] {
        setup
            .service
            .record_fulfillment(order.id(), &shipment(&format!("T-{units}"), units))
            .await
            .unwrap();
    }
    let answers = answers(&[
        ("F-CANCEL", Ok(state(Some(false), true))),
        ("F-PAUSE", Ok(state(Some(true), false))),
    ]);
    let calls = Arc::new(Mutex::new(Vec::new()));
    let source = feed(answers.clone(), calls.clone());
    let poller = poller(&setup, Arc::new(source), Uuid::now_v7());
    let outbox = |order: &Order| {
        let store = setup.store.clone();
        let id = order.id();
        async move {
            let query = DeliveryQuery {
                order_id: Some(id),
                limit: 50,
                ..DeliveryQuery::default()
            };
            store
                .deliveries(&query)
                .await
                .unwrap()
                .iter()
                .map(|d| d.kind)
                .collect::<Vec<DeliveryKind>>()
        }
    };
    let queued_before = outbox(&cancelled).await;

    let report = check(&poller).await;
    assert_eq!(
        (
            report.checked,
            report.cancelled,
            report.held,
            report.released
        ),
        (3, 1, 1, 0)
    );
    assert_eq!(report.stopped, None);
    let mut read = calls.lock().unwrap().clone();
    read.sort();
    assert_eq!(
        read,
        ["F-CANCEL", "F-PARTLY", "F-PAUSE"],
        "open and partly fulfilled FeedAMP orders only"
    );
    let now = setup.service.order(cancelled.id()).await.unwrap().unwrap();
    assert_eq!(now.status(), OrderStatus::Cancelled);
    assert_eq!(
        now.cancellations().last().map(|c| c.origin()),
        Some(CancelOrigin::Marketplace)
    );
    assert_eq!(
        outbox(&cancelled).await,
        queued_before,
        "nothing is reported back"
    );
    let held = setup.service.order(paused.id()).await.unwrap().unwrap();
    assert!(held.on_hold());
    let refused = setup
        .service
        .record_fulfillment(paused.id(), &shipment("T-HELD", 2))
        .await;
    assert!(
        matches!(
            refused,
            Err(OrderUpdateError::Rejected(FulfilError::OnHold(_)))
        ),
        "{refused:?}"
    );

    // Told again: nothing changes, and the cancelled order is no longer read.
    let history = held.events().len();
    calls.lock().unwrap().clear();
    let again = check(&poller).await;
    assert_eq!(
        (again.checked, again.cancelled, again.held, again.released),
        (2, 0, 0, 0)
    );
    assert!(!calls.lock().unwrap().contains(&"F-CANCEL".to_owned()));
    let held = setup.service.order(paused.id()).await.unwrap().unwrap();
    assert_eq!(held.events().len(), history, "no new history");

    // Released at the marketplace: the next round releases it, and it ships.
    answers
        .lock()
        .unwrap()
        .insert("F-PAUSE".to_owned(), Ok(state(Some(false), false)));
    let released = check(&poller).await;
    assert_eq!((released.held, released.released), (0, 1));
    setup
        .service
        .record_fulfillment(paused.id(), &shipment("T-FREE", 2))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_answer_that_does_not_say_leaves_the_hold_and_a_404_changes_nothing() {
    let setup = setup();
    let held = ingest(&setup, "feedamp", "F-1").await;
    setup
        .service
        .marketplace_hold(held.id(), true)
        .await
        .unwrap();
    let gone = ingest(&setup, "feedamp", "F-2").await;
    let answers = answers(&[
        ("F-1", Ok(state(None, false))),
        ("F-2", Ok(StateRead::NotFound)),
    ]);
    let source = feed(answers, Arc::new(Mutex::new(Vec::new())));
    let report = check(&poller(&setup, Arc::new(source), Uuid::now_v7())).await;
    assert_eq!(
        (report.checked, report.released, report.cancelled),
        (2, 0, 0)
    );
    assert_eq!(report.not_found, [gone.external_id().clone()]);
    assert!(
        setup
            .service
            .order(held.id())
            .await
            .unwrap()
            .unwrap()
            .on_hold()
    );
    let gone = setup.service.order(gone.id()).await.unwrap().unwrap();
    assert_eq!(
        gone.status(),
        OrderStatus::Open,
        "a 404 is not a cancellation"
    );
}

fn retry() -> SourceError {
    SourceError::Retry {
        reason: "503 Service Unavailable".to_owned(),
        retry_after: None,
    }
}

#[tokio::test]
async fn one_order_failing_does_not_stop_the_others() {
    let setup = setup();
    for id in ["F-1", "F-2", "F-3", "F-4"] {
        ingest(&setup, "feedamp", id).await;
    }
    let answers = answers(&[
        (
            "F-1",
            Err(SourceError::Rejected {
                reason: "the order answer holds no `order`".to_owned(),
            }),
        ),
        ("F-2", Err(retry())),
        ("F-4", Ok(state(Some(true), false))),
    ]);
    let calls = Arc::new(Mutex::new(Vec::new()));
    let source = feed(answers, calls.clone());
    let report = check(&poller(&setup, Arc::new(source), Uuid::now_v7())).await;
    assert_eq!(calls.lock().unwrap().len(), 4, "every order was read");
    assert_eq!((report.checked, report.held), (2, 1));
    let failed: Vec<&str> = report.failed.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(failed, ["F-1", "F-2"]);
    assert_eq!(report.stopped, None);
}

#[tokio::test]
async fn refused_credentials_a_rate_limit_or_passing_failures_in_a_row_stop_the_round() {
    let rate = SourceError::RateLimited {
        reason: "429 Too Many Requests".to_owned(),
        retry_after: Some(Duration::from_secs(2)),
    };
    let auth = SourceError::AuthFailed {
        reason: "403 Forbidden".to_owned(),
    };
    for (first, reads, stop) in [
        (Err(rate.clone()), 1, RoundStop::Source(rate)),
        (Err(auth.clone()), 1, RoundStop::Source(auth)),
        (Ok(StateRead::Unsupported), 1, RoundStop::Unsupported),
    ] {
        let setup = setup();
        for id in ["F-1", "F-2", "F-3"] {
            ingest(&setup, "feedamp", id).await;
        }
        let calls = Arc::new(Mutex::new(Vec::new()));
        let source = feed(answers(&[("F-1", first)]), calls.clone());
        let report = check(&poller(&setup, Arc::new(source), Uuid::now_v7())).await;
        assert_eq!(calls.lock().unwrap().len(), reads, "{stop:?}");
        assert_eq!(report.stopped, Some(stop));
        assert_eq!(report.checked, 0);
    }
    let setup = setup();
    for id in ["F-1", "F-2", "F-3", "F-4", "F-5"] {
        ingest(&setup, "feedamp", id).await;
    }
    let calls = Arc::new(Mutex::new(Vec::new()));
    let down = answers(&[
        ("F-1", Err(retry())),
        ("F-2", Err(retry())),
        ("F-3", Err(retry())),
    ]);
    let source = feed(down, calls.clone());
    let report = check(&poller(&setup, Arc::new(source), Uuid::now_v7())).await;
    assert_eq!(
        calls.lock().unwrap().len(),
        3,
        "three in a row end the round"
    );
    assert_eq!(report.stopped, Some(RoundStop::Source(retry())));
}

#[tokio::test]
async fn only_the_lease_holder_checks_states() {
    let setup = setup();
    ingest(&setup, "feedamp", "F-1").await;
    let channel = ChannelId::parse("feedamp").unwrap();
    let now = setup.clock.now();
    assert!(
        setup
            .store
            .lease_poller(&channel, Uuid::now_v7(), now, now + TimeDelta::seconds(60))
            .await
            .unwrap()
    );
    let calls = Arc::new(Mutex::new(Vec::new()));
    let source = feed(answers(&[]), calls.clone());
    let checked = poller(&setup, Arc::new(source), Uuid::now_v7())
        .check_states()
        .await
        .unwrap();
    assert_eq!(checked, None);
    assert!(calls.lock().unwrap().is_empty());
}

/// A source whose `take_at`-th re-read lets another instance take the lease (its own ran
/// out meanwhile).
#[derive(Debug)]
struct LeaseThief {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    channel: ChannelId,
    reads: AtomicU32,
    take_at: u32,
}

#[async_trait]
impl OrderSource for LeaseThief {
    fn channel(&self) -> &ChannelId {
        &self.channel
    }

    async fn fetch_page(&self, _cursor: Option<String>) -> Result<SourcePage, SourceError> {
        Err(retry())
    }

    async fn order_state(&self, _id: &ExternalOrderId) -> Result<StateRead, SourceError> {
        if self.reads.fetch_add(1, Ordering::SeqCst) + 1 == self.take_at {
            self.clock.advance(TimeDelta::seconds(61));
            let now = self.clock.now();
            let until = now + TimeDelta::seconds(60);
            let taken = self
                .store
                .lease_poller(&self.channel, Uuid::now_v7(), now, until)
                .await
                .unwrap();
            assert!(taken, "the other instance takes the expired lease");
        }
        Ok(state(Some(false), false))
    }
}

#[tokio::test]
async fn a_round_stops_between_pages_when_another_instance_took_the_lease() {
    let setup = setup();
    for n in 0..60 {
        ingest(&setup, "feedamp", &format!("F-{n:02}")).await;
    }
    let thief = Arc::new(LeaseThief {
        store: setup.store.clone(),
        clock: setup.clock.clone(),
        channel: ChannelId::parse("feedamp").unwrap(),
        reads: AtomicU32::new(0),
        take_at: 10,
    });
    let report = check(&poller(&setup, thief.clone(), Uuid::now_v7())).await;
    assert_eq!(report.stopped, Some(RoundStop::LeaseLost));
    assert_eq!(
        thief.reads.load(Ordering::SeqCst),
        50,
        "the first page was read to its end, the second not at all"
    );
}
