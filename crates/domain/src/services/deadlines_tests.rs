//! Ship-by checks: counts per channel, one `order_overdue` alert per overdue order however
//! often the check runs, none for orders not yet due, settled, or while alerts are off.

use std::sync::Arc;

use chrono::TimeDelta;
use uuid::Uuid;

use super::DeadlineService;
use crate::alert::AlertKind;
use crate::order::{CancelReason, CancelScope, CancellationRequest};
use crate::ports::clock::Clock;
use crate::ports::store::{AlertQueue, OverdueCount, OverdueQuery};
use crate::services::{Ingested, OrderService, ServiceConfig};
use crate::testing::{ManualClock, MemoryStore, SequentialIds, new_order, test_channels};
use crate::values::{ChannelId, OrderId};

struct Setup {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    orders: OrderService,
    deadlines: DeadlineService,
}

fn setup(alerting: bool) -> Setup {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::fixed());
    let ids = Arc::new(SequentialIds::default());
    let orders = OrderService::new(
        store.clone(),
        test_channels(),
        clock.clone(),
        ids.clone(),
        ServiceConfig::default(),
    );
    let deadlines = DeadlineService::new(store.clone(), clock.clone(), ids, alerting);
    Setup {
        store,
        clock,
        orders,
        deadlines,
    }
}

impl Setup {
    /// Ingests an order on `channel` due `hours` from now.
    async fn order(&self, channel: &str, external_id: &str, hours: i64) -> OrderId {
        let mut new = new_order(channel, external_id, &[("RED", 2, "1.00")]).unwrap();
        new.deliver_by = Some(self.clock.now() + TimeDelta::hours(hours));
        match self.orders.ingest(new).await.unwrap() {
            Ingested::Created(order) => order.id(),
            Ingested::Duplicate(_) => panic!("a fresh store holds no order"),
        }
    }

    async fn queued_alerts(&self) -> Vec<crate::alert::Alert> {
        let now = self.clock.now();
        self.store
            .claim_alerts(now, now + TimeDelta::minutes(1), Uuid::nil(), 100)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.alert)
            .collect()
    }
}

fn count(channel: &str, orders: u64) -> OverdueCount {
    OverdueCount {
        channel: ChannelId::parse(channel).unwrap(),
        orders,
    }
}

#[tokio::test]
async fn an_overdue_order_is_counted_and_alerted_once_however_often_the_check_runs() {
    let s = setup(true);
    let late = s.order("adm", "A-1", -2).await;
    s.order("adm", "A-2", 5).await;
    let late_feedamp = s.order("feedamp", "F-1", -1).await;
    let first = s.deadlines.check().await.unwrap();
    assert_eq!(first.counts, [count("adm", 1), count("feedamp", 1)]);
    assert_eq!(first.alerted, [late, late_feedamp], "oldest deadline first");
    let again = s.deadlines.check().await.unwrap();
    assert!(again.alerted.is_empty(), "once per order");
    assert_eq!(again.counts, first.counts);
    let alerts = s.queued_alerts().await;
    assert_eq!(alerts.len(), 2);
    let alert = &alerts[0];
    assert_eq!(alert.kind, AlertKind::OrderOverdue);
    assert_eq!(alert.order_id, Some(late));
    assert_eq!(alert.channel.as_str(), "adm");
    assert!(
        alert.message.starts_with(&format!(
            "order A-1 ({late}) is past its deadline of 2024-04-30T10:00:00Z"
        )),
        "{}",
        alert.message
    );
    // Six hours on, the second order is late too: it alone is alerted.
    s.clock.advance(TimeDelta::hours(6));
    let later = s.deadlines.check().await.unwrap();
    assert_eq!(later.counts, [count("adm", 2), count("feedamp", 1)]);
    assert_eq!(later.alerted.len(), 1);
}

#[tokio::test]
async fn a_settled_order_is_neither_counted_nor_alerted() {
    let s = setup(true);
    let id = s.order("adm", "A-1", -2).await;
    let request = CancellationRequest {
        reason: CancelReason::OutOfStock,
        scope: CancelScope::WholeOrder,
        note: None,
    };
    s.orders.cancel(id, &request).await.unwrap();
    let check = s.deadlines.check().await.unwrap();
    assert!(check.counts.is_empty() && check.alerted.is_empty());
    assert!(s.queued_alerts().await.is_empty());
}

#[tokio::test]
async fn with_alerts_off_overdue_orders_are_counted_and_left_for_when_alerts_are_on() {
    let s = setup(false);
    s.order("adm", "A-1", -2).await;
    let check = s.deadlines.check().await.unwrap();
    assert_eq!(check.counts, [count("adm", 1)]);
    assert!(check.alerted.is_empty());
    assert!(s.queued_alerts().await.is_empty());
    let on = DeadlineService::new(
        s.store.clone(),
        s.clock.clone(),
        Arc::new(SequentialIds::default()),
        true,
    );
    assert_eq!(on.check().await.unwrap().alerted.len(), 1);
}

#[tokio::test]
async fn the_listing_passes_the_query_to_the_store() {
    let s = setup(true);
    let first = s.order("adm", "A-1", -3).await;
    let second = s.order("adm", "A-2", -2).await;
    s.order("adm", "A-3", 2).await;
    let page = s
        .deadlines
        .overdue(&OverdueQuery {
            now: s.clock.now(),
            statuses: Vec::new(),
            channel: None,
            after: None,
            limit: 1,
        })
        .await
        .unwrap();
    let ids: Vec<OrderId> = page.orders.iter().map(|o| o.id()).collect();
    assert_eq!(ids, [first]);
    let next = page.next.unwrap();
    assert_eq!(next.id, first);
    let rest = s
        .deadlines
        .overdue(&OverdueQuery {
            now: s.clock.now(),
            statuses: Vec::new(),
            channel: None,
            after: Some(next),
            limit: 10,
        })
        .await
        .unwrap();
    let ids: Vec<OrderId> = rest.orders.iter().map(|o| o.id()).collect();
    assert_eq!((ids, rest.next), (vec![second], None));
}
