//! Use-case services: the operations the adapters call. They load, apply a rule, queue what the
//! outbox policy asks for, and save, retrying on version conflicts.

mod channels;
mod orders;

pub use channels::Channels;
pub use orders::{
    Cancelled, FulfillmentRecorded, IngestError, Ingested, OrderService, OrderUpdateError,
    RefundRecorded, RequeueDeliveryError, ServiceConfig,
};

#[cfg(test)]
mod tests;
