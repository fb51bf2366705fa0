//! Integration tests of the sandbox: the fake ADM over real HTTP with a plain reqwest client,
//! its faults, the order generator, the webhook sender and the binary.

mod adapter;
mod binary;
mod faults;
mod fulfillments;
mod generator;
mod sender;
mod support;
