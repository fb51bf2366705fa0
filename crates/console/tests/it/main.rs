//! The console in process, over the in-memory store: the session and CSRF guards, bad input
//! answered with 400 pages (never a 500), and customer data on an order's page only. The
//! browser tests (`tests/it/console`) drive the real binary in a real browser.

mod guard;
mod pages;
mod support;
