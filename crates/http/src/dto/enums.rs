//! The API's fixed-value fields as enums, so that the OpenAPI document lists their values. Each
//! converts from its domain enum (and, where a request carries it, into it); the wire names are
//! the domain's `as_str` names, which the tests below check.

use orderbridge_domain::order;
use orderbridge_domain::outbox;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Nothing shipped or cancelled yet.
    Open,
    /// Some units shipped or cancelled, others still open.
    PartiallyFulfilled,
    /// Every unit shipped or cancelled, at least one shipped.
    Fulfilled,
    /// Every unit cancelled.
    Cancelled,
}

impl From<order::OrderStatus> for OrderStatus {
    fn from(status: order::OrderStatus) -> Self {
        match status {
            order::OrderStatus::Open => Self::Open,
            order::OrderStatus::PartiallyFulfilled => Self::PartiallyFulfilled,
            order::OrderStatus::Fulfilled => Self::Fulfilled,
            order::OrderStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// Where a delivery to a marketplace stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting to be sent, or to be retried.
    Pending,
    /// The marketplace has it.
    Delivered,
    /// Parked after a final failure, until an operator retries or resolves it.
    Dead,
    /// Done by hand on the marketplace, as an operator noted; counts as delivered for the
    /// deliveries that wait for it.
    Resolved,
    /// Replaced before it was sent by a newer whole-order call of the same order.
    Superseded,
}

impl From<outbox::DeliveryState> for DeliveryState {
    fn from(state: outbox::DeliveryState) -> Self {
        match state {
            outbox::DeliveryState::Pending => Self::Pending,
            outbox::DeliveryState::Delivered => Self::Delivered,
            outbox::DeliveryState::Dead => Self::Dead,
            outbox::DeliveryState::Resolved => Self::Resolved,
            outbox::DeliveryState::Superseded => Self::Superseded,
        }
    }
}

/// What a delivery tells the marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// "We have the order".
    Confirm,
    /// One shipment.
    Fulfillment,
    /// The whole order's shipments and cancellations in one call.
    OrderFulfillment,
    /// One cancellation.
    Cancellation,
    /// A refund, or one line of it.
    Refund,
}

impl From<&outbox::DeliveryKind> for DeliveryKind {
    fn from(kind: &outbox::DeliveryKind) -> Self {
        match kind {
            outbox::DeliveryKind::Confirm => Self::Confirm,
            outbox::DeliveryKind::Fulfillment(_) => Self::Fulfillment,
            outbox::DeliveryKind::OrderFulfillment => Self::OrderFulfillment,
            outbox::DeliveryKind::Cancellation(_) => Self::Cancellation,
            outbox::DeliveryKind::Refund { .. } => Self::Refund,
        }
    }
}

/// Why units were cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The customer asked.
    Customer,
    /// The order was fraudulent.
    Fraud,
    /// The items are out of stock.
    OutOfStock,
    /// The payment was declined.
    PaymentDeclined,
    /// The seller cannot ship for another reason.
    UnableToShip,
    /// The item was mispriced.
    PriceError,
    /// The tax was wrong.
    TaxError,
    /// The shipping price was wrong.
    ShippingPriceError,
    /// Anything else.
    Other,
}

impl From<order::CancelReason> for CancelReason {
    fn from(reason: order::CancelReason) -> Self {
        match reason {
            order::CancelReason::Customer => Self::Customer,
            order::CancelReason::Fraud => Self::Fraud,
            order::CancelReason::OutOfStock => Self::OutOfStock,
            order::CancelReason::PaymentDeclined => Self::PaymentDeclined,
            order::CancelReason::UnableToShip => Self::UnableToShip,
            order::CancelReason::PriceError => Self::PriceError,
            order::CancelReason::TaxError => Self::TaxError,
            order::CancelReason::ShippingPriceError => Self::ShippingPriceError,
            order::CancelReason::Other => Self::Other,
        }
    }
}

impl From<CancelReason> for order::CancelReason {
    fn from(reason: CancelReason) -> Self {
        match reason {
            CancelReason::Customer => Self::Customer,
            CancelReason::Fraud => Self::Fraud,
            CancelReason::OutOfStock => Self::OutOfStock,
            CancelReason::PaymentDeclined => Self::PaymentDeclined,
            CancelReason::UnableToShip => Self::UnableToShip,
            CancelReason::PriceError => Self::PriceError,
            CancelReason::TaxError => Self::TaxError,
            CancelReason::ShippingPriceError => Self::ShippingPriceError,
            CancelReason::Other => Self::Other,
        }
    }
}

/// Why money is refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundReason {
    /// The customer returned the items.
    CustomerReturn,
    /// The customer cancelled after paying.
    CustomerCancelled,
    /// The items arrived damaged or defective.
    Damaged,
    /// A price adjustment or goodwill credit.
    PriceAdjustment,
    /// Anything else.
    Other,
}

impl From<order::RefundReason> for RefundReason {
    fn from(reason: order::RefundReason) -> Self {
        match reason {
            order::RefundReason::CustomerReturn => Self::CustomerReturn,
            order::RefundReason::CustomerCancelled => Self::CustomerCancelled,
            order::RefundReason::Damaged => Self::Damaged,
            order::RefundReason::PriceAdjustment => Self::PriceAdjustment,
            order::RefundReason::Other => Self::Other,
        }
    }
}

impl From<RefundReason> for order::RefundReason {
    fn from(reason: RefundReason) -> Self {
        match reason {
            RefundReason::CustomerReturn => Self::CustomerReturn,
            RefundReason::CustomerCancelled => Self::CustomerCancelled,
            RefundReason::Damaged => Self::Damaged,
            RefundReason::PriceAdjustment => Self::PriceAdjustment,
            RefundReason::Other => Self::Other,
        }
    }
}

/// Who cancelled units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The warehouse or seller, through this API; reported to the marketplace.
    Warehouse,
    /// The marketplace itself; never reported back.
    Marketplace,
}

impl From<order::CancelOrigin> for CancelledBy {
    fn from(origin: order::CancelOrigin) -> Self {
        match origin {
            order::CancelOrigin::Warehouse => Self::Warehouse,
            order::CancelOrigin::Marketplace => Self::Marketplace,
        }
    }
}

/// What kind of change an entry of an order's history records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// The order was received from its marketplace and stored.
    Received,
    /// The marketplace acknowledged that orderbridge has the order.
    Confirmed,
    /// The warehouse recorded a shipment.
    Fulfilled,
    /// Units, or the whole order, were cancelled.
    Cancelled,
    /// Money was refunded.
    Refunded,
    /// A queued delivery reached the marketplace.
    Delivered,
    /// A delivery attempt failed.
    DeliveryFailed,
    /// An operator put a parked delivery back in the queue.
    DeliveryRequeued,
    /// An operator marked a delivery as done by hand on the marketplace.
    DeliveryResolved,
    /// A change was recorded but the marketplace has no endpoint to receive it.
    NotReported,
    /// The marketplace put the order on hold: shipments are refused until it is released.
    Held,
    /// The marketplace released a held order.
    Released,
}

impl From<order::EventType> for EventType {
    fn from(kind: order::EventType) -> Self {
        match kind {
            order::EventType::Received => Self::Received,
            order::EventType::Confirmed => Self::Confirmed,
            order::EventType::Fulfilled => Self::Fulfilled,
            order::EventType::Cancelled => Self::Cancelled,
            order::EventType::Refunded => Self::Refunded,
            order::EventType::Delivered => Self::Delivered,
            order::EventType::DeliveryFailed => Self::DeliveryFailed,
            order::EventType::DeliveryRequeued => Self::DeliveryRequeued,
            order::EventType::DeliveryResolved => Self::DeliveryResolved,
            order::EventType::NotReported => Self::NotReported,
            order::EventType::Held => Self::Held,
            order::EventType::Released => Self::Released,
        }
    }
}

/// Something an order arrived with that orderbridge could not read. The order was stored all
/// the same (design section 11); the field was kept as given, replaced or left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderFlag {
    /// The email is not an address (kept as given) or was not text (left out).
    EmailUnreadable,
    /// The shipping address, or one of its fields, was not text; that part is left out.
    AddressUnreadable,
    /// The country is neither a known ISO 3166-1 code nor a known name: it is kept as given
    /// (`country_name` or `country_code_alpha3`) and `country_code` is null.
    CountryUnknown,
    /// The time the order was placed could not be read: `placed_at` is when it was received.
    PlacedAtUnreadable,
    /// The deliver-by date could not be read: `deliver_by` is null.
    DeliverByUnreadable,
    /// The marketplace's cancellation time could not be read.
    CancelledAtUnreadable,
    /// The requested shipping service was not text: `shipping_service` is null.
    ShippingServiceUnreadable,
}

impl From<order::OrderFlag> for OrderFlag {
    fn from(flag: order::OrderFlag) -> Self {
        match flag {
            order::OrderFlag::EmailUnreadable => Self::EmailUnreadable,
            order::OrderFlag::AddressUnreadable => Self::AddressUnreadable,
            order::OrderFlag::CountryUnknown => Self::CountryUnknown,
            order::OrderFlag::PlacedAtUnreadable => Self::PlacedAtUnreadable,
            order::OrderFlag::DeliverByUnreadable => Self::DeliverByUnreadable,
            order::OrderFlag::CancelledAtUnreadable => Self::CancelledAtUnreadable,
            order::OrderFlag::ShippingServiceUnreadable => Self::ShippingServiceUnreadable,
        }
    }
}

/// The answer of `/healthz` (`ok`) and `/readyz` (`ready`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The process is up.
    Ok,
    /// The store answers.
    Ready,
}

#[cfg(test)]
mod tests {
    use orderbridge_domain::order;
    use orderbridge_domain::outbox;
    use orderbridge_domain::values::{CancellationId, FulfillmentId, RefundId};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use uuid::Uuid;

    use super::{
        CancelReason, DeliveryKind, DeliveryState, EventType, OrderFlag, OrderStatus, RefundReason,
    };

    fn wire<T: Serialize>(value: T) -> String {
        serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    fn read<T: DeserializeOwned>(name: &str) -> Option<T> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }

    #[test]
    fn order_statuses_are_written_with_the_domain_names() {
        for status in order::OrderStatus::ALL {
            assert_eq!(wire(OrderStatus::from(status)), status.as_str());
        }
    }

    #[test]
    fn delivery_states_and_kinds_are_written_with_the_domain_names() {
        for state in outbox::DeliveryState::ALL {
            assert_eq!(wire(DeliveryState::from(state)), state.as_str());
        }
        let id = Uuid::nil();
        let kinds = [
            outbox::DeliveryKind::Confirm,
            outbox::DeliveryKind::Fulfillment(FulfillmentId::from_uuid(id)),
            outbox::DeliveryKind::OrderFulfillment,
            outbox::DeliveryKind::Cancellation(CancellationId::from_uuid(id)),
            outbox::DeliveryKind::Refund {
                refund: RefundId::from_uuid(id),
                line: None,
            },
        ];
        for kind in kinds {
            assert_eq!(wire(DeliveryKind::from(&kind)), kind.name());
        }
    }

    #[test]
    fn event_types_are_written_with_the_domain_names() {
        for kind in order::EventType::ALL {
            assert_eq!(wire(EventType::from(kind)), kind.as_str());
        }
    }

    #[test]
    fn order_flags_are_written_with_the_domain_names() {
        for flag in order::OrderFlag::ALL {
            assert_eq!(wire(OrderFlag::from(flag)), flag.as_str());
        }
    }

    #[test]
    fn reasons_are_read_and_written_with_the_domain_names() {
        for reason in order::CancelReason::ALL {
            assert_eq!(wire(CancelReason::from(reason)), reason.as_str());
            let parsed = read::<CancelReason>(reason.as_str()).map(order::CancelReason::from);
            assert_eq!(parsed, Some(reason));
        }
        for reason in order::RefundReason::ALL {
            assert_eq!(wire(RefundReason::from(reason)), reason.as_str());
            let parsed = read::<RefundReason>(reason.as_str()).map(order::RefundReason::from);
            assert_eq!(parsed, Some(reason));
        }
        assert_eq!(read::<CancelReason>("bored"), None);
    }
}
