//! Integration tests of the PostgreSQL store. Each test gets a fresh database from
//! `#[sqlx::test]` (it needs `DATABASE_URL`; `cargo xtask test` provides it).

mod concurrency;
mod contract;
mod migrate;
mod timeout;
mod wake;
