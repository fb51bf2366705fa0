//! The fields of an ADM order that only inform: times, email, shipping address and shipping
//! service. None of them refuses an order (design section 11): what cannot be read is kept as
//! given where it can be, replaced or left out where it cannot, and flagged on the order. Their
//! text is kept clean (design section 12): control characters out, clipped.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use orderbridge_domain::order::OrderFlag;
use orderbridge_domain::values::{Address, CleanText, Email};
use serde_json::Value;

use crate::webhook::dto::AddressDto;

/// One informing field as read: absent (missing, null or blank), read, or there but unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Read<T> {
    Absent,
    Value(T),
    Unreadable,
}

/// What has been flagged so far while reading one order.
#[derive(Debug, Default)]
pub(super) struct Flags(pub Vec<OrderFlag>);

impl Flags {
    /// The value, or `None` with `flag` raised when it was unreadable.
    pub(super) fn check<T>(&mut self, read: Read<T>, flag: OrderFlag) -> Option<T> {
        match read {
            Read::Absent => None,
            Read::Value(value) => Some(value),
            Read::Unreadable => {
                self.0.push(flag);
                None
            }
        }
    }
}

/// A string (trimmed) or a number's text; `Unreadable` for booleans, arrays and objects.
pub(super) fn text(value: Option<&Value>) -> Read<String> {
    match value {
        None | Some(Value::Null) => Read::Absent,
        Some(Value::String(text)) if text.trim().is_empty() => Read::Absent,
        Some(Value::String(text)) => Read::Value(text.trim().to_owned()),
        Some(Value::Number(number)) => Read::Value(number.to_string()),
        Some(_) => Read::Unreadable,
    }
}

/// Text kept as it is cleaned by `rules` (design section 12: control characters out, clipped);
/// `Absent` when nothing is left of it.
pub(super) fn clean(value: Option<&Value>, rules: CleanText) -> Read<String> {
    match text(value) {
        Read::Value(text) => rules.clean(&text).map_or(Read::Absent, Read::Value),
        other => other,
    }
}

/// An ISO 8601 time converted to UTC: with an offset (`2023-12-20T10:15:30Z`,
/// `...+0200`, fractional seconds), without one (read as UTC), or a date alone (midnight UTC
/// of that day). Anything else is `Unreadable`.
pub(super) fn time(value: Option<&Value>) -> Read<DateTime<Utc>> {
    let text = match text(value) {
        Read::Value(text) => text,
        Read::Absent => return Read::Absent,
        Read::Unreadable => return Read::Unreadable,
    };
    let with_offset = DateTime::parse_from_rfc3339(&text)
        .or_else(|_| DateTime::<FixedOffset>::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|time| time.with_timezone(&Utc));
    let read = with_offset
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|time| time.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .ok()
                .and_then(|date| date.and_hms_opt(0, 0, 0))
                .map(|midnight| midnight.and_utc())
        });
    read.map_or(Read::Unreadable, Read::Value)
}

/// `email`: kept whatever its shape ([`Email::read`] marks one that is not an address);
/// `Unreadable` only when it is not text at all.
pub(super) fn email(value: Option<&Value>) -> Read<Email> {
    match text(value) {
        Read::Value(text) => Email::read(&text).map_or(Read::Absent, Read::Value),
        Read::Absent => Read::Absent,
        Read::Unreadable => Read::Unreadable,
    }
}

/// `shipping_address`: both key spellings, the country read by the domain's table (the code
/// spelling first); `None` when every field is empty. An address that is not an object, or a
/// field that is not text, raises `address_unreadable` and is left out.
pub(super) fn address(value: Option<&Value>, flags: &mut Flags) -> Option<Address> {
    let dto = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Object(map)) => AddressDto::from_map(map.clone()),
        Some(_) => {
            flags.0.push(OrderFlag::AddressUnreadable);
            return None;
        }
    };
    let mut field = |value: Option<Value>| {
        flags.check(
            clean(value.as_ref(), Address::FIELD),
            OrderFlag::AddressUnreadable,
        )
    };
    let (first_name, last_name, name) =
        (field(dto.first_name), field(dto.last_name), field(dto.name));
    let (first_name, last_name, full_name) = match (first_name, last_name, name) {
        (None, None, full) => (None, None, full),
        (first, last, _) => (first, last, None),
    };
    let mut address = Address {
        first_name,
        last_name,
        full_name,
        company: field(dto.company),
        address1: field(dto.address1),
        address2: field(dto.address2),
        city: field(dto.city),
        province: {
            let (code, name) = (field(dto.province_code), field(dto.province));
            code.or(name)
        },
        zip: field(dto.zip),
        phone: field(dto.phone),
        ..Address::default()
    };
    for country in [field(dto.country_code), field(dto.country)]
        .into_iter()
        .flatten()
    {
        address.set_country(&country);
    }
    (address != Address::default()).then_some(address)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::{Value, json};

    use super::{Read, time};

    fn utc(text: &str) -> Read<DateTime<Utc>> {
        Read::Value(
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|e| panic!("{text}: {e}")),
        )
    }

    #[test]
    fn a_date_alone_is_midnight_utc_of_that_day() {
        assert_eq!(
            time(Some(&json!("2024-04-30"))),
            utc("2024-04-30T00:00:00Z")
        );
        assert_eq!(
            time(Some(&json!(" 2024-02-29 "))),
            utc("2024-02-29T00:00:00Z")
        );
    }

    #[test]
    fn times_with_or_without_an_offset_are_utc() {
        assert_eq!(
            time(Some(&json!("2023-12-20T12:15:30+02:00"))),
            utc("2023-12-20T10:15:30Z")
        );
        assert_eq!(
            time(Some(&json!("2023-12-20T12:15:30.250+0200"))),
            utc("2023-12-20T10:15:30.250Z")
        );
        assert_eq!(
            time(Some(&json!("2023-12-20T10:15:30"))),
            utc("2023-12-20T10:15:30Z")
        );
    }

    #[test]
    fn anything_else_is_unreadable_and_nothing_is_absent() {
        for bad in [
            json!("yesterday"),
            json!("2024-02-30"),
            json!("30/04/2024"),
            json!(1_703_067_330),
            json!(true),
            json!(["2024-04-30"]),
        ] {
            assert_eq!(time(Some(&bad)), Read::Unreadable, "{bad}");
        }
        for absent in [json!(null), json!(""), json!("  ")] {
            assert_eq!(time(Some(&absent)), Read::Absent, "{absent}");
        }
        assert_eq!(time(None::<&Value>), Read::Absent);
    }
}
