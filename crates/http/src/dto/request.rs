//! The warehouse API's request bodies and their conversion into the domain's requests. The
//! schema of each field states what the conversion accepts (lengths, ranges, patterns), so that
//! a request the document calls valid is not refused for its shape.

use orderbridge_domain::order::{
    CancelScope, CancellationRequest, FulfillmentRequest, RefundLineRequest, RefundReference,
    RefundRequest,
};
use orderbridge_domain::values::{Carrier, Currency, LineNo, Money, TrackingNumber, TrackingUrl};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};

use crate::dto::enums::{CancelReason, RefundReason};
use crate::dto::fields::{at_most, invalid, note, sku_quantities, time};
use crate::error::ApiError;

/// Units of a SKU, in a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SkuQuantity {
    /// The SKU, as on the order.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub sku: String,
    /// Units, at least 1.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: i64,
}

/// `POST /v1/orders/{id}/fulfillments`: one package.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FulfillmentIn {
    /// The package's tracking number (used once per order).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub tracking_number: String,
    /// The carrier; some marketplaces require it.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub carrier: Option<String>,
    /// An http(s) URL where the package can be tracked.
    #[schema(
        min_length = 8,
        max_length = 2048,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#\\x00-\\x1F\\x7F-\\x9F][^\\s\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub tracking_url: Option<String>,
    /// When the package left; defaults to now. RFC 3339 with an offset.
    #[schema(format = DateTime)]
    pub shipped_at: Option<String>,
    /// Units shipped, by SKU; units of a SKU on several lines fill them in line order.
    #[schema(min_items = 1, max_items = 1000)]
    pub line_items: Vec<SkuQuantity>,
}

impl FulfillmentIn {
    /// The domain's request, each invalid field answered 400 naming it.
    pub fn to_request(&self) -> Result<FulfillmentRequest, ApiError> {
        Ok(FulfillmentRequest {
            tracking_number: TrackingNumber::parse(&self.tracking_number)
                .map_err(invalid("tracking_number"))?,
            carrier: self
                .carrier
                .as_deref()
                .map(|c| Carrier::parse(c).map_err(invalid("carrier")))
                .transpose()?,
            tracking_url: self
                .tracking_url
                .as_deref()
                .map(|u| TrackingUrl::parse(u).map_err(invalid("tracking_url")))
                .transpose()?,
            lines: sku_quantities(at_most("line_items", &self.line_items)?)?,
            shipped_at: self
                .shipped_at
                .as_deref()
                .map(|t| time("shipped_at", t))
                .transpose()?,
        })
    }
}

/// `POST /v1/orders/{id}/cancellations`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CancellationIn {
    /// Why the units are cancelled.
    pub reason: CancelReason,
    /// Units to cancel by SKU; leave out to cancel everything not yet shipped.
    #[schema(min_items = 1, max_items = 1000)]
    pub line_items: Option<Vec<SkuQuantity>>,
    /// A note kept with the cancellation: tab and newline allowed, no other control character.
    #[schema(max_length = 2000, pattern = "^[^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*$")]
    pub note: Option<String>,
}

impl CancellationIn {
    /// The domain's request, each invalid field answered 400 naming it.
    pub fn to_request(&self) -> Result<CancellationRequest, ApiError> {
        Ok(CancellationRequest {
            reason: self.reason.into(),
            scope: match &self.line_items {
                None => CancelScope::WholeOrder,
                Some(items) => CancelScope::Lines(sku_quantities(at_most("line_items", items)?)?),
            },
            note: note(self.note.as_deref())?,
        })
    }
}

/// A refund amount: more than zero, as a decimal string or an exact JSON number.
fn amount_schema() -> Schema {
    let text = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(
            "^([1-9][0-9]{0,15}(\\.[0-9]{1,12})?|0\\.[0-9]{0,11}[1-9][0-9]{0,11})$",
        ))
        .examples(["12.34"]);
    let number = ObjectBuilder::new()
        .schema_type(Type::Number)
        .exclusive_minimum(Some(0))
        .maximum(Some(1_000_000_000_000_000_i64));
    Schema::OneOf(
        OneOfBuilder::new()
            .item(text)
            .item(number)
            .description(Some(
                "The amount, more than zero, as a decimal string such as \"12.34\" (a JSON \
                 number is read exactly too).",
            ))
            .build(),
    )
}

/// One line of a refund request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RefundLineIn {
    /// The order line's number (`lines[].line` of the order).
    #[schema(minimum = 1, maximum = 4_294_967_295_i64)]
    pub line: i64,
    /// Units refunded (0 for a money-only refund).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 4_294_967_295_i64)]
    pub quantity: i64,
    /// The amount, more than zero, as a decimal string such as "12.34" (a JSON number is read
    /// exactly too).
    #[schema(schema_with = amount_schema)]
    pub amount: Decimal,
}

/// `POST /v1/orders/{id}/refunds`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RefundIn {
    /// Your own id for this refund: sending it again with the same lines is a harmless replay.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub reference: Option<String>,
    /// Why the money is refunded.
    pub reason: RefundReason,
    /// The currency of the amounts (ISO 4217); defaults to the order's, and must equal it.
    #[schema(pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    /// A note kept with the refund: tab and newline allowed, no other control character.
    #[schema(max_length = 2000, pattern = "^[^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*$")]
    pub note: Option<String>,
    /// Per-line amounts; each line at most once.
    #[schema(min_items = 1, max_items = 1000)]
    pub lines: Vec<RefundLineIn>,
}

impl RefundIn {
    /// The domain's request, with amounts in `order_currency` unless `currency` names another.
    pub fn to_request(&self, order_currency: Currency) -> Result<RefundRequest, ApiError> {
        let currency = match self.currency.as_deref() {
            Some(c) => Currency::parse(c).map_err(invalid("currency"))?,
            None => order_currency,
        };
        let lines = at_most("lines", &self.lines)?
            .iter()
            .enumerate()
            .map(|(i, l)| l.to_request(i, currency))
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(RefundRequest {
            reference: self
                .reference
                .as_deref()
                .map(|r| RefundReference::parse(r).map_err(invalid("reference")))
                .transpose()?,
            reason: self.reason.into(),
            note: note(self.note.as_deref())?,
            lines,
        })
    }
}

impl RefundLineIn {
    /// The domain's line; `index` names it in errors.
    fn to_request(&self, index: usize, currency: Currency) -> Result<RefundLineRequest, ApiError> {
        let line = u32::try_from(self.line)
            .ok()
            .and_then(|n| LineNo::new(n).ok())
            .ok_or_else(|| {
                ApiError::bad_request(
                    "Invalid Refund",
                    format!("lines[{index}].line: must be a line number from 1"),
                )
            })?;
        let quantity = u32::try_from(self.quantity).map_err(|_| {
            ApiError::bad_request(
                "Invalid Refund",
                format!("lines[{index}].quantity: must be 0 or more"),
            )
        })?;
        Ok(RefundLineRequest {
            line,
            quantity,
            amount: Money::new(self.amount, currency),
        })
    }
}
