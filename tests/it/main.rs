//! Workspace-level tests.

mod accounts;
mod bad_days;
mod channel_health;
mod console;
mod delivery;
mod e2e_alerts;
mod e2e_cancellations;
mod e2e_cli;
mod e2e_crash;
mod e2e_credentials;
mod e2e_feedamp;
mod e2e_feedamp_state;
mod e2e_instances;
mod e2e_leases;
mod e2e_lifecycle;
mod e2e_logs;
mod e2e_outage;
mod e2e_replay;
mod e2e_retention;
mod e2e_ship_by;
mod e2e_slow_clients;
mod harness;
mod hostile_text;
mod process;
mod registration;
