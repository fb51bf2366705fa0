//! Integration tests of the SQLite store. Each test gets a fresh database in a temporary file.

mod concurrency;
mod contract;
mod erasure;
mod migrate;
mod schema;
