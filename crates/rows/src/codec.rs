//! Conversions between domain values and column values that both stores use: counts and
//! positions as integers, enums by name, the address as a JSON document, an order's flags as
//! comma-separated names.

use orderbridge_domain::order::{CancelReason, EventType, OrderFlag, RefundReason};
use orderbridge_domain::outbox::{DeliveryKind, DeliveryState};
use orderbridge_domain::ports::store::StoreError;
use orderbridge_domain::values::{Address, CountryCode, InvalidValue, LineNo};
use serde_json::{Map, Value, json};

/// A count as an integer column. Domain counts are capped far below `i32::MAX`.
#[must_use]
pub fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A position in a list (of an order's children, of a child's lines) as an integer column.
#[must_use]
pub fn position(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

/// An integer column as a count.
///
/// # Errors
/// [`StoreError`] when the stored value is negative.
pub fn count(value: i32, column: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::msg(format!("negative {column}: {value}")))
}

/// A stored value failed to parse: the row is corrupt.
pub fn corrupt(column: &'static str) -> impl FnOnce(InvalidValue) -> StoreError {
    move |e| StoreError::with_source(format!("corrupt value in column {column}"), e)
}

pub(crate) fn line_no(value: i32) -> Result<LineNo, StoreError> {
    LineNo::new(count(value, "line_no")?).map_err(corrupt("line_no"))
}

pub(crate) fn cancel_reason(value: &str) -> Result<CancelReason, StoreError> {
    CancelReason::parse(value).map_err(corrupt("reason"))
}

pub(crate) fn refund_reason(value: &str) -> Result<RefundReason, StoreError> {
    RefundReason::parse(value).map_err(corrupt("reason"))
}

pub(crate) fn event_type(value: &str) -> Result<EventType, StoreError> {
    EventType::parse(value).map_err(corrupt("kind"))
}

pub(crate) fn delivery_state(value: &str) -> Result<DeliveryState, StoreError> {
    DeliveryState::parse(value).map_err(corrupt("state"))
}

pub(crate) fn delivery_kind(
    name: &str,
    subject: Option<uuid::Uuid>,
    line: Option<i32>,
) -> Result<DeliveryKind, StoreError> {
    let line = line.map(line_no).transpose()?;
    DeliveryKind::from_parts(name, subject, line).map_err(corrupt("kind"))
}

/// An order's flags as their names, comma-separated (`""` for none).
#[must_use]
pub fn flags_to_text(flags: &[OrderFlag]) -> String {
    let names: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
    names.join(",")
}

/// An order's flags from their comma-separated names.
///
/// # Errors
/// [`StoreError`] when a name is not a known flag.
pub fn flags_from_text(text: &str) -> Result<Vec<OrderFlag>, StoreError> {
    text.split(',')
        .filter(|name| !name.is_empty())
        .map(|name| OrderFlag::parse(name).map_err(corrupt("flags")))
        .collect()
}

/// The address as a JSON document.
#[must_use]
pub fn address_to_json(address: &Address) -> Value {
    json!({
        "first_name": address.first_name,
        "last_name": address.last_name,
        "full_name": address.full_name,
        "company": address.company,
        "address1": address.address1,
        "address2": address.address2,
        "address3": address.address3,
        "city": address.city,
        "province": address.province,
        "zip": address.zip,
        "country_code": address.country_code.map(|c| c.as_str().to_owned()),
        "country_name": address.country_name,
        "country_code_alpha3": address.country_code_alpha3,
        "phone": address.phone,
    })
}

/// The address from its JSON document.
///
/// # Errors
/// [`StoreError`] when the stored country code does not parse.
pub fn address_from_json(value: &Value) -> Result<Address, StoreError> {
    let empty = Map::new();
    let fields = value.as_object().unwrap_or(&empty);
    let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(Address {
        first_name: text("first_name"),
        last_name: text("last_name"),
        full_name: text("full_name"),
        company: text("company"),
        address1: text("address1"),
        address2: text("address2"),
        address3: text("address3"),
        city: text("city"),
        province: text("province"),
        zip: text("zip"),
        country_code: text("country_code")
            .map(|c| CountryCode::parse(&c))
            .transpose()
            .map_err(corrupt("shipping_address"))?,
        country_name: text("country_name"),
        country_code_alpha3: text("country_code_alpha3"),
        phone: text("phone"),
    })
}
