//! The real `orderbridge` binary as a process: building and finding it, starting and stopping
//! it ([`service`]), a PostgreSQL database per test ([`db`]) and its HTTP API ([`api`]).

pub mod api;
pub mod binary;
pub mod cluster;
pub mod db;
pub mod service;

pub use api::{Api, eventually, with_adm};
pub use db::TestDb;
pub use service::{Launch, Service};

use std::path::{Path, PathBuf};

/// A fresh directory under the system's temporary directory, removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `<tmp>/orderbridge-e2e-<uuid>`.
    pub fn new() -> Self {
        let path =
            std::env::temp_dir().join(format!("orderbridge-e2e-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&path).expect("creating a temporary directory");
        Self(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
