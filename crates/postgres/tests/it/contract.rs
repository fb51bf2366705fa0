//! The storage contract suite on PostgreSQL.

use orderbridge_postgres::Postgres;
use sqlx::PgPool;

orderbridge_store_contract::store_contract!(
    #[sqlx::test(migrator = "orderbridge_postgres::MIGRATOR")]
    fn(pool: PgPool) => Postgres::from_pool(pool)
);
