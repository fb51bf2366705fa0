//! The in-memory store passes the same contract suite as the real stores, which keeps it honest.

use orderbridge_domain::testing::MemoryStore;

orderbridge_store_contract::store_contract!(#[tokio::test] fn() => MemoryStore::new());
