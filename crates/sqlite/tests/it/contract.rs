//! The storage contract suite on SQLite.

use orderbridge_sqlite::Sqlite;

orderbridge_store_contract::store_contract!(
    #[tokio::test]
    fn() => {
        let store = Sqlite::temporary().await.unwrap();
        store.migrate().await.unwrap();
        store
    }
);
