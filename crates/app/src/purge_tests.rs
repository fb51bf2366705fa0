//! The purge worker erases what is due soon after start and stops when told; the command's
//! lines name orders and entries without their personal data.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use orderbridge_domain::inbound::InboundState;
use orderbridge_domain::order::{CancelReason, CancelScope, CancellationRequest, Order};
use orderbridge_domain::ports::store::OrderStore;
use orderbridge_domain::retention::{DueInbound, DueOrder, RetentionPeriod};
use orderbridge_domain::services::{PurgeMode, PurgeReport, Purged};
use orderbridge_domain::testing::{MemoryStore, new_order};
use orderbridge_domain::values::{
    CancellationId, ChannelId, Email, EventId, ExternalOrderId, InboundId, OrderId,
};
use tokio::sync::watch;
use uuid::Uuid;

use super::{heading, line, purge, purge_loop, summary};

/// An order with a customer, cancelled in full `days` ago.
async fn cancelled(store: &MemoryStore, days: i64) -> OrderId {
    let mut new = new_order("adm", &format!("C-{days}"), &[("RED", 1, "5.00")]).unwrap();
    new.email = Some(Email::parse("jane.doe@example.com").unwrap());
    let at = Utc::now() - TimeDelta::days(days);
    let id = OrderId::from_uuid(Uuid::now_v7());
    let mut order = Order::create(new, id, EventId::from_uuid(Uuid::now_v7()), at).unwrap();
    let version = store.insert(&order, &[]).await.unwrap();
    order.mark_saved(version);
    let request = CancellationRequest {
        reason: CancelReason::Customer,
        scope: CancelScope::WholeOrder,
        note: None,
    };
    order
        .cancel(
            &request,
            CancellationId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            at,
        )
        .unwrap();
    store.save(&order, &[], &[]).await.unwrap();
    id
}

#[tokio::test]
async fn the_worker_purges_soon_after_start_and_stops_when_told() {
    let store = Arc::new(MemoryStore::new());
    let due = cancelled(&store, 40).await;
    let kept = cancelled(&store, 10).await;
    let (stop, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(purge_loop(
        purge(store.clone(), RetentionPeriod::days(30).unwrap()),
        Duration::from_millis(10),
        Duration::from_secs(3_600),
        stop_rx,
    ));
    let erased = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let order = store.get(due).await.unwrap().unwrap();
            if order.erased_at().is_some() {
                return order;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("purged soon after start");
    assert_eq!(erased.email(), None);
    let other = store.get(kept).await.unwrap().unwrap();
    assert!(other.email().is_some() && other.erased_at().is_none());
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("stops during its pause")
        .unwrap();
}

#[test]
fn the_commands_lines_name_what_without_personal_data() {
    let at = chrono::DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap();
    let order = DueOrder {
        id: OrderId::from_uuid(Uuid::from_u128(1)),
        channel: ChannelId::parse("adm").unwrap(),
        external_id: ExternalOrderId::parse("1001").unwrap(),
        completed_at: at,
    };
    assert_eq!(
        line(Purged::Order(&order)),
        "order 00000000-0000-0000-0000-000000000001 adm 1001 complete since 2024-04-30T12:00:00.000000Z"
    );
    let entry = DueInbound {
        id: InboundId::from_uuid(Uuid::from_u128(2)),
        channel: ChannelId::parse("adm").unwrap(),
        external_id: None,
        state: InboundState::Replayed,
        closed_at: at,
    };
    assert_eq!(
        line(Purged::Inbound(&entry)),
        "inbound 00000000-0000-0000-0000-000000000002 adm - replayed 2024-04-30T12:00:00.000000Z"
    );
    let report = PurgeReport {
        cutoff: at,
        orders: 3,
        inbound: 1,
        skipped: 2,
    };
    let period = RetentionPeriod::days(30).unwrap();
    assert!(heading(period, PurgeMode::DryRun).contains("dry run: nothing is erased"));
    assert_eq!(
        summary(&report, PurgeMode::DryRun),
        "would erase: 3 orders, 1 quarantined bodies (complete or closed on or before 2024-04-30T12:00:00.000000Z)"
    );
    assert!(summary(&report, PurgeMode::Erase).starts_with("erased: 3 orders"));
    assert!(summary(&report, PurgeMode::Erase).contains("2 changed meanwhile"));
}
