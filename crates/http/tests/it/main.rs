//! The HTTP API driven in process: every route, every status, the exact bodies.

mod cancellations;
mod channels;
mod deliveries;
mod hostile_text;
mod inbound;
mod openapi_contract;
mod orders;
mod outage;
mod overdue;
mod retention;
mod robustness;
mod signatures;
mod slow;
mod support;
mod tolerance;
mod webhook;
