//! The v1 order object (reference §4.3) of an order put into the fake FeedAMP: ids as strings,
//! money as bare JSON numbers written from exact decimal text, dates as
//! `2018-05-01T23:52:01.000Z`; and the checks an order passes before it is added.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::feedamp::order::{AddOrderError, SandboxLine, SandboxOrder};
use crate::feedamp::wire::money_number;

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

impl SandboxOrder {
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
            lines.push((number.clone(), u64::from(line.quantity)));
            line_json.push(line_object(index, number, line)?);
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
            (
                "latest_ship_date",
                json!(self.latest_ship_date.map(v1_date).unwrap_or_default()),
            ),
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

/// Line `index` (numbered `number`) as a v1 order line, after its checks.
fn line_object(index: usize, number: String, line: SandboxLine) -> Result<Value, AddOrderError> {
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
    Ok(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use crate::feedamp::order::{SandboxLine, SandboxOrder};

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
