//! Money as FeedAMP writes it: bare JSON numbers from exact decimal text, in their shortest
//! form, never through a float.

use std::str::FromStr;

use serde_json::Number;

/// The shortest form of plain non-negative decimal text (`"19.90"` -> `"19.9"`,
/// `"200.00"` -> `"200"`, `"007"` -> `"7"`), as FeedAMP's samples write money (`200`, `1.95`);
/// `None` for anything else (signs, exponents, spaces inside, empty parts).
pub(crate) fn canonical_decimal(text: &str) -> Option<String> {
    let text = text.trim();
    let (units, fraction) = match text.split_once('.') {
        Some((units, fraction)) if !fraction.is_empty() => (units, fraction),
        Some(_) => return None,
        None => (text, ""),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty() || !digits(units) || !digits(fraction) {
        return None;
    }
    let units = units.trim_start_matches('0');
    let units = if units.is_empty() { "0" } else { units };
    let fraction = fraction.trim_end_matches('0');
    Some(if fraction.is_empty() {
        units.to_owned()
    } else {
        format!("{units}.{fraction}")
    })
}

/// Decimal text as a JSON number with exactly that text (serde_json's `arbitrary_precision`
/// keeps it; no float is involved).
pub(crate) fn money_number(text: &str) -> Option<Number> {
    Number::from_str(&canonical_decimal(text)?).ok()
}

#[cfg(test)]
mod tests {
    use super::{canonical_decimal, money_number};

    #[test]
    fn money_is_written_in_its_shortest_exact_form() {
        for (text, written) in [
            ("19.99", "19.99"),
            ("200", "200"),
            ("200.00", "200"),
            ("19.90", "19.9"),
            ("0.10", "0.1"),
            ("0.2", "0.2"),
            ("007.50", "7.5"),
            ("0", "0"),
            ("12345678901234567890.01", "12345678901234567890.01"),
        ] {
            assert_eq!(canonical_decimal(text).as_deref(), Some(written), "{text}");
            assert_eq!(money_number(text).unwrap().to_string(), written, "{text}");
        }
        for text in ["", "-1", "1e3", "1.", ".5", "1.2.3", "1 000", "NaN", "+1"] {
            assert_eq!(canonical_decimal(text), None, "{text:?}");
        }
    }
}
