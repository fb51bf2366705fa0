//! Integration tests of the domain crate: the storage contract suite against the in-memory store.

mod memory_contract;
