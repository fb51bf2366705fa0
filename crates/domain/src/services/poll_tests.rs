//! Poll service tests with a mock feed over the in-memory store.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use mockall::Sequence;
use uuid::Uuid;

use crate::inbound::{InboundQuery, InboundState};
use crate::outbox::DeliveryKind;
use crate::ports::source::{MockOrderSource, SourceError, SourcePage, SourcedOrder};
use crate::ports::store::{DeliveryLog, DeliveryQuery, InboundLog, PollState};
use crate::services::{OrderService, Poller, Quarantine, ServiceConfig};
use crate::testing::{ManualClock, MemoryStore, SequentialIds, new_order, test_channels};
use crate::values::{ChannelId, ExternalOrderId};

fn page(ids: &[&str], next: Option<&str>) -> SourcePage {
    SourcePage {
        orders: ids
            .iter()
            .map(|id| SourcedOrder {
                external_id: ExternalOrderId::parse(id).ok(),
                order: Ok(new_order("feedamp", id, &[("SKU-1", 1, "19.99")]).unwrap()),
                raw: format!("{{\"id\": \"{id}\"}}").into_bytes(),
            })
            .collect(),
        next_cursor: next.map(str::to_owned),
    }
}

struct Setup {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    service: OrderService,
}

fn setup() -> Setup {
    let clock = Arc::new(ManualClock::fixed());
    // The store's clock is the test's: moving it runs leases out.
    let store = Arc::new(MemoryStore::with_clock(clock.clone()));
    let ids = Arc::new(SequentialIds::default());
    let service = OrderService::new(
        store.clone(),
        test_channels(),
        clock.clone(),
        ids.clone(),
        ServiceConfig::default(),
    )
    .with_quarantine(Quarantine::new(store.clone(), clock.clone(), ids, false));
    Setup {
        store,
        clock,
        service,
    }
}

fn poller(setup: &Setup, source: MockOrderSource, owner: Uuid) -> Poller {
    Poller::new(
        setup.service.clone(),
        setup.store.clone(),
        Arc::new(source),
        setup.clock.clone(),
        owner,
        Duration::from_secs(60),
    )
}

fn feed() -> MockOrderSource {
    let mut source = MockOrderSource::new();
    source
        .expect_channel()
        .return_const(ChannelId::parse("feedamp").unwrap());
    source
}

#[tokio::test]
async fn a_poll_reads_every_page_stores_each_order_once_and_queues_its_confirmation() {
    let setup = setup();
    let mut source = feed();
    let mut seq = Sequence::new();
    source
        .expect_fetch_page()
        .withf(|c| c.is_none())
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(page(&["1", "2"], Some("c2"))));
    source
        .expect_fetch_page()
        .withf(|c| c.as_deref() == Some("c2"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(page(&["3", "2"], Some(""))));
    let report = poller(&setup, source, Uuid::now_v7())
        .poll_once()
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.pages, report.created, report.known), (2, 3, 1));
    let rows = setup
        .store
        .deliveries(&DeliveryQuery {
            state: None,
            order_id: None,
            after: None,
            limit: 10,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|d| d.kind == DeliveryKind::Confirm));
    let channel = ChannelId::parse("feedamp").unwrap();
    assert_eq!(
        setup.store.poll_cursor(&channel).await.unwrap().as_deref(),
        Some(""),
        "cleared at the end"
    );
}

#[tokio::test]
async fn an_unreadable_order_is_quarantined_once_and_the_rest_of_the_page_stored() {
    let setup = setup();
    let mut source = feed();
    source.expect_fetch_page().times(2).returning(|_| {
        let mut page = page(&["1", "3"], None);
        page.orders.insert(
            1,
            SourcedOrder {
                external_id: ExternalOrderId::parse("2").ok(),
                order: Err("order_info.currency is missing".to_owned()),
                raw: br#"{"id": "2", "order_info": {}}"#.to_vec(),
            },
        );
        Ok(page)
    });
    let poller = poller(&setup, source, Uuid::now_v7());
    let report = poller.poll_once().await.unwrap().unwrap();
    assert_eq!((report.created, report.quarantined), (2, 1));
    assert_eq!(
        report.unreadable,
        vec![(
            ExternalOrderId::parse("2").ok(),
            "order_info.currency is missing".to_owned()
        )]
    );
    // The order stays in the feed: the next poll meets it again and counts it, once kept.
    let again = poller.poll_once().await.unwrap().unwrap();
    assert_eq!((again.known, again.quarantined), (2, 0));
    assert_eq!(again.unreadable.len(), 1);
    let kept = setup
        .store
        .inbound_list(&InboundQuery {
            limit: 10,
            ..InboundQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        (kept[0].state, kept[0].seen, kept[0].external_id.as_deref()),
        (InboundState::Rejected, 2, Some("2"))
    );
    assert_eq!(kept[0].body, br#"{"id": "2", "order_info": {}}"#.to_vec());
    assert_eq!(kept[0].error, "order_info.currency is missing");
}

#[tokio::test]
async fn a_poll_cut_short_resumes_at_the_saved_cursor_and_a_stale_cursor_starts_over() {
    let setup = setup();
    let mut source = feed();
    let mut seq = Sequence::new();
    source
        .expect_fetch_page()
        .withf(|c| c.is_none())
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(page(&["1"], Some("c2"))));
    source
        .expect_fetch_page()
        .withf(|c| c.as_deref() == Some("c2"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Err(SourceError::Retry {
                reason: "HTTP 503".to_owned(),
                retry_after: None,
            })
        });
    // Next poll: resumes at c2, which the feed now refuses, so it starts over.
    source
        .expect_fetch_page()
        .withf(|c| c.as_deref() == Some("c2"))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| {
            Err(SourceError::Rejected {
                reason: "unknown cursor".to_owned(),
            })
        });
    source
        .expect_fetch_page()
        .withf(|c| c.is_none())
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(page(&["1", "2"], None)));
    let poller = poller(&setup, source, Uuid::now_v7());
    assert!(poller.poll_once().await.is_err());
    let report = poller.poll_once().await.unwrap().unwrap();
    assert_eq!((report.created, report.known), (1, 1));
}

#[tokio::test]
async fn only_one_instance_polls_a_channel_while_its_lease_lives() {
    let setup = setup();
    let mut first = feed();
    first
        .expect_fetch_page()
        .times(2)
        .returning(|_| Ok(page(&["1"], None)));
    let mut second = feed();
    second
        .expect_fetch_page()
        .times(1)
        .returning(|_| Ok(page(&["1"], None)));
    let a = poller(&setup, first, Uuid::now_v7());
    let b = poller(&setup, second, Uuid::now_v7());
    assert!(a.poll_once().await.unwrap().is_some());
    assert!(b.poll_once().await.unwrap().is_none(), "a holds the lease");
    assert!(a.poll_once().await.unwrap().is_some(), "a renews it");
    setup.clock.advance(TimeDelta::seconds(61));
    assert!(
        b.poll_once().await.unwrap().is_some(),
        "b takes over once a's lease ran out"
    );
}

#[tokio::test]
async fn a_released_lease_lets_another_instance_poll_at_once() {
    let setup = setup();
    let mut first = feed();
    first
        .expect_fetch_page()
        .times(1)
        .returning(|_| Ok(page(&["1"], None)));
    let mut second = feed();
    second
        .expect_fetch_page()
        .times(1)
        .returning(|_| Ok(page(&["2"], None)));
    let a = poller(&setup, first, Uuid::now_v7());
    let b = poller(&setup, second, Uuid::now_v7());
    assert!(a.poll_once().await.unwrap().is_some());
    assert!(
        !b.release().await.unwrap(),
        "b holds nothing to release, and a keeps its lease"
    );
    assert!(b.poll_once().await.unwrap().is_none(), "a still holds it");
    assert!(a.release().await.unwrap());
    assert!(
        b.poll_once().await.unwrap().is_some(),
        "b polls right after a let go"
    );
}
