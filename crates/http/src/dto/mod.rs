//! The warehouse API's JSON shapes: request bodies and queries with their conversion into the
//! domain's requests, and answers built from domain values. Money is written as decimal strings
//! ("12.34") and read from strings or numbers without going through floating point; times are
//! RFC 3339 UTC; fields with a fixed set of values are enums.

mod change;
mod channel;
mod delivery;
pub(crate) mod enums;
pub(crate) mod fields;
mod health;
mod inbound;
mod order;
mod query;
mod request;

pub use change::{
    CancellationRecordedOut, FulfillmentRecordedOut, RefundRecordedOut, cancellation, fulfillment,
    refund,
};
pub use channel::{ChannelOut, ChannelsOut, PauseIn, channel};
pub use delivery::{DeliveryOut, DeliveryPageOut, ResolveIn, RetriedOut, RetryIn, delivery};
pub use health::HealthOut;
pub use inbound::{InboundOut, InboundPageOut, ReplayOut, inbound, replay};
pub use order::{OrderDetailOut, OrderPageOut, order, order_detail, order_units};
pub use query::{DeliveriesQuery, InboundQueryIn, OrdersQuery};
pub use request::{CancellationIn, FulfillmentIn, RefundIn, SkuQuantity};
