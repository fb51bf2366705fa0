//! From the wire DTO to the domain's `NewOrder`: ids, SKUs, quantities and exact prices, each
//! failure naming its field path; the fields that only inform are read by `tolerant.rs`. Free
//! text (titles, line ids, the shipping service) is cleaned by the domain's rules for it.

use std::fmt::Display;

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{NewLine, NewOrder, Order, OrderFlag, Totals};
use orderbridge_domain::values::{Currency, ExternalOrderId, InvalidValue, Quantity, Sku};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::webhook::dto::{Capped, LineDto, Object, OrderDto};
use crate::webhook::tolerant::{self, Flags};
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
    let mut flags = Flags::default();
    let created_at = tolerant::time(dto.created_at.as_ref());
    let placed_at = flags
        .check(created_at, OrderFlag::PlacedAtUnreadable)
        .unwrap_or(received_at);
    let deliver_by = tolerant::time(dto.deliver_by.as_ref());
    let deliver_by = flags.check(deliver_by, OrderFlag::DeliverByUnreadable);
    // Flagged when garbled; the cancellation itself is read by `cancel.rs`.
    let cancelled_at = tolerant::time(dto.cancelled_at.as_ref());
    flags.check(cancelled_at, OrderFlag::CancelledAtUnreadable);
    let email = flags.check(
        tolerant::email(dto.email.as_ref()),
        OrderFlag::EmailUnreadable,
    );
    let shipping_address = tolerant::address(dto.shipping_address.as_ref(), &mut flags);
    let shipping_service = flags.check(
        tolerant::clean(dto.shipping_service.as_ref(), NewOrder::SHIPPING_SERVICE),
        OrderFlag::ShippingServiceUnreadable,
    );
    let totals = Totals {
        subtotal: decimal("subtotal_price", dto.subtotal_price.as_ref())?,
        discounts: decimal("total_discounts", dto.total_discounts.as_ref())?,
        shipping: decimal("total_shipping_price", dto.total_shipping_price.as_ref())?,
        tax: decimal("total_tax", dto.total_tax.as_ref())?,
        total: decimal("total_price", dto.total_price.as_ref())?,
    };
    in_currency(settings.currency, &lines, &totals)?;
    Ok(NewOrder {
        channel: settings.channel.clone(),
        external_id,
        currency: settings.currency,
        placed_at,
        deliver_by,
        email,
        shipping_address,
        shipping_service,
        totals,
        lines,
        raw_payload: Some(raw.to_owned()),
        flags: flags.0,
    })
}

/// Checks that every amount can be an amount of `currency`, the account's setting (ADM's
/// payloads name none). A currency without minor units (JPY, KRW: ISO 4217 exponent 0) holds
/// no fraction: `12.34` cannot be yen, so it is money that cannot be read, and the order is
/// refused (and kept in quarantine) until the setting is fixed and the order replayed, rather
/// than stored as ¥12.34. Amounts finer than a currency's minor units where it has some (a
/// unit price of `0.125` dollars) are kept exactly as given, as before.
fn in_currency(
    currency: Currency,
    lines: &[NewLine],
    totals: &Totals,
) -> Result<(), WebhookRejection> {
    if currency.minor_units() > 0 {
        return Ok(());
    }
    let fraction = |amount: &Decimal| !amount.fract().is_zero();
    let line_amounts = lines.iter().enumerate().flat_map(|(index, line)| {
        [
            ("price", line.unit_price),
            ("total_discount", line.total_discount),
            ("total_tax", line.total_tax),
        ]
        .map(|(field, amount)| (format!("line_items[{index}].{field}"), amount))
    });
    let total_amounts = [
        ("subtotal_price", totals.subtotal),
        ("total_discounts", totals.discounts),
        ("total_shipping_price", totals.shipping),
        ("total_tax", totals.tax),
        ("total_price", totals.total),
    ]
    .into_iter()
    .filter_map(|(field, amount)| amount.map(|a| (field.to_owned(), a)));
    match line_amounts.chain(total_amounts).find(|(_, a)| fraction(a)) {
        Some((path, _)) => Err(invalid(format!(
            "{path} has a fraction, which {currency} (the account's currency setting) has not: \
             check the ADM account's currency"
        ))),
        None => Ok(()),
    }
}

/// `id`: required; a string, or a JSON integer kept as its digits.
pub(super) fn external_id(value: Option<&Value>) -> Result<ExternalOrderId, WebhookRejection> {
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

fn lines(items: Option<Capped<Object<LineDto>>>) -> Result<Vec<NewLine>, WebhookRejection> {
    let Some(Capped(items)) = items else {
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
        .and_then(whole_number)
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
            Some(Value::String(text)) => NewLine::EXTERNAL_ID.clean(&text),
            Some(Value::Number(number)) => NewLine::EXTERNAL_ID.clean(&number.to_string()),
            _ => None,
        },
        title: match item.title {
            Some(Value::String(text)) => NewLine::TITLE.clean(&text),
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

/// A whole number of 0 or more: a JSON integer, or a string of digits (`"2"`) with nothing
/// else in it but surrounding spaces. `"2.0"`, `2.5`, `"two"` and negatives are not.
fn whole_number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => {
            let digits = text.trim();
            let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            all_digits.then(|| digits.parse().ok()).flatten()
        }
        _ => None,
    }
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
