//! Integration tests of the sandbox: the fake ADM and the fake FeedAMP over real HTTP with a
//! plain reqwest client, their faults, the order generators, the webhook sender and the binary.

mod adapter;
mod bad_days;
mod binary;
mod faults;
mod feedamp_bad_days;
mod feedamp_binary;
mod feedamp_faults;
mod feedamp_feed;
mod feedamp_generator;
mod feedamp_marketplace;
mod feedamp_support;
mod feedamp_tokens;
mod feedamp_writes;
mod fulfillments;
mod generator;
mod idempotency;
mod sender;
mod support;
