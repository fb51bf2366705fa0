//! orderbridge-adm's integration tests: the fulfillment client against a local fake ADM.

mod conformance;
mod outcomes;
mod request;
mod settings;
mod support;
