//! Workspace-level tests.

mod accounts;
mod bad_days;
mod channel_health;
mod delivery;
mod e2e_alerts;
mod e2e_cli;
mod e2e_crash;
mod e2e_feedamp;
mod e2e_feedamp_state;
mod e2e_instances;
mod e2e_lifecycle;
mod e2e_logs;
mod harness;
mod process;
mod registration;
