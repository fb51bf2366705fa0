//! One line of a [`SandboxOrder`](crate::feedamp::SandboxOrder), built field by field: money
//! as exact decimal text, emitted as bare JSON numbers.

use serde_json::{Map, Value};

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
