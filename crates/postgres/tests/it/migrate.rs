//! Migration 0004 gives the outbox rows queued before it the waits a row queued now would get:
//! a whole-order call waits for the confirmation, a refund for the whole-order call, shipments
//! for nothing of each other; of two whole-order calls pending, the older is superseded and its
//! waiters wait for the newer.

use std::borrow::Cow;

use chrono::{TimeDelta, Utc};
use orderbridge_domain::order::{EventType, Order, OrderEvent};
use orderbridge_domain::outbox::DeliveryState;
use orderbridge_domain::ports::store::{
    AttemptResult, ClaimRequest, Claimed, DeliveryLog, DeliveryQueue, OrderStore,
};
use orderbridge_domain::testing::new_order;
use orderbridge_domain::values::{DeliveryId, EventId, OrderId};
use orderbridge_postgres::{MIGRATOR, Postgres};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use uuid::Uuid;

fn order(channel: &str, id: &str) -> Order {
    let new = new_order(channel, id, &[("RED", 1, "1.00")]).unwrap();
    Order::create(
        new,
        OrderId::from_uuid(Uuid::now_v7()),
        EventId::from_uuid(Uuid::now_v7()),
        Utc::now() - TimeDelta::hours(1),
    )
    .unwrap()
}

/// Queues an outbox row the way the store did before migration 0004.
async fn old_row(
    pool: &PgPool,
    order: &Order,
    kind: &str,
    subject: Option<Uuid>,
    state: &str,
) -> Uuid {
    let id = Uuid::now_v7();
    let at = Utc::now() - TimeDelta::minutes(30);
    sqlx::query(
        "INSERT INTO outbox (id, order_id, channel, kind, subject, line_no, state, created_at, \
         next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id)
    .bind(order.id().as_uuid())
    .bind(order.channel().as_str())
    .bind(kind)
    .bind(subject)
    .bind((kind == "refund").then_some(1_i32))
    .bind(state)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
    id
}

async fn claim(store: &Postgres) -> Vec<Claimed> {
    let now = Utc::now();
    store
        .claim_due(&ClaimRequest {
            now,
            lease_until: now + TimeDelta::seconds(30),
            token: Uuid::now_v7(),
            limit: 100,
            skip_channels: Vec::new(),
            probe: None,
        })
        .await
        .unwrap()
}

fn ids(claimed: &[Claimed]) -> Vec<Uuid> {
    sorted(claimed.iter().map(|c| c.delivery.id.as_uuid()).collect())
}

async fn deliver(store: &Postgres, claimed: &[Claimed], id: Uuid) {
    let lease = claimed
        .iter()
        .find(|c| c.delivery.id.as_uuid() == id)
        .unwrap()
        .lease;
    let event = OrderEvent {
        id: EventId::from_uuid(Uuid::now_v7()),
        at: Utc::now(),
        kind: EventType::Delivered,
        subject: Some(id),
        detail: "delivered".to_owned(),
    };
    let done = AttemptResult::Delivered {
        remote_ref: None,
        at: Utc::now(),
    };
    store.complete(&lease, &done, &event).await.unwrap();
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

#[sqlx::test(migrations = false)]
async fn rows_queued_before_0004_wait_as_rows_queued_now_would(pool: PgPool) {
    let before = Migrator {
        migrations: Cow::Owned(
            MIGRATOR
                .migrations
                .iter()
                .filter(|m| m.version <= 3)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    before.run(&pool).await.unwrap();
    let store = Postgres::from_pool(pool.clone());
    let feed = order("feedamp", "F-1");
    let adm = order("adm", "A-1");
    store.insert(&feed, &[]).await.unwrap();
    store.insert(&adm, &[]).await.unwrap();
    let confirm = old_row(&pool, &feed, "confirm", None, "pending").await;
    let older_call = old_row(&pool, &feed, "order_fulfillment", None, "pending").await;
    let refund = old_row(&pool, &feed, "refund", Some(Uuid::now_v7()), "pending").await;
    let newer_call = old_row(&pool, &feed, "order_fulfillment", None, "pending").await;
    let _parked = old_row(&pool, &adm, "fulfillment", Some(Uuid::now_v7()), "dead").await;
    let shipment = old_row(&pool, &adm, "fulfillment", Some(Uuid::now_v7()), "pending").await;

    MIGRATOR.run(&pool).await.unwrap();

    let older = store
        .delivery(DeliveryId::from_uuid(older_call))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(older.state, DeliveryState::Superseded);
    let first = claim(&store).await;
    assert_eq!(
        ids(&first),
        sorted(vec![confirm, shipment]),
        "the confirmation, and the shipment the parked one no longer holds back"
    );
    deliver(&store, &first, confirm).await;
    let second = claim(&store).await;
    assert_eq!(
        ids(&second),
        vec![newer_call],
        "the refund waits for the newer call, which took the older one's waiters"
    );
    deliver(&store, &second, newer_call).await;
    assert_eq!(ids(&claim(&store).await), vec![refund]);
}
