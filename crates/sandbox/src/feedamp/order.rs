//! The orders a test or demo puts into the fake FeedAMP, built field by field: [`SandboxOrder`]
//! and its lines ([`SandboxLine`]), money as exact decimal text. Their v1 JSON is written by
//! `wire::order`.

use std::collections::HashSet;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};

/// Why an order could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddOrderError {
    /// The order has no lines.
    #[error("an order needs at least one line")]
    NoLines,
    /// A line's SKU is empty.
    #[error("line {line}: the SKU is empty")]
    EmptySku {
        /// The line's index, from 0.
        line: usize,
    },
    /// A line's quantity is 0.
    #[error("line {line}: the quantity is 0")]
    ZeroQuantity {
        /// The line's index, from 0.
        line: usize,
    },
    /// A money value is not plain non-negative decimal text such as `19.99` or `200`.
    #[error("{field} {text:?} is not a plain non-negative decimal such as 19.99 or 200")]
    InvalidMoney {
        /// The field (with the line index for line fields).
        field: String,
        /// The text given.
        text: String,
    },
    /// Two lines share an `mp_line_number`.
    #[error("two lines have the mp_line_number {0:?}")]
    DuplicateLineNumber(String),
    /// The id is empty or holds characters other than ASCII letters, digits, `-` and `_`.
    #[error("the order id {0:?} must be non-empty ASCII letters, digits, `-` or `_`")]
    InvalidId(String),
    /// An order with this id is already in the sandbox.
    #[error("an order with id {0:?} is already in the sandbox")]
    DuplicateId(String),
    /// The currency is not three capital letters.
    #[error("the currency {0:?} is not an ISO 4217 code such as USD")]
    InvalidCurrency(String),
}

/// A v1 order to add to the fake FeedAMP, built field by field. Unset fields get plain
/// defaults (an Amazon US order in USD to a made-up address); the id and `cp_order_number` are
/// assigned by the sandbox when not set.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxOrder {
    pub(crate) id: Option<String>,
    pub(crate) mp_order_number: Option<String>,
    pub(crate) customer_order_number: Option<String>,
    pub(crate) cp_order_number: Option<String>,
    pub(crate) integration_name: String,
    pub(crate) marketplace_name: String,
    pub(crate) marketplace_state: String,
    pub(crate) purchase_date: DateTime<Utc>,
    pub(crate) latest_ship_date: Option<DateTime<Utc>>,
    pub(crate) currency: String,
    pub(crate) shipping_full_name: String,
    pub(crate) shipping_address1: String,
    pub(crate) shipping_city: String,
    pub(crate) shipping_state: String,
    pub(crate) shipping_postal_code: String,
    pub(crate) shipping_country_code: String,
    pub(crate) shipping_phone: String,
    pub(crate) customer_email: String,
    pub(crate) lines: Vec<SandboxLine>,
    pub(crate) extra: Map<String, Value>,
    pub(crate) extra_info: Map<String, Value>,
}

impl Default for SandboxOrder {
    fn default() -> Self {
        Self::new()
    }
}

impl SandboxOrder {
    /// An order with no lines yet (add at least one with [`SandboxOrder::line`]).
    #[must_use]
    pub fn new() -> Self {
        let purchase_date = Utc
            .with_ymd_and_hms(2025, 1, 1, 12, 0, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH);
        Self {
            id: None,
            mp_order_number: None,
            customer_order_number: None,
            cp_order_number: None,
            integration_name: "amazon".to_owned(),
            marketplace_name: "amazon_us".to_owned(),
            marketplace_state: "AWAITING_SHIPMENT".to_owned(),
            purchase_date,
            latest_ship_date: None,
            currency: "USD".to_owned(),
            shipping_full_name: "Jane Doe".to_owned(),
            shipping_address1: "1 Main Street".to_owned(),
            shipping_city: "Anytown".to_owned(),
            shipping_state: "CA".to_owned(),
            shipping_postal_code: "90001".to_owned(),
            shipping_country_code: "USA".to_owned(),
            shipping_phone: "555-555-0100".to_owned(),
            customer_email: "jane.doe@example.com".to_owned(),
            lines: Vec::new(),
            extra: Map::new(),
            extra_info: Map::new(),
        }
    }

    /// The FeedAMP order id (FeedAMP's are 18-digit strings).
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The marketplace's order number (default: derived from the id).
    #[must_use]
    pub fn mp_order_number(mut self, number: impl Into<String>) -> Self {
        self.mp_order_number = Some(number.into());
        self
    }

    /// The customer-facing order number (default: the marketplace's order number).
    #[must_use]
    pub fn customer_order_number(mut self, number: impl Into<String>) -> Self {
        self.customer_order_number = Some(number.into());
        self
    }

    /// The `cp_order_number` (default: assigned by the sandbox).
    #[must_use]
    pub fn cp_order_number(mut self, number: impl Into<String>) -> Self {
        self.cp_order_number = Some(number.into());
        self
    }

    /// The integration and marketplace names, e.g. `amazon` and `amazon_uk`.
    #[must_use]
    pub fn marketplace(
        mut self,
        integration_name: impl Into<String>,
        marketplace_name: impl Into<String>,
    ) -> Self {
        self.integration_name = integration_name.into();
        self.marketplace_name = marketplace_name.into();
        self
    }

    /// The marketplace's own state (default `AWAITING_SHIPMENT`).
    #[must_use]
    pub fn marketplace_state(mut self, state: impl Into<String>) -> Self {
        self.marketplace_state = state.into();
        self
    }

    /// When the customer bought.
    #[must_use]
    pub fn purchase_date(mut self, at: DateTime<Utc>) -> Self {
        self.purchase_date = at;
        self
    }

    /// The marketplace's ship-by deadline, `latest_ship_date` (default none, served as `""`).
    #[must_use]
    pub fn latest_ship_date(mut self, at: DateTime<Utc>) -> Self {
        self.latest_ship_date = Some(at);
        self
    }

    /// The ISO 4217 currency (default `USD`).
    #[must_use]
    pub fn currency(mut self, currency: impl Into<String>) -> Self {
        self.currency = currency.into();
        self
    }

    /// The shipping address; `country_code` is 3-letter, like FeedAMP's `USA`.
    #[must_use]
    pub fn ship_to(
        mut self,
        full_name: impl Into<String>,
        address1: impl Into<String>,
        city: impl Into<String>,
        state: impl Into<String>,
        postal_code: impl Into<String>,
        country_code: impl Into<String>,
    ) -> Self {
        self.shipping_full_name = full_name.into();
        self.shipping_address1 = address1.into();
        self.shipping_city = city.into();
        self.shipping_state = state.into();
        self.shipping_postal_code = postal_code.into();
        self.shipping_country_code = country_code.into();
        self
    }

    /// The shipping phone number.
    #[must_use]
    pub fn shipping_phone(mut self, phone: impl Into<String>) -> Self {
        self.shipping_phone = phone.into();
        self
    }

    /// The customer's email address.
    #[must_use]
    pub fn customer_email(mut self, email: impl Into<String>) -> Self {
        self.customer_email = email.into();
        self
    }

    /// Adds a line.
    #[must_use]
    pub fn line(mut self, line: SandboxLine) -> Self {
        self.lines.push(line);
        self
    }

    /// A top-level field the documents do not name (`id`, `state`, `acknowledged` and
    /// `marketplace_state` stay the sandbox's own; any other known name is replaced).
    #[must_use]
    pub fn extra_field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }

    /// A field in `order_info` the documents do not name (a known name is replaced).
    #[must_use]
    pub fn extra_info_field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra_info.insert(key.into(), value);
        self
    }

    /// The id set, if any.
    #[must_use]
    pub fn order_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The lines, in order.
    #[must_use]
    pub fn lines(&self) -> &[SandboxLine] {
        &self.lines
    }

    /// The currency.
    #[must_use]
    pub fn currency_code(&self) -> &str {
        &self.currency
    }

    /// True when two lines share a SKU.
    #[must_use]
    pub fn has_repeated_sku(&self) -> bool {
        let mut seen = HashSet::new();
        self.lines
            .iter()
            .any(|line| !seen.insert(line.sku.as_str()))
    }

    /// True when the order, its `order_info` or a line carries an undocumented field.
    #[must_use]
    pub fn has_extra_fields(&self) -> bool {
        !self.extra.is_empty()
            || !self.extra_info.is_empty()
            || self.lines.iter().any(SandboxLine::has_extra_fields)
    }
}

/// One order line. Money is given as exact decimal text and emitted as a bare JSON number.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxLine {
    pub(crate) mp_line_number: Option<String>,
    pub(crate) sku: String,
    pub(crate) product_name: String,
    pub(crate) quantity: u32,
    pub(crate) unit_price: String,
    pub(crate) sales_tax: String,
    pub(crate) shipping_method: String,
    pub(crate) shipping_price: String,
    pub(crate) shipping_tax: String,
    pub(crate) discount: String,
    pub(crate) shipping_discount: String,
    pub(crate) extra: Map<String, Value>,
}

impl SandboxLine {
    /// A line of `quantity` units of `sku` at `unit_price` (decimal text such as `"19.99"`);
    /// every other amount 0, shipping method `Standard`, `mp_line_number` numbered by position
    /// (`"1"`, `"2"`, ..) unless set.
    #[must_use]
    pub fn new(sku: impl Into<String>, quantity: u32, unit_price: impl Into<String>) -> Self {
        let sku = sku.into();
        Self {
            mp_line_number: None,
            product_name: format!("Product {sku}"),
            sku,
            quantity,
            unit_price: unit_price.into(),
            sales_tax: "0".to_owned(),
            shipping_method: "Standard".to_owned(),
            shipping_price: "0".to_owned(),
            shipping_tax: "0".to_owned(),
            discount: "0".to_owned(),
            shipping_discount: "0".to_owned(),
            extra: Map::new(),
        }
    }

    /// The marketplace's line id.
    #[must_use]
    pub fn mp_line_number(mut self, number: impl Into<String>) -> Self {
        self.mp_line_number = Some(number.into());
        self
    }

    /// The product name.
    #[must_use]
    pub fn product_name(mut self, name: impl Into<String>) -> Self {
        self.product_name = name.into();
        self
    }

    /// The line's sales tax (decimal text, the line total).
    #[must_use]
    pub fn sales_tax(mut self, amount: impl Into<String>) -> Self {
        self.sales_tax = amount.into();
        self
    }

    /// The shipping method (free text, e.g. `FedEx`).
    #[must_use]
    pub fn shipping_method(mut self, method: impl Into<String>) -> Self {
        self.shipping_method = method.into();
        self
    }

    /// The line's shipping price (decimal text).
    #[must_use]
    pub fn shipping_price(mut self, amount: impl Into<String>) -> Self {
        self.shipping_price = amount.into();
        self
    }

    /// The line's shipping tax (decimal text).
    #[must_use]
    pub fn shipping_tax(mut self, amount: impl Into<String>) -> Self {
        self.shipping_tax = amount.into();
        self
    }

    /// The line's discount (decimal text).
    #[must_use]
    pub fn discount(mut self, amount: impl Into<String>) -> Self {
        self.discount = amount.into();
        self
    }

    /// The line's shipping discount (decimal text).
    #[must_use]
    pub fn shipping_discount(mut self, amount: impl Into<String>) -> Self {
        self.shipping_discount = amount.into();
        self
    }

    /// A field FeedAMP's documents do not name (or a known one, whose value it replaces), to
    /// test a client's tolerance of additive changes.
    #[must_use]
    pub fn extra(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }

    /// The SKU.
    #[must_use]
    pub fn sku(&self) -> &str {
        &self.sku
    }

    /// The units ordered.
    #[must_use]
    pub fn quantity(&self) -> u32 {
        self.quantity
    }

    /// The unit price as given.
    #[must_use]
    pub fn unit_price(&self) -> &str {
        &self.unit_price
    }

    /// The `mp_line_number` set, if any (otherwise the position numbers the line).
    #[must_use]
    pub fn line_number(&self) -> Option<&str> {
        self.mp_line_number.as_deref()
    }

    /// Whether the line carries fields beyond the documented ones.
    #[must_use]
    pub fn has_extra_fields(&self) -> bool {
        !self.extra.is_empty()
    }
}
