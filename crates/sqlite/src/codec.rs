//! Time and money as SQLite keeps them: one text form each, written and read only here (the
//! rest of the row mapping is shared, in `orderbridge-rows`).

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use orderbridge_domain::ports::store::StoreError;
use rust_decimal::Decimal;

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
