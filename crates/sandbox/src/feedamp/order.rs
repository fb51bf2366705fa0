//! The orders a test or demo puts into the fake FeedAMP ([`SandboxOrder`], with lines from
//! `line.rs`) and their v1 JSON (reference §4.3): ids as strings, money as bare JSON numbers written from exact
//! decimal text, dates as `2018-05-01T23:52:01.000Z`.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value, json};

use crate::feedamp::line::SandboxLine;
use crate::feedamp::money::money_number;

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
    id: Option<String>,
    mp_order_number: Option<String>,
    customer_order_number: Option<String>,
    cp_order_number: Option<String>,
    integration_name: String,
    marketplace_name: String,
    marketplace_state: String,
    purchase_date: DateTime<Utc>,
    currency: String,
    shipping_full_name: String,
    shipping_address1: String,
    shipping_city: String,
    shipping_state: String,
    shipping_postal_code: String,
    shipping_country_code: String,
    shipping_phone: String,
    customer_email: String,
    lines: Vec<SandboxLine>,
    extra: Map<String, Value>,
    extra_info: Map<String, Value>,
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

    /// Checks the order and builds its JSON under `id` (`state` is set when rendered).
    pub(crate) fn build(self, id: String, cp_default: String) -> Result<BuiltOrder, AddOrderError> {
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(AddOrderError::InvalidId(id));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(AddOrderError::InvalidCurrency(self.currency));
        }
        if self.lines.is_empty() {
            return Err(AddOrderError::NoLines);
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        let mut line_json = Vec::with_capacity(self.lines.len());
        let mut numbers = HashSet::new();
        for (index, line) in self.lines.into_iter().enumerate() {
            let number = line
                .mp_line_number
                .clone()
                .unwrap_or_else(|| (index + 1).to_string());
            if !numbers.insert(number.clone()) {
                return Err(AddOrderError::DuplicateLineNumber(number));
            }
            if line.sku.trim().is_empty() {
                return Err(AddOrderError::EmptySku { line: index });
            }
            if line.quantity == 0 {
                return Err(AddOrderError::ZeroQuantity { line: index });
            }
            let money = |field: &str, text: &str| {
                money_number(text).ok_or_else(|| AddOrderError::InvalidMoney {
                    field: format!("order_lines[{index}].{field}"),
                    text: text.to_owned(),
                })
            };
            let mut object = Map::new();
            object.insert("mp_line_number".into(), json!(number));
            object.insert("sku".into(), json!(line.sku));
            object.insert("product_name".into(), json!(line.product_name));
            object.insert("quantity".into(), json!(line.quantity));
            for (field, text) in [
                ("unit_price", &line.unit_price),
                ("sales_tax", &line.sales_tax),
                ("shipping_price", &line.shipping_price),
                ("shipping_tax", &line.shipping_tax),
                ("discount", &line.discount),
                ("shipping_discount", &line.shipping_discount),
            ] {
                object.insert(field.into(), Value::Number(money(field, text)?));
            }
            object.insert("shipping_method".into(), json!(line.shipping_method));
            object.insert("discount_name".into(), json!(""));
            object.insert("shipping_discount_name".into(), json!(""));
            object.extend(line.extra);
            lines.push((number, u64::from(line.quantity)));
            line_json.push(Value::Object(object));
        }
        let mp_order_number = self.mp_order_number.unwrap_or_else(|| format!("MP-{id}"));
        let customer_order_number = self
            .customer_order_number
            .unwrap_or_else(|| mp_order_number.clone());
        let cp_order_number = self.cp_order_number.unwrap_or(cp_default);
        let mut info = Map::new();
        for (key, value) in [
            ("mp_order_number", json!(mp_order_number)),
            ("customer_order_number", json!(customer_order_number)),
            ("cp_order_number", json!(cp_order_number)),
            ("marketplace_name", json!(self.marketplace_name)),
            ("purchase_date", json!(v1_date(self.purchase_date))),
            ("currency", json!(self.currency)),
            ("shipping_full_name", json!(self.shipping_full_name)),
            ("shipping_address1", json!(self.shipping_address1)),
            ("shipping_city", json!(self.shipping_city)),
            ("shipping_state", json!(self.shipping_state)),
            ("shipping_postal_code", json!(self.shipping_postal_code)),
            ("shipping_country_code", json!(self.shipping_country_code)),
            ("shipping_phone", json!(self.shipping_phone)),
            ("customer_email", json!(self.customer_email)),
            ("order_lines", Value::Array(line_json)),
        ] {
            info.insert(key.to_owned(), value);
        }
        info.extend(self.extra_info);
        let mut top = Map::new();
        top.insert("integration_name".into(), json!(self.integration_name));
        top.insert("paused".into(), json!(0));
        top.extend(self.extra);
        top.insert("id".into(), json!(id));
        top.insert("order_info".into(), Value::Object(info));
        let raw = json!({
            "marketplace": self.marketplace_name,
            "marketplace_order_id": mp_order_number,
            "order_status": "Unshipped",
        });
        Ok(BuiltOrder {
            id,
            cp_order_number,
            currency: self.currency,
            marketplace_state: self.marketplace_state,
            lines,
            json: top,
            raw,
        })
    }
}

/// An order that passed the checks, with what the routes need to answer about it.
#[derive(Debug, Clone)]
pub(crate) struct BuiltOrder {
    pub(crate) id: String,
    pub(crate) cp_order_number: String,
    pub(crate) currency: String,
    pub(crate) marketplace_state: String,
    /// `(mp_line_number, quantity)` per line, in order.
    pub(crate) lines: Vec<(String, u64)>,
    /// The order object without `state`, `marketplace_state` and `acknowledged`.
    pub(crate) json: Map<String, Value>,
    /// What `include_raw=true` attaches as `raw_data`.
    pub(crate) raw: Value,
}

/// v1's date format: UTC with milliseconds and a `Z` (`2018-05-01T23:52:01.000Z`).
pub(crate) fn v1_date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::SandboxOrder;
    use crate::feedamp::line::SandboxLine;

    #[test]
    fn a_line_without_a_number_is_numbered_by_position() {
        let order = SandboxOrder::new()
            .line(SandboxLine::new("A", 1, "1"))
            .line(SandboxLine::new("B", 2, "2.5"));
        let built = order.build("1".into(), "9".into()).unwrap();
        assert_eq!(built.lines, [("1".to_owned(), 1), ("2".to_owned(), 2)]);
    }

    #[test]
    fn bad_money_is_refused_with_its_field() {
        let order = SandboxOrder::new().line(SandboxLine::new("A", 1, "1,50"));
        let error = order.build("1".into(), "9".into()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "order_lines[0].unit_price \"1,50\" is not a plain non-negative decimal such as 19.99 or 200"
        );
    }
}
