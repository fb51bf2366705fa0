//! The example marketplace's tests: the conformance kit, the webhook through the domain's port,
//! and the webhook served by orderbridge's HTTP router at `/webhooks/bazaar/orders`.

mod conformance;
mod http;
mod registration;
mod support;
mod webhook;
