//! `database.statement_timeout_ms`: every pooled connection runs with it, a longer statement is
//! cut off, and migrations run without it.

use std::time::Duration;

use orderbridge_postgres::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The URL of the database `connect` opens (the fresh one of a `#[sqlx::test]`).
fn url(connect: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        connect.get_username(),
        connect.get_host(),
        connect.get_port(),
        connect.get_database().unwrap_or("postgres")
    )
}

#[sqlx::test(migrations = false)]
async fn every_pooled_connection_runs_with_the_statement_timeout(
    _options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let store = Postgres::connect(&url(&connect), 3, Duration::from_millis(1_234))
        .await
        .unwrap();
    // Three connections held at once: three distinct ones, each set up by the pool.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(store.pool().acquire().await.unwrap());
    }
    for connection in &mut held {
        let shown: String = sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        assert_eq!(shown, "1234ms");
    }
    drop(held);
    let error = sqlx::query("SELECT pg_sleep(3)")
        .execute(store.pool())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("statement timeout"),
        "a statement past the timeout is cut off: {error}"
    );
    // The pool still serves after a statement was cut off.
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(one, 1);

    let unlimited = Postgres::connect(&url(&connect), 1, Duration::ZERO)
        .await
        .unwrap();
    let shown: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(unlimited.pool())
        .await
        .unwrap();
    assert_eq!(shown, "0");
}

#[sqlx::test(migrations = false)]
async fn migrations_run_without_the_statement_timeout(
    _options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    // One millisecond: every migration would be cut off under it.
    let store = Postgres::connect(&url(&connect), 2, Duration::from_millis(1))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let shown: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(shown, "1ms", "the service's own connections keep it");
}
