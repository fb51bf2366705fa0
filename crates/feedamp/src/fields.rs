//! Readers for single FeedAMP values: text, exact money, quantities and UTC times. Each takes
//! the JSON value as received and says what is wrong in words that name no customer data.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use orderbridge_domain::values::{CleanText, Quantity};
use rust_decimal::Decimal;
use serde_json::Value;

/// A value as trimmed text: a non-blank string, or a number's text. Anything else (null,
/// blank, booleans, objects) is no text at all.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A value as free text cleaned by `rules` (design section 12: control characters out,
/// clipped); `None` when nothing is left of it.
pub(crate) fn clean(value: Option<&Value>, rules: CleanText) -> Option<String> {
    text(value).and_then(|text| rules.clean(&text))
}

/// True when a value is there but is no text: a boolean, an array or an object.
pub(crate) fn not_text(value: Option<&Value>) -> bool {
    matches!(
        value,
        Some(Value::Bool(_) | Value::Array(_) | Value::Object(_))
    )
}

/// A decimal read exactly from a JSON number's text or a numeric string: `19.99`, `200`,
/// `-1.5`, `1e2`. Never through a float; `None` for anything else, including values with
/// more precision than a `Decimal` holds.
pub(crate) fn decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let numeric = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && text.chars().any(|c| c.is_ascii_digit());
    if !numeric {
        return None;
    }
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    }
}

/// An optional amount: absent, null or blank is `None`; a number or numeric string is read
/// exactly; anything else is an error naming `field`.
pub(crate) fn money(value: Option<&Value>, field: &str) -> Result<Option<Decimal>, String> {
    let parsed = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
        Some(Value::String(text)) => decimal(text),
        Some(Value::Number(number)) => decimal(&number.to_string()),
        Some(_) => None,
    };
    parsed
        .map(Some)
        .ok_or_else(|| format!("{field}: expected a decimal number"))
}

/// A unit count: a whole JSON number (or numeric string) from 1 to the domain's cap.
pub(crate) fn quantity(value: Option<&Value>, field: &str) -> Result<Quantity, String> {
    let text = text(value).ok_or_else(|| format!("{field}: missing"))?;
    let count: i64 = text
        .parse()
        .map_err(|_| format!("{field}: expected a whole number"))?;
    Quantity::from_i64(count).map_err(|e| format!("{field}: {e}"))
}

/// A date-time in UTC. FeedAMP v1 writes `2018-05-01T23:52:01.000Z`; any RFC 3339 offset is
/// converted to UTC, a time without an offset is read as UTC (v1 says every date-time it
/// returns is in UTC), and a date alone is midnight UTC of that day.
pub(crate) fn utc_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(time) = DateTime::parse_from_str(text, format) {
            return Some(time.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Some(time.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
}

/// A value that is there but cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unreadable;

/// A date that only informs: `None` when absent, null or blank, the time when [`utc_time`]
/// reads it, and [`Unreadable`] otherwise (garbage, or not text).
pub(crate) fn date(value: Option<&Value>) -> Result<Option<DateTime<Utc>>, Unreadable> {
    if not_text(value) {
        return Err(Unreadable);
    }
    text(value)
        .map(|text| utc_time(&text).ok_or(Unreadable))
        .transpose()
}

/// The decimal for an amount that may be absent: zero then.
pub(crate) fn or_zero(amount: Option<Decimal>) -> Decimal {
    amount.unwrap_or(Decimal::ZERO)
}

/// Parses `text` as a `Decimal` for tests and fixtures.
#[cfg(test)]
pub(crate) fn dec(text: &str) -> Decimal {
    <Decimal as std::str::FromStr>::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use orderbridge_domain::values::CleanText;

    use super::{Unreadable, clean, date, dec, decimal, money, quantity, text, utc_time};

    fn number(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    #[test]
    fn json_numbers_are_read_with_their_exact_text() {
        for (raw, expected) in [
            ("0.1", "0.1"),
            ("0.2", "0.2"),
            ("19.99", "19.99"),
            ("200", "200"),
            ("1.95", "1.95"),
            ("1.10", "1.10"),
            ("0.30000000000000004", "0.30000000000000004"),
            ("1e2", "100"),
            ("-2.5", "-2.5"),
        ] {
            let value = number(raw);
            let read = money(Some(&value), "x").map(|d| d.map(|d| d.to_string()));
            assert_eq!(read, Ok(Some(expected.to_owned())), "{raw}");
        }
    }

    #[test]
    fn numeric_strings_are_read_too_and_blanks_are_absent() {
        assert_eq!(money(Some(&json!(" 12.34 ")), "x"), Ok(Some(dec("12.34"))));
        assert_eq!(money(Some(&json!("")), "x"), Ok(None));
        assert_eq!(money(Some(&Value::Null), "x"), Ok(None));
        assert_eq!(money(None, "x"), Ok(None));
    }

    #[test]
    fn anything_else_is_an_error_naming_the_field() {
        for value in [
            json!("12,34"),
            json!("NaN"),
            json!("1_000"),
            json!(true),
            json!({}),
        ] {
            assert_eq!(
                money(Some(&value), "order_lines[0].unit_price"),
                Err("order_lines[0].unit_price: expected a decimal number".to_owned()),
                "{value}"
            );
        }
        assert_eq!(decimal("1234567890123456789012345678901234567890"), None);
    }

    #[test]
    fn quantities_are_whole_and_positive() {
        assert_eq!(quantity(Some(&number("3")), "q").map(|q| q.get()), Ok(3));
        assert_eq!(quantity(Some(&json!("2")), "q").map(|q| q.get()), Ok(2));
        assert!(quantity(Some(&number("2.5")), "q").is_err());
        assert!(quantity(Some(&number("0")), "q").is_err());
        assert!(quantity(Some(&number("-1")), "q").is_err());
        assert_eq!(quantity(None, "q"), Err("q: missing".to_owned()));
    }

    #[test]
    fn times_are_converted_to_utc() {
        let expected = utc_time("2018-05-01T23:52:01Z");
        assert!(expected.is_some());
        for raw in [
            "2018-05-01T23:52:01.000Z",
            "2018-05-01T19:52:01-04:00",
            "2018-05-02T01:52:01.000+02:00",
            "2018-05-02T01:52:01+0200",
            "2018-05-01T23:52:01",
            "2018-05-01 23:52:01.000",
        ] {
            assert_eq!(utc_time(raw), expected, "{raw}");
        }
        assert_eq!(utc_time("01/05/2018"), None);
        assert_eq!(utc_time("2018-02-30"), None);
        assert_eq!(utc_time(""), None);
    }

    #[test]
    fn an_informing_date_is_absent_read_or_unreadable() {
        assert_eq!(date(None), Ok(None));
        assert_eq!(date(Some(&json!(""))), Ok(None));
        assert_eq!(date(Some(&Value::Null)), Ok(None));
        assert_eq!(
            date(Some(&json!("2018-05-10"))),
            Ok(utc_time("2018-05-10T00:00:00Z"))
        );
        assert_eq!(date(Some(&json!("soon"))), Err(Unreadable));
        assert_eq!(date(Some(&json!({"at": 1}))), Err(Unreadable));
        assert_eq!(date(Some(&json!(20_180_510))), Err(Unreadable));
    }

    #[test]
    fn a_date_alone_is_midnight_utc() {
        assert_eq!(utc_time("2018-05-01"), utc_time("2018-05-01T00:00:00Z"));
        assert!(utc_time("2018-05-01").is_some());
    }

    #[test]
    fn text_is_trimmed_and_numbers_keep_their_digits() {
        assert_eq!(text(Some(&json!("  a "))), Some("a".to_owned()));
        assert_eq!(
            text(Some(&number("109872189273617283"))),
            Some("109872189273617283".to_owned())
        );
        assert_eq!(text(Some(&json!("  "))), None);
        assert_eq!(text(Some(&json!(false))), None);
    }

    #[test]
    fn free_text_loses_its_control_characters_and_is_clipped() {
        let line = CleanText::line(8);
        assert_eq!(
            clean(Some(&json!("\u{0}Main\tSt\u{1b}")), line),
            Some("Main St".to_owned())
        );
        assert_eq!(clean(Some(&json!("\u{0}\u{1}")), line), None);
        assert_eq!(
            clean(Some(&json!("abcdefghij")), line),
            Some("abcdefgh".to_owned())
        );
    }
}
