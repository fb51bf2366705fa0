//! The purge over the in-memory store: a dry run lists and erases nothing; a purge erases what
//! is due, page by page, once; what another instance erased first is counted as skipped.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::{Purge, PurgeMode, PurgeReport, Purged};
use crate::inbound::{InboundState, NewInbound};
use crate::order::{CancelReason, CancelScope, CancellationRequest, EventType, Order};
use crate::outbox::{DeliveryKind, NewDelivery};
use crate::ports::clock::{Clock, IdGenerator};
use crate::ports::store::{DuePage, InboundLog, OrderCursor, OrderStore, Retention, StoreError};
use crate::retention::{DueInbound, Erasure, RetentionPeriod};
use crate::testing::{ManualClock, MemoryStore, SequentialIds, new_order};
use crate::values::{ChannelId, DeliveryId, Email, EventId, InboundId, OrderId, Quantity, Sku};

const DAYS: u32 = 30;

fn now() -> DateTime<Utc> {
    ManualClock::fixed().now()
}

fn days_ago(days: i64) -> DateTime<Utc> {
    now() - TimeDelta::days(days)
}

/// An order received 60 days ago with a customer; cancelled in full `settled` days ago (when
/// given), with a pending delivery when `pending`.
async fn order(
    store: &MemoryStore,
    ids: &SequentialIds,
    external: &str,
    settled: Option<i64>,
    pending: bool,
) -> OrderId {
    let mut new = new_order("adm", external, &[("RED", 1, "5.00")]).unwrap();
    new.email = Some(Email::parse(&format!("{external}@example.com")).unwrap());
    new.raw_payload = Some(format!("{{\"id\":\"{external}\"}}"));
    let id = OrderId::from_uuid(ids.next_id());
    let mut order =
        Order::create(new, id, EventId::from_uuid(ids.next_id()), days_ago(60)).unwrap();
    let version = store.insert(&order, &[]).await.unwrap();
    order.mark_saved(version);
    let Some(settled) = settled else {
        return id;
    };
    let request = CancellationRequest {
        reason: CancelReason::Customer,
        scope: CancelScope::Lines(vec![(
            Sku::parse("RED").unwrap(),
            Quantity::new(1).unwrap(),
        )]),
        note: None,
    };
    let cancellation = order
        .cancel(
            &request,
            crate::values::CancellationId::from_uuid(ids.next_id()),
            EventId::from_uuid(ids.next_id()),
            days_ago(settled),
        )
        .unwrap();
    let outbox = if pending {
        vec![NewDelivery {
            id: DeliveryId::from_uuid(ids.next_id()),
            order_id: id,
            channel: ChannelId::parse("adm").unwrap(),
            kind: DeliveryKind::Cancellation(cancellation),
            created_at: days_ago(settled),
            waits_for: Vec::new(),
        }]
    } else {
        Vec::new()
    };
    store.save(&order, &outbox, &[]).await.unwrap();
    id
}

async fn discarded(store: &MemoryStore, ids: &SequentialIds, days: Option<i64>) -> InboundId {
    let id = InboundId::from_uuid(ids.next_id());
    let entry = NewInbound {
        id,
        channel: ChannelId::parse("adm").unwrap(),
        external_id: None,
        body: format!("{{\"email\":\"q{id}@example.com\"}}").into_bytes(),
        error: "unreadable".to_owned(),
        at: days_ago(70),
    };
    store.quarantine(&entry, &[]).await.unwrap();
    if let Some(days) = days {
        store
            .close_inbound(id, InboundState::Discarded, None, days_ago(days))
            .await
            .unwrap();
    }
    id
}

struct Setup {
    store: Arc<MemoryStore>,
    due: Vec<OrderId>,
    kept: Vec<OrderId>,
    due_inbound: InboundId,
    kept_inbound: Vec<InboundId>,
}

async fn setup() -> Setup {
    let store = Arc::new(MemoryStore::new());
    let ids = SequentialIds::default();
    let mut due = Vec::new();
    for n in 0..3 {
        due.push(order(&store, &ids, &format!("due-{n}"), Some(40), false).await);
    }
    let kept = vec![
        order(&store, &ids, "recent", Some(10), false).await,
        order(&store, &ids, "open", None, false).await,
        order(&store, &ids, "pending", Some(40), true).await,
    ];
    let due_inbound = discarded(&store, &ids, Some(40)).await;
    let kept_inbound = vec![
        discarded(&store, &ids, Some(10)).await,
        discarded(&store, &ids, None).await,
    ];
    Setup {
        store,
        due,
        kept,
        due_inbound,
        kept_inbound,
    }
}

fn purge(store: Arc<dyn Retention>) -> Purge {
    let ids = Arc::new(SequentialIds::default());
    // Far above the fixtures' ids.
    for _ in 0..1_000 {
        ids.next_id();
    }
    Purge::new(
        store,
        Arc::new(ManualClock::fixed()),
        ids,
        RetentionPeriod::days(DAYS).unwrap(),
    )
    .with_page(2)
}

async fn run(purge: &Purge, mode: PurgeMode) -> (PurgeReport, Vec<String>) {
    let mut seen = Vec::new();
    let report = purge
        .run(mode, &mut |purged| {
            seen.push(match purged {
                Purged::Order(due) => format!("order {}", due.external_id),
                Purged::Inbound(due) => format!("inbound {}", due.id),
            });
        })
        .await
        .unwrap();
    (report, seen)
}

#[tokio::test]
async fn a_dry_run_lists_what_is_due_and_erases_nothing() {
    let s = setup().await;
    let (report, seen) = run(&purge(s.store.clone()), PurgeMode::DryRun).await;
    assert_eq!((report.orders, report.inbound, report.skipped), (3, 1, 0));
    assert_eq!(report.cutoff, days_ago(i64::from(DAYS)));
    assert_eq!(
        seen,
        [
            "order due-0".to_owned(),
            "order due-1".to_owned(),
            "order due-2".to_owned(),
            format!("inbound {}", s.due_inbound),
        ]
    );
    for id in &s.due {
        let order = s.store.get(*id).await.unwrap().unwrap();
        assert!(order.email().is_some() && order.erased_at().is_none());
    }
    let entry = s.store.inbound(s.due_inbound).await.unwrap().unwrap();
    assert!(!entry.body.is_empty());
}

#[tokio::test]
async fn a_purge_erases_what_is_due_page_by_page_once_and_records_it() {
    let s = setup().await;
    let purge = purge(s.store.clone());
    let (report, seen) = run(&purge, PurgeMode::Erase).await;
    assert_eq!((report.orders, report.inbound, report.skipped), (3, 1, 0));
    assert_eq!(seen.len(), 4);
    for id in &s.due {
        let order = s.store.get(*id).await.unwrap().unwrap();
        assert_eq!((order.email(), order.raw_payload()), (None, None));
        assert_eq!(order.erased_at(), Some(now()));
        let last = order.events().last().unwrap();
        assert_eq!(last.kind, EventType::PersonalDataErased);
        assert_eq!(order.lines().len(), 1, "lines stay");
    }
    for id in &s.kept {
        let order = s.store.get(*id).await.unwrap().unwrap();
        assert!(order.email().is_some() && order.raw_payload().is_some());
        assert!(order.erased_at().is_none());
    }
    let entry = s.store.inbound(s.due_inbound).await.unwrap().unwrap();
    assert!(entry.body.is_empty() && entry.erased_at == Some(now()));
    for id in &s.kept_inbound {
        assert!(!s.store.inbound(*id).await.unwrap().unwrap().body.is_empty());
    }
    let (again, seen) = run(&purge, PurgeMode::Erase).await;
    assert_eq!((again.orders, again.inbound, again.skipped), (0, 0, 0));
    assert!(seen.is_empty());
    let order = s.store.get(s.due[0]).await.unwrap().unwrap();
    let erasures = order
        .events()
        .iter()
        .filter(|e| e.kind == EventType::PersonalDataErased)
        .count();
    assert_eq!(erasures, 1, "erased once");
}

/// A store where another instance erases everything just before this one does.
#[derive(Debug)]
struct Raced(Arc<MemoryStore>);

#[async_trait]
impl Retention for Raced {
    async fn due_orders(
        &self,
        cutoff: DateTime<Utc>,
        after: Option<OrderCursor>,
        limit: u32,
    ) -> Result<DuePage, StoreError> {
        self.0.due_orders(cutoff, after, limit).await
    }
    async fn erase_orders(
        &self,
        erasures: &[Erasure],
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<OrderId>, StoreError> {
        self.0.erase_orders(erasures, cutoff).await?;
        self.0.erase_orders(erasures, cutoff).await
    }
    async fn due_inbound(
        &self,
        cutoff: DateTime<Utc>,
        after: Option<InboundId>,
        limit: u32,
    ) -> Result<Vec<DueInbound>, StoreError> {
        self.0.due_inbound(cutoff, after, limit).await
    }
    async fn erase_inbound(
        &self,
        ids: &[InboundId],
        cutoff: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Vec<InboundId>, StoreError> {
        self.0.erase_inbound(ids, cutoff, at).await?;
        self.0.erase_inbound(ids, cutoff, at).await
    }
}

#[tokio::test]
async fn what_another_instance_erased_first_is_skipped_not_erased_twice() {
    let s = setup().await;
    let (report, seen) = run(&purge(Arc::new(Raced(s.store.clone()))), PurgeMode::Erase).await;
    assert_eq!((report.orders, report.inbound, report.skipped), (0, 0, 4));
    assert!(seen.is_empty());
    let order = s.store.get(s.due[1]).await.unwrap().unwrap();
    let erasures = order
        .events()
        .iter()
        .filter(|e| e.kind == EventType::PersonalDataErased)
        .count();
    assert_eq!(erasures, 1);
}
