//! Small builders for orders and channels in tests.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::order::{NewLine, NewOrder, Totals};
use crate::ports::marketplace::{
    CancellationSupport, Capabilities, FulfillmentMode, RefundSupport,
};
use crate::services::Channels;
use crate::values::{ChannelId, Currency, ExternalOrderId, InvalidValue, Quantity, Sku};

/// What ADM can do: no confirmation, one call per shipment, no cancellation or refund endpoint.
#[must_use]
pub fn adm_capabilities() -> Capabilities {
    Capabilities {
        confirms_orders: false,
        fulfillment: FulfillmentMode::PerShipment,
        cancellations: CancellationSupport::None,
        refunds: RefundSupport::None,
        requires_carrier: false,
    }
}

/// What FeedAMP v1 can do: confirm, one whole-order fulfil call carrying cancellations, refunds
/// one line per call, a carrier on every shipment.
#[must_use]
pub fn feedamp_capabilities() -> Capabilities {
    Capabilities {
        confirms_orders: true,
        fulfillment: FulfillmentMode::WholeOrder,
        cancellations: CancellationSupport::InWholeOrderFulfillment,
        refunds: RefundSupport::PerLine,
        requires_carrier: true,
    }
}

/// Channels `adm` and `feedamp` with the capabilities above.
#[must_use]
pub fn test_channels() -> Channels {
    let mut channels = Channels::new();
    if let Ok(adm) = ChannelId::parse("adm") {
        channels = channels.with(adm, adm_capabilities());
    }
    if let Ok(feedamp) = ChannelId::parse("feedamp") {
        channels = channels.with(feedamp, feedamp_capabilities());
    }
    channels
}

/// A new order on `channel` with lines of `(sku, quantity, unit price)`, in USD, with a total
/// equal to what the lines add up to.
///
/// # Errors
/// [`InvalidValue`] when an argument is not a valid value.
pub fn new_order(
    channel: &str,
    external_id: &str,
    lines: &[(&str, u32, &str)],
) -> Result<NewOrder, InvalidValue> {
    let bad_price = InvalidValue::Malformed {
        what: "price",
        expected: "a decimal number",
    };
    let mut parsed = Vec::with_capacity(lines.len());
    let mut total = Decimal::ZERO;
    for (sku, quantity, price) in lines {
        let unit_price = Decimal::from_str(price).map_err(|_| bad_price.clone())?;
        total += unit_price * Decimal::from(*quantity);
        parsed.push(NewLine {
            sku: Sku::parse(sku)?,
            quantity: Quantity::new(*quantity)?,
            unit_price,
            total_discount: Decimal::ZERO,
            total_tax: Decimal::ZERO,
            external_line_id: None,
            title: None,
        });
    }
    Ok(NewOrder {
        channel: ChannelId::parse(channel)?,
        external_id: ExternalOrderId::parse(external_id)?,
        currency: Currency::USD,
        placed_at: DateTime::<Utc>::from_timestamp(1_703_067_330, 0).unwrap_or_default(),
        deliver_by: None,
        email: None,
        shipping_address: None,
        shipping_service: None,
        totals: Totals {
            total: Some(total),
            ..Totals::default()
        },
        lines: parsed,
        raw_payload: None,
        flags: Vec::new(),
    })
}
