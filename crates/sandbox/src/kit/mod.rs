//! The kit both fake marketplaces are built from, so that they behave alike where the
//! marketplaces do not differ: the fault plan and its control path ([`faults`]), the request
//! log (`log`), start-up and shutdown (`start`), the HTTP connections a fault can cut
//! (`server`), the seeded generator (`prng`) and the base of the order generators
//! (`generator`).

pub mod faults;
pub(crate) mod generator;
pub(crate) mod log;
pub(crate) mod prng;
pub(crate) mod server;
pub(crate) mod start;
