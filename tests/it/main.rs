//! Workspace-level tests.

mod delivery;
mod harness;
