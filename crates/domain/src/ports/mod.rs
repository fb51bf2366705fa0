//! Ports: what the domain needs from the outside world, as traits the adapters implement.
//! All are dyn-compatible (through `async-trait`) so the app can choose adapters at run time.

pub mod alerts;
pub mod channel;
pub mod clock;
pub mod marketplace;
pub mod source;
pub mod store;
pub mod webhook;
