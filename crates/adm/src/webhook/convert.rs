//! From the wire DTO to the domain's `NewOrder`: ids, SKUs, quantities, exact prices, UTC
//! times, email and address, each failure naming its field path.

use std::fmt::Display;

use chrono::{DateTime, FixedOffset, Utc};
use orderbridge_domain::order::{NewLine, NewOrder, Order, Totals};
use orderbridge_domain::values::{
    Address, CountryCode, Email, ExternalOrderId, InvalidValue, Quantity, Sku,
};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::webhook::dto::{AddressDto, LineDto, Object, OrderDto};
use crate::webhook::{INVALID_ORDER, INVALID_SKU_OR_QUANTITY, WebhookRejection, WebhookSettings};

/// A rejection titled [`INVALID_ORDER`].
fn invalid(message: String) -> WebhookRejection {
    WebhookRejection::new(INVALID_ORDER, message)
}

/// A rejection titled [`INVALID_SKU_OR_QUANTITY`].
fn invalid_line(message: String) -> WebhookRejection {
    WebhookRejection::new(INVALID_SKU_OR_QUANTITY, message)
}

/// A domain value error, with the field path in place of the value's name.
fn describe(path: &dyn Display, error: &InvalidValue) -> String {
    match error {
        InvalidValue::Empty { .. } => format!("{path} must not be empty"),
        InvalidValue::TooLong { max, .. } => format!("{path} must be at most {max} characters"),
        InvalidValue::NotPrintable { .. } => {
            format!("{path} must not contain control characters")
        }
        InvalidValue::Malformed { expected, .. } => format!("{path} must be {expected}"),
        InvalidValue::OutOfRange { range, .. } => format!("{path} must be {range}"),
    }
}

pub(super) fn new_order(
    dto: OrderDto,
    raw: &str,
    settings: &WebhookSettings,
    received_at: DateTime<Utc>,
) -> Result<NewOrder, WebhookRejection> {
    let external_id = external_id(dto.id.as_ref())?;
    let lines = lines(dto.line_items)?;
    let placed_at = timestamp("created_at", dto.created_at.as_deref())?.unwrap_or(received_at);
    let deliver_by = timestamp("deliver_by", dto.deliver_by.as_deref())?;
    // Checked so that a garbled value is reported, but not kept: a new order is not cancelled
    // by its create webhook, and the domain records cancellations through the warehouse API.
    timestamp("cancelled_at", dto.cancelled_at.as_deref())?;
    let email = email(dto.email.as_deref())?;
    let shipping_address = dto
        .shipping_address
        .map(|Object(a)| address(a))
        .transpose()?
        .flatten();
    let totals = Totals {
        subtotal: decimal("subtotal_price", dto.subtotal_price.as_ref())?,
        discounts: decimal("total_discounts", dto.total_discounts.as_ref())?,
        shipping: decimal("total_shipping_price", dto.total_shipping_price.as_ref())?,
        tax: decimal("total_tax", dto.total_tax.as_ref())?,
        total: decimal("total_price", dto.total_price.as_ref())?,
    };
    Ok(NewOrder {
        channel: settings.channel.clone(),
        external_id,
        currency: settings.currency,
        placed_at,
        deliver_by,
        email,
        shipping_address,
        shipping_service: non_blank(dto.shipping_service),
        totals,
        lines,
        raw_payload: Some(raw.to_owned()),
        flags: Vec::new(),
    })
}

/// `id`: required; a string, or a JSON integer kept as its digits.
fn external_id(value: Option<&Value>) -> Result<ExternalOrderId, WebhookRejection> {
    let text = match value {
        None | Some(Value::Null) => return Err(invalid("id is required".to_owned())),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => {
            let digits = number.to_string();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(
                    "id must be a string or a whole number of 0 or more".to_owned(),
                ));
            }
            digits
        }
        Some(_) => return Err(invalid("id must be a string or an integer".to_owned())),
    };
    ExternalOrderId::parse(&text).map_err(|error| invalid(describe(&"id", &error)))
}

fn lines(items: Option<Vec<Object<LineDto>>>) -> Result<Vec<NewLine>, WebhookRejection> {
    let Some(items) = items else {
        return Err(invalid_line("line_items is required".to_owned()));
    };
    if items.is_empty() {
        return Err(invalid_line(
            "line_items must hold at least one line item".to_owned(),
        ));
    }
    if items.len() > Order::MAX_LINES {
        return Err(invalid_line(format!(
            "line_items must hold at most {} line items",
            Order::MAX_LINES
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(index, Object(item))| line(index, item))
        .collect()
}

fn line(index: usize, item: LineDto) -> Result<NewLine, WebhookRejection> {
    let at = |field: &str| format!("line_items[{index}].{field}");
    let sku = match item.sku {
        None | Some(Value::Null) => return Err(invalid_line(format!("{} is required", at("sku")))),
        Some(Value::String(text)) => {
            Sku::parse(&text).map_err(|error| invalid_line(describe(&at("sku"), &error)))?
        }
        Some(_) => return Err(invalid_line(format!("{} must be a string", at("sku")))),
    };
    let quantity = item
        .quantity
        .as_ref()
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .and_then(|n| Quantity::new(n).ok())
        .ok_or_else(|| {
            invalid_line(format!(
                "{} must be an integer from 1 to {}",
                at("quantity"),
                Quantity::MAX
            ))
        })?;
    let price_path = at("price");
    let unit_price = decimal(&price_path, item.price.as_ref())?
        .ok_or_else(|| invalid(format!("{price_path} is required")))?;
    if unit_price.is_sign_negative() && !unit_price.is_zero() {
        return Err(invalid(format!("{price_path} must be zero or more")));
    }
    let total_discount = decimal(&at("total_discount"), item.total_discount.as_ref())?;
    let total_tax = decimal(&at("total_tax"), item.total_tax.as_ref())?;
    Ok(NewLine {
        sku,
        quantity,
        unit_price,
        total_discount: total_discount.unwrap_or(Decimal::ZERO),
        total_tax: total_tax.unwrap_or(Decimal::ZERO),
        external_line_id: match item.id {
            Some(Value::String(text)) => non_blank(Some(text)),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        },
        title: match item.title {
            Some(Value::String(text)) => non_blank(Some(text)),
            _ => None,
        },
    })
}

/// A price: a decimal string (`"12.34"`) or a JSON number, read exactly from its text and
/// keeping its scale. `None` when absent or null.
fn decimal(path: &str, value: Option<&Value>) -> Result<Option<Decimal>, WebhookRejection> {
    let parsed = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => exact_decimal(text.trim(), false),
        Some(Value::Number(number)) => exact_decimal(&number.to_string(), true),
        Some(_) => None,
    };
    parsed
        .map(Some)
        .ok_or_else(|| invalid(format!("{path} must be a decimal amount such as \"12.34\"")))
}

/// `-?digits(.digits)?`, plus an exponent for JSON numbers; `None` for anything else or for a
/// value a `Decimal` cannot hold exactly.
fn exact_decimal(text: &str, allow_exponent: bool) -> Option<Decimal> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) if allow_exponent => (mantissa, Some(exponent)),
        Some(_) => return None,
        None => (text, None),
    };
    let unsigned = mantissa.strip_prefix('-').unwrap_or(mantissa);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    let exact = Decimal::from_str_exact(mantissa).ok()?;
    match exponent {
        None => Some(exact),
        Some(_) => Decimal::from_scientific(text).ok(),
    }
}

/// An ISO 8601 / RFC 3339 time with an offset, converted to UTC. `None` when absent or blank.
fn timestamp(path: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, WebhookRejection> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::<FixedOffset>::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|time| Some(time.with_timezone(&Utc)))
        .map_err(|_| {
            invalid(format!(
                "{path} must be an ISO 8601 date and time with an offset, such as \
                 2023-12-20T10:15:30Z"
            ))
        })
}

/// `email`: optional; a blank one counts as absent.
fn email(value: Option<&str>) -> Result<Option<Email>, WebhookRejection> {
    match value.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => Email::parse(text)
            .map(Some)
            .map_err(|_| invalid("email must be an address such as name@example.com".to_owned())),
    }
}

/// `shipping_address`: both key spellings; `None` when every field is empty.
fn address(dto: AddressDto) -> Result<Option<Address>, WebhookRejection> {
    let country = non_blank(dto.country);
    let country_code = match non_blank(dto.country_code) {
        Some(code) => Some(CountryCode::parse(&code).map_err(|_| {
            invalid("shipping_address.country_code must be a two-letter ISO 3166-1 code".to_owned())
        })?),
        None => country.as_deref().and_then(|c| CountryCode::parse(c).ok()),
    };
    // `country` is documented as a name; a two-letter value is a code and is stored as one.
    let country_name = country.filter(|c| CountryCode::parse(c).is_err());
    let (first_name, last_name, full_name) = match (
        non_blank(dto.first_name),
        non_blank(dto.last_name),
        non_blank(dto.name),
    ) {
        (None, None, full) => (None, None, full),
        (first, last, _) => (first, last, None),
    };
    let address = Address {
        first_name,
        last_name,
        full_name,
        company: non_blank(dto.company),
        address1: non_blank(dto.address1),
        address2: non_blank(dto.address2),
        address3: None,
        city: non_blank(dto.city),
        province: non_blank(dto.province_code).or_else(|| non_blank(dto.province)),
        zip: non_blank(dto.zip),
        country_code,
        country_name,
        country_code_alpha3: None,
        phone: non_blank(dto.phone),
    };
    Ok((address != Address::default()).then_some(address))
}

/// The text trimmed, or `None` when absent or blank.
fn non_blank(value: Option<String>) -> Option<String> {
    value
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::exact_decimal;

    fn dec(text: &str) -> Option<Decimal> {
        Decimal::from_str(text).ok()
    }

    #[test]
    fn decimal_strings_are_read_exactly_with_their_scale() {
        assert_eq!(exact_decimal("12.34", false), dec("12.34"));
        assert_eq!(exact_decimal("1.10", false).map(|d| d.scale()), Some(2));
        assert_eq!(exact_decimal("-0.50", false), dec("-0.50"));
        assert_eq!(exact_decimal("7", false), dec("7"));
    }

    #[test]
    fn anything_but_plain_decimal_digits_is_refused() {
        for text in [
            "", "-", ".5", "5.", "12,34", "abc", "1_000", "+1", "1 0", "0x10", "1e3",
        ] {
            assert_eq!(exact_decimal(text, false), None, "{text:?}");
        }
    }

    #[test]
    fn json_numbers_may_carry_an_exponent_but_never_overflow() {
        assert_eq!(exact_decimal("1.5e3", true), dec("1500"));
        assert_eq!(exact_decimal("1E-2", true), dec("0.01"));
        assert_eq!(exact_decimal("1e400", true), None);
        assert_eq!(exact_decimal("9e28", true), None);
        assert_eq!(exact_decimal("1e", true), None);
    }

    #[test]
    fn more_digits_than_a_decimal_holds_are_refused_rather_than_rounded() {
        assert_eq!(
            exact_decimal("0.12345678901234567890123456789012", false),
            None
        );
    }
}
