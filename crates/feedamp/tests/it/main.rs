//! orderbridge-feedamp's integration tests: the client and the new-orders source against a
//! local fake FeedAMP (wiremock).

mod auth;
mod conformance;
mod fulfil;
mod outcomes;
mod paging;
mod rate;
mod refund;
mod sandbox;
mod state;
mod support;
