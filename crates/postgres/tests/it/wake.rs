//! Waking dispatchers: a commit with outbox rows tells this process at once, and another
//! instance listening through `LISTEN`/`NOTIFY` soon after.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use orderbridge_domain::ports::store::OnQueued;
use orderbridge_postgres::Postgres;
use orderbridge_store_contract::concurrency;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn counter() -> (Arc<AtomicUsize>, OnQueued) {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    (
        count,
        OnQueued::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        }),
    )
}

#[sqlx::test(migrator = "orderbridge_postgres::MIGRATOR")]
async fn queued_deliveries_wake_this_process_at_once_and_another_instance_soon(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = options
        .max_connections(4)
        .connect_with(connect)
        .await
        .unwrap();
    let (here, on_here) = counter();
    let (there, on_there) = counter();
    let writer = Postgres::from_pool(pool.clone()).with_on_queued(on_here);
    let listener = Postgres::from_pool(pool).listen_for_queued(on_there);
    // The listener connects, then tells once for whatever it may have missed.
    for _ in 0..100 {
        if there.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = there.load(Ordering::SeqCst);

    concurrency::queue_due_rows(&writer, 1).await;
    assert_eq!(
        here.load(Ordering::SeqCst),
        1,
        "this process is told at once"
    );
    let mut woken = false;
    for _ in 0..250 {
        if there.load(Ordering::SeqCst) > before {
            woken = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(woken, "the other instance is told through NOTIFY");
    listener.abort();
}
