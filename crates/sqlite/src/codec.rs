//! Conversions between domain values and column values. Time and money have one text form each,
//! written and read only here.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use orderbridge_domain::order::{CancelReason, EventType, RefundReason};
use orderbridge_domain::outbox::{DeliveryKind, DeliveryState};
use orderbridge_domain::ports::store::StoreError;
use orderbridge_domain::values::{Address, CountryCode, InvalidValue, LineNo};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

/// A time as stored: UTC, RFC 3339, exactly six fractional digits and `Z`
/// (`2024-04-30T12:00:00.123456Z`). The width is fixed, so text order is time order (for years
/// 0 to 9999). Nanoseconds are truncated to microseconds, as sqlx does for PostgreSQL.
pub(crate) fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// An optional time as stored.
pub(crate) fn time_opt(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(time)
}

/// A stored time read back.
pub(crate) fn parse_time(text: &str, column: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::with_source(format!("corrupt time in column {column}"), e))
}

/// An amount as stored: the decimal's own text, which keeps its scale (`1.10` stays `1.10`).
pub(crate) fn money(amount: Decimal) -> String {
    amount.to_string()
}

/// An optional amount as stored.
pub(crate) fn money_opt(amount: Option<Decimal>) -> Option<String> {
    amount.map(money)
}

/// A stored amount read back, exactly.
pub(crate) fn parse_money(text: &str, column: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(text)
        .map_err(|e| StoreError::with_source(format!("corrupt amount in column {column}"), e))
}

/// A count as an `INTEGER` column. Domain counts are capped far below `i32::MAX`.
pub(crate) fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A position in a list as an `INTEGER` column.
pub(crate) fn position(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

/// An `INTEGER` column as a count.
pub(crate) fn count(value: i32, column: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::msg(format!("negative {column}: {value}")))
}

/// A stored value failed to parse: the row is corrupt.
pub(crate) fn corrupt(column: &'static str) -> impl FnOnce(InvalidValue) -> StoreError {
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

/// The address as JSON text.
pub(crate) fn address_to_json(address: &Address) -> String {
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
    .to_string()
}

/// The address from its JSON text.
pub(crate) fn address_from_json(text: &str) -> Result<Address, StoreError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| StoreError::with_source("corrupt JSON in column shipping_address", e))?;
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, Utc};
    use rust_decimal::Decimal;

    use super::{money, parse_money, parse_time, time};

    fn instant(seconds: i64, nanos: u32) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(seconds, nanos).unwrap()
    }

    #[test]
    fn amounts_round_trip_as_text_with_their_scale() {
        for text in [
            "0.1",
            "19.99",
            "0.0001",
            "12345678901.2345",
            "1.10",
            "-0.50",
            "0",
        ] {
            let amount: Decimal = text.parse().unwrap();
            assert_eq!(money(amount), text);
            let back = parse_money(&money(amount), "amount").unwrap();
            assert_eq!(back, amount);
            assert_eq!(back.scale(), amount.scale(), "{text} keeps its scale");
        }
    }

    #[test]
    fn a_malformed_amount_is_an_error() {
        assert!(parse_money("1,10", "amount").is_err());
        assert!(parse_money("", "amount").is_err());
    }

    #[test]
    fn a_time_is_written_in_utc_with_exactly_six_fractional_digits() {
        assert_eq!(
            time(instant(1_714_478_400, 123_456_789)),
            "2024-04-30T12:00:00.123456Z",
            "nanoseconds are truncated"
        );
        assert_eq!(
            time(instant(1_714_478_400, 0)),
            "2024-04-30T12:00:00.000000Z"
        );
        assert_eq!(time(instant(0, 5_000)), "1970-01-01T00:00:00.000005Z");
    }

    #[test]
    fn a_time_round_trips_to_the_microsecond() {
        let at = instant(1_714_478_400, 123_456_000);
        assert_eq!(parse_time(&time(at), "at").unwrap(), at);
        let with_nanos = instant(1_714_478_400, 123_456_789);
        assert_eq!(parse_time(&time(with_nanos), "at").unwrap(), at);
    }

    #[test]
    fn a_time_with_an_offset_is_read_as_the_same_instant() {
        let read = parse_time("2024-04-30T14:00:00.5+02:00", "at").unwrap();
        assert_eq!(read, instant(1_714_478_400, 500_000_000));
    }

    #[test]
    fn text_order_is_time_order_across_second_and_day_boundaries() {
        let base = instant(1_714_521_599, 999_999_000); // 2024-04-30T23:59:59.999999Z
        let times = [
            base - TimeDelta::seconds(1),
            base - TimeDelta::microseconds(1),
            base,
            base + TimeDelta::microseconds(1),
            base + TimeDelta::microseconds(2),
            base + TimeDelta::seconds(1),
            base + TimeDelta::days(400),
        ];
        for pair in times.windows(2) {
            let (earlier, later) = (time(pair[0]), time(pair[1]));
            assert!(earlier < later, "{earlier} sorts before {later}");
        }
        assert_eq!(
            time(base + TimeDelta::microseconds(1)),
            "2024-05-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn a_malformed_time_is_an_error() {
        assert!(parse_time("2024-04-30 12:00:00", "at").is_err());
    }
}
