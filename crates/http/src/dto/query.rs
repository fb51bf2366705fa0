//! The warehouse API's query parameters. They are read as text and parsed by the handlers, so
//! that each error names its parameter; the annotations give the document their allowed values.

use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /v1/orders`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Comma-separated statuses, such as `open,partially_fulfilled`; empty or left out for all.
    #[param(value_type = Option<Vec<crate::dto::enums::OrderStatus>>, inline, style = Form, explode = false)]
    pub status: Option<String>,
    /// Only orders of this channel.
    #[param(max_length = 32, pattern = "^[a-z][a-z0-9_-]*$")]
    pub channel: Option<String>,
    /// The marketplace's order id: answers the one order with this id on `channel` (required
    /// with it), or an empty page.
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub external_id: Option<String>,
    /// Only orders changed after this time (RFC 3339 with an offset); not with `overdue=true`.
    #[param(format = DateTime)]
    pub updated_after: Option<String>,
    /// `true`: only overdue orders (the marketplace's deadline `deliver_by` is past and units
    /// are still open), oldest deadline first; combines with `status` and `channel`. `false` or
    /// left out: every order, oldest change first.
    #[param(value_type = Option<bool>)]
    pub overdue: Option<String>,
    /// `true`: only orders the marketplace holds (shipments are refused with 409 until it
    /// releases them); `false`: only orders it does not hold. Left out: both.
    #[param(value_type = Option<bool>)]
    pub on_hold: Option<String>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, as it was returned, with the same `overdue`.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// Query of `GET /v1/deliveries`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only deliveries in this state; `dead` lists the parked ones.
    #[param(value_type = Option<crate::dto::enums::DeliveryState>, inline)]
    pub state: Option<String>,
    /// Only deliveries of this order.
    #[param(value_type = Option<uuid::Uuid>)]
    pub order_id: Option<String>,
    /// Only deliveries to this channel account.
    pub channel: Option<String>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (a delivery id).
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}

/// `GET /v1/inbound`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboundQueryIn {
    /// Only entries in this state; `rejected` lists those waiting for an operator.
    #[param(value_type = Option<crate::dto::inbound::InboundState>, inline)]
    pub state: Option<String>,
    /// Only entries of this channel account.
    pub channel: Option<String>,
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (an entry id).
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}
