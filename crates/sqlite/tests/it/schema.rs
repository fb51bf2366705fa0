//! The schema backs the domain's rules where SQLite has no type for them: money checks work on
//! decimal text, and STRICT tables refuse values of the wrong storage class.

use chrono::Utc;
use orderbridge_domain::order::Order;
use orderbridge_domain::ports::store::OrderStore;
use orderbridge_domain::testing::new_order;
use orderbridge_domain::values::{EventId, OrderId};
use orderbridge_sqlite::Sqlite;
use uuid::Uuid;

/// A migrated store holding one order with one line of 2 units at 12.34.
async fn store_with_order() -> (Sqlite, Uuid) {
    let store = Sqlite::temporary().await.unwrap();
    store.migrate().await.unwrap();
    let new = new_order("adm", "S-1", &[("RED", 2, "12.34")]).unwrap();
    let order = Order::create(
        new,
        OrderId::from_uuid(Uuid::now_v7()),
        EventId::from_uuid(Uuid::now_v7()),
        Utc::now(),
    )
    .unwrap();
    store.insert(&order, &[]).await.unwrap();
    (store, order.id().as_uuid())
}

async fn run(store: &Sqlite, sql: &'static str, order: Uuid) -> Result<u64, sqlx::Error> {
    sqlx::query(sql)
        .bind(order)
        .execute(store.write_pool())
        .await
        .map(|done| done.rows_affected())
}

/// Asserts that the statement failed with a message containing `why`.
fn assert_refused(result: Result<u64, sqlx::Error>, why: &str) {
    match result {
        Err(e) => assert!(e.to_string().contains(why), "refused for {e}, not {why}"),
        Ok(rows) => panic!("accepted ({rows} rows), expected refusal: {why}"),
    }
}

#[tokio::test]
async fn money_is_stored_as_the_decimal_text() {
    let (store, order) = store_with_order().await;
    let stored: (String, String) = sqlx::query_as(
        "SELECT unit_price, typeof(unit_price) FROM order_lines WHERE order_id = $1",
    )
    .bind(order)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(stored, ("12.34".to_owned(), "text".to_owned()));
}

#[tokio::test]
async fn a_negative_unit_price_is_refused_and_zero_is_not() {
    let (store, order) = store_with_order().await;
    let negative = "UPDATE order_lines SET unit_price = '-0.01' WHERE order_id = $1";
    assert_refused(
        run(&store, negative, order).await,
        "CHECK constraint failed",
    );
    let zero = "UPDATE order_lines SET unit_price = '0.00' WHERE order_id = $1";
    assert_eq!(run(&store, zero, order).await.unwrap(), 1);
}

#[tokio::test]
async fn settling_more_than_ordered_is_refused() {
    let (store, order) = store_with_order().await;
    let over = "UPDATE order_lines SET shipped = 2, cancelled = 1 WHERE order_id = $1";
    assert_refused(run(&store, over, order).await, "order_lines_settled_check");
    let exact = "UPDATE order_lines SET shipped = 1, cancelled = 1 WHERE order_id = $1";
    assert_eq!(run(&store, exact, order).await.unwrap(), 1);
}

/// Adds a line of `amount` to the order's refund.
async fn refund_line(store: &Sqlite, order: Uuid, amount: &str) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO refund_lines (refund_id, position, line_no, sku, quantity, amount) \
         SELECT id, (SELECT count(*) FROM refund_lines), 1, 'RED', 0, $2 \
         FROM refunds WHERE order_id = $1",
    )
    .bind(order)
    .bind(amount)
    .execute(store.write_pool())
    .await
    .map(|done| done.rows_affected())
}

#[tokio::test]
async fn a_refund_amount_must_be_positive() {
    let (store, order) = store_with_order().await;
    let refund = "INSERT INTO refunds (id, order_id, position, reason, created_at) \
                  VALUES (randomblob(16), $1, 0, 'customer_return', '2024-04-30T12:00:00.000000Z')";
    assert_eq!(run(&store, refund, order).await.unwrap(), 1);
    let check = "CHECK constraint failed";
    assert_refused(refund_line(&store, order, "0.00").await, check);
    assert_refused(refund_line(&store, order, "-1.00").await, check);
    assert_eq!(refund_line(&store, order, "0.01").await.unwrap(), 1);
    assert_eq!(refund_line(&store, order, "10").await.unwrap(), 1);
}

#[tokio::test]
async fn an_id_of_the_wrong_storage_class_or_a_payload_that_is_not_json_is_refused() {
    let (store, order) = store_with_order().await;
    let text_id = "UPDATE order_events SET subject = 'not a blob' WHERE order_id = $1";
    assert_refused(
        run(&store, text_id, order).await,
        "cannot store TEXT value in BLOB",
    );
    let not_json = "UPDATE orders SET raw_payload = '{not json' WHERE id = $1";
    assert_refused(
        run(&store, not_json, order).await,
        "CHECK constraint failed",
    );
    let json = "UPDATE orders SET raw_payload = '{\"id\": 1}' WHERE id = $1";
    assert_eq!(run(&store, json, order).await.unwrap(), 1);
}
