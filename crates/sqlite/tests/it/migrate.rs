//! Migration 0004 on rows written in the old shape (the shared check in
//! `orderbridge_store_contract::migration`).

use std::borrow::Cow;

use chrono::{SecondsFormat, TimeDelta, Utc};
use orderbridge_domain::order::Order;
use orderbridge_sqlite::{MIGRATOR, Sqlite};
use orderbridge_store_contract::migration;
use sqlx::migrate::Migrator;
use uuid::Uuid;

#[tokio::test]
async fn rows_queued_before_0004_wait_as_rows_queued_now_would() {
    let store = Sqlite::temporary().await.unwrap();
    let pool = store.write_pool().clone();
    let before = Migrator {
        migrations: Cow::Owned(
            MIGRATOR
                .migrations
                .iter()
                // 0007 and 0010 too (with 0006, whose table 0010 changes): the orders are
                // inserted and read by today's store, which writes `flags` and reads
                // `erased_at`.
                .filter(|m| m.version <= 3 || matches!(m.version, 6 | 7 | 10))
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    before.run(&pool).await.unwrap();
    let old_row = async |order: &Order, kind: &'static str, subject: Option<Uuid>, state| {
        let id = Uuid::now_v7();
        let at = (Utc::now() - TimeDelta::minutes(30)).to_rfc3339_opts(SecondsFormat::Micros, true);
        sqlx::query(
            "INSERT INTO outbox (id, order_id, channel, kind, subject, line_no, state, \
             created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id)
        .bind(order.id().as_uuid())
        .bind(order.channel().as_str())
        .bind(kind)
        .bind(subject)
        .bind((kind == "refund").then_some(1_i32))
        .bind(state)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
        id
    };
    let finish = async || MIGRATOR.run(&pool).await.unwrap();
    migration::rows_queued_before_0004_wait_as_rows_queued_now_would(&store, old_row, finish).await;
}
