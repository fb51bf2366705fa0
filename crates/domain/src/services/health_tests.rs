//! The dispatcher with channel health and alerts: refused credentials pause the channel (rows
//! stay pending, one alert), a probe that works resumes it; transient failures in a row back it
//! off; a parked delivery raises an alert; operators pause and resume.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use uuid::Uuid;

use crate::alert::AlertKind;
use crate::health::{ChannelState, HealthPolicy, PausedBy, Transition};
use crate::order::FulfillmentRequest;
use crate::outbox::DeliveryState;
use crate::ports::clock::Clock;
use crate::ports::marketplace::{MockMarketplace, Outcome};
use crate::ports::store::{AlertQueue, AttemptResult, ChannelStates, DeliveryLog, DeliveryQuery};
use crate::services::{
    ChannelActionError, ChannelService, Dispatched, Dispatcher, Ingested, Marketplaces,
    OrderService, RetryPolicy, ServiceConfig,
};
use crate::testing::{
    ManualClock, MemoryStore, SequentialIds, adm_capabilities, new_order, test_channels,
};
use crate::values::{ChannelId, OrderId, Quantity, Sku, TrackingNumber};

struct Setup {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    service: OrderService,
    /// What the marketplace answers next, shared with the mock.
    answer: Arc<Mutex<Outcome>>,
    dispatcher: Dispatcher,
}

fn health() -> HealthPolicy {
    HealthPolicy {
        backoff_after: 3,
        backoff_base: Duration::from_secs(10),
        backoff_cap: Duration::from_secs(60),
        probe_every: Duration::from_secs(30),
    }
}

fn setup() -> Setup {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::fixed());
    let ids = Arc::new(SequentialIds::default());
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        clock.clone(),
        ids.clone(),
        ServiceConfig::default(),
    );
    let answer = Arc::new(Mutex::new(Outcome::Delivered { remote_ref: None }));
    let mut marketplace = MockMarketplace::new();
    marketplace
        .expect_capabilities()
        .return_const(adm_capabilities());
    let shared = answer.clone();
    marketplace
        .expect_send_fulfillment()
        .returning(move |_, _, _| shared.lock().unwrap().clone());
    let mut marketplaces = Marketplaces::new();
    marketplaces.insert(ChannelId::parse("adm").unwrap(), Arc::new(marketplace));
    let dispatcher = Dispatcher::new(
        store.clone(),
        store.clone(),
        marketplaces,
        clock.clone(),
        ids,
        RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(1),
            max_age: Duration::from_secs(3_600),
            lease: Duration::from_secs(30),
        },
    )
    .with_health(store.clone(), health())
    .with_alerts();
    Setup {
        store,
        clock,
        service,
        answer,
        dispatcher,
    }
}

/// An ADM order with `n` shipments queued.
async fn shipped(setup: &Setup, name: &str, n: u32) -> OrderId {
    let new = new_order("adm", name, &[("RED", n, "1.00")]).unwrap();
    let Ingested::Created(order) = setup.service.ingest(new).await.unwrap() else {
        panic!("duplicate")
    };
    for i in 0..n {
        let request = FulfillmentRequest {
            tracking_number: TrackingNumber::parse(&format!("{name}-{i}")).unwrap(),
            carrier: None,
            tracking_url: None,
            lines: vec![(Sku::parse("RED").unwrap(), Quantity::new(1).unwrap())],
            shipped_at: None,
        };
        setup
            .service
            .record_fulfillment(order.id(), &request)
            .await
            .unwrap();
    }
    order.id()
}

/// One round of the dispatcher loop: probes, a claim, the sends, the record, the health.
async fn round(setup: &Setup) -> (Vec<Dispatched>, Vec<Transition>) {
    let token = Uuid::now_v7();
    let mut ready = setup.dispatcher.claim_probes(token, &[]).await.unwrap();
    ready.extend(setup.dispatcher.claim_ready(token, 100, &[]).await.unwrap());
    let mut attempts = Vec::new();
    for row in &ready {
        attempts.push(
            setup
                .dispatcher
                .attempt_ready(row, std::future::pending())
                .await,
        );
    }
    let (deliveries, outcomes) = setup.dispatcher.record(attempts).await;
    let outcomes: Vec<Dispatched> = outcomes.into_iter().map(Result::unwrap).collect();
    let changes = setup
        .dispatcher
        .observe(&deliveries, &outcomes)
        .await
        .unwrap();
    (outcomes, changes.iter().map(|c| c.transition).collect())
}

fn answer(setup: &Setup, outcome: Outcome) {
    *setup.answer.lock().unwrap() = outcome;
}

async fn states(setup: &Setup) -> Vec<DeliveryState> {
    setup
        .store
        .deliveries(&DeliveryQuery {
            limit: 100,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap()
        .iter()
        .map(|d| d.state)
        .collect()
}

/// The alerts queued since the last call (each taken as sent).
async fn alerts(setup: &Setup) -> Vec<AlertKind> {
    let now = setup.clock.now();
    let token = Uuid::now_v7();
    let queued = setup
        .store
        .claim_alerts(now, now + TimeDelta::seconds(1), token, 100)
        .await
        .unwrap();
    let sent = AttemptResult::Delivered {
        remote_ref: None,
        at: now,
    };
    for q in &queued {
        assert!(
            setup
                .store
                .complete_alert(q.alert.id, token, &sent)
                .await
                .unwrap()
        );
    }
    queued.iter().map(|q| q.alert.kind).collect()
}

#[tokio::test]
async fn refused_credentials_pause_the_channel_park_nothing_and_a_probe_resumes_it() {
    let setup = setup();
    shipped(&setup, "P1", 3).await;
    answer(
        &setup,
        Outcome::AuthFailed {
            reason: "401 Unauthorized Request".to_owned(),
        },
    );
    let (outcomes, changes) = round(&setup).await;
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(|o| matches!(o, Dispatched::Refused(_))));
    assert_eq!(changes, [Transition::Paused]);
    assert!(
        states(&setup)
            .await
            .iter()
            .all(|s| *s == DeliveryState::Pending),
        "nothing parked"
    );
    let health = setup.store.channel_states().await.unwrap().remove(0);
    assert_eq!(
        (health.state, health.paused_by),
        (ChannelState::Paused, Some(PausedBy::Credentials))
    );
    assert_eq!(
        alerts(&setup).await,
        [AlertKind::ChannelPaused],
        "one alert"
    );
    // Paused: nothing is claimed, not even after the rows' own retry time.
    setup.clock.advance(TimeDelta::seconds(5));
    assert_eq!(round(&setup).await, (vec![], vec![]));
    // The probe at 30 s is refused again: still paused, no second alert, one row tried.
    setup.clock.advance(TimeDelta::seconds(25));
    let (probe, changes) = round(&setup).await;
    assert_eq!((probe.len(), changes.len()), (1, 0));
    assert!(alerts(&setup).await.is_empty());
    // The credentials work again: the next probe resumes the channel, then everything goes.
    answer(&setup, Outcome::Delivered { remote_ref: None });
    setup.clock.advance(TimeDelta::seconds(30));
    let (probe, changes) = round(&setup).await;
    assert_eq!(probe, [Dispatched::Delivered]);
    assert_eq!(changes, [Transition::Resumed]);
    assert_eq!(alerts(&setup).await, [AlertKind::ChannelResumed]);
    let (rest, _) = round(&setup).await;
    assert_eq!(rest, [Dispatched::Delivered, Dispatched::Delivered]);
    assert!(
        states(&setup)
            .await
            .iter()
            .all(|s| *s == DeliveryState::Delivered),
        "every row delivered once"
    );
}

#[tokio::test]
async fn transient_failures_in_a_row_back_the_channel_off_as_a_whole() {
    let setup = setup();
    shipped(&setup, "B1", 3).await;
    answer(
        &setup,
        Outcome::Retry {
            reason: "503".to_owned(),
            retry_after: None,
        },
    );
    let (outcomes, changes) = round(&setup).await;
    assert_eq!(outcomes.len(), 3);
    assert_eq!(changes, [Transition::BackingOff]);
    // The rows' own retry (1 s) has come, but the channel waits 10 s as a whole.
    setup.clock.advance(TimeDelta::seconds(5));
    assert_eq!(round(&setup).await.0.len(), 0, "the channel waits");
    setup.clock.advance(TimeDelta::seconds(6));
    answer(&setup, Outcome::Delivered { remote_ref: None });
    let (outcomes, changes) = round(&setup).await;
    assert_eq!(outcomes.len(), 3);
    assert_eq!(changes, [Transition::Recovered]);
    assert!(
        alerts(&setup).await.is_empty(),
        "backing off raises no alert"
    );
}

#[tokio::test]
async fn a_parked_delivery_raises_an_alert_with_its_order_and_delivery() {
    let setup = setup();
    let order = shipped(&setup, "R1", 1).await;
    answer(
        &setup,
        Outcome::Rejected {
            reason: "400 Invalid SKU".to_owned(),
        },
    );
    let (outcomes, _) = round(&setup).await;
    assert!(matches!(outcomes[..], [Dispatched::Parked(_)]));
    let now = setup.clock.now();
    let queued = setup
        .store
        .claim_alerts(now, now + TimeDelta::seconds(1), Uuid::now_v7(), 10)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    let alert = &queued[0].alert;
    assert_eq!(alert.kind, AlertKind::DeliveryParked);
    assert_eq!(alert.order_id, Some(order));
    assert!(alert.delivery_id.is_some());
    assert!(
        alert.message.contains("400 Invalid SKU"),
        "{}",
        alert.message
    );
}

#[tokio::test]
async fn an_operator_pauses_and_resumes_a_channel_and_unknown_channels_are_refused() {
    let setup = setup();
    shipped(&setup, "O1", 1).await;
    let channels = ChannelService::new(
        vec![ChannelId::parse("adm").unwrap()],
        setup.store.clone(),
        setup.store.clone(),
        setup.clock.clone(),
        Arc::new(SequentialIds::default()),
        true,
    );
    let adm = ChannelId::parse("adm").unwrap();
    let paused = channels
        .pause(&adm, "marketplace maintenance")
        .await
        .unwrap();
    assert_eq!(
        (paused.state, paused.paused_by, paused.reason.as_deref()),
        (
            ChannelState::Paused,
            Some(PausedBy::Operator),
            Some("marketplace maintenance")
        )
    );
    let again = channels.pause(&adm, "twice").await.unwrap();
    assert_eq!(
        again.version, paused.version,
        "pausing a paused channel changes nothing"
    );
    setup.clock.advance(TimeDelta::seconds(3_600));
    assert_eq!(
        round(&setup).await.0.len(),
        0,
        "no probe of an operator's pause"
    );
    let views = channels.channels().await.unwrap();
    assert_eq!((views[0].stats.pending, views[0].stats.dead), (1, 0));
    let resumed = channels.resume(&adm).await.unwrap();
    assert_eq!(resumed.state, ChannelState::Active);
    assert_eq!(round(&setup).await.0, [Dispatched::Delivered]);
    assert_eq!(
        alerts(&setup).await,
        [AlertKind::ChannelPaused, AlertKind::ChannelResumed]
    );
    let unknown = ChannelId::parse("nope").unwrap();
    assert!(matches!(
        channels.pause(&unknown, "x").await,
        Err(ChannelActionError::Unknown(_))
    ));
}
