//! Shared checks for short identifier-like text (trimmed, non-empty, bounded, printable), and
//! the cleaning of free text that is kept whatever it holds.

use crate::values::InvalidValue;

/// Trims `raw` and checks that it is non-empty, at most `max` characters and free of control
/// characters. `what` names the value in the error.
pub(crate) fn bounded(what: &'static str, raw: &str, max: usize) -> Result<String, InvalidValue> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(InvalidValue::Empty { what });
    }
    if trimmed.chars().count() > max {
        return Err(InvalidValue::TooLong { what, max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InvalidValue::NotPrintable { what });
    }
    Ok(trimmed.to_owned())
}

/// Free text made printable instead of rejected: tabs, line breaks and other whitespace
/// control characters become spaces, the remaining control characters are dropped, and the
/// result is trimmed. `None` when nothing is left.
#[must_use]
pub(crate) fn clean_text(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter_map(|c| match c {
            c if c.is_control() && c.is_whitespace() => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Defines a newtype over `String` built only through `parse`, using [`bounded`].
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, $what:literal, $max:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The longest accepted value, in characters.
            pub const MAX_LEN: usize = $max;

            /// Parses a value: trimmed, non-empty, at most [`Self::MAX_LEN`] characters, no
            /// control characters.
            ///
            /// # Errors
            /// Returns [`InvalidValue`](crate::values::InvalidValue) naming the value when a
            /// check fails.
            pub fn parse(raw: &str) -> Result<Self, $crate::values::InvalidValue> {
                $crate::values::text::bounded($what, raw, $max).map(Self)
            }

            /// The value as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

pub(crate) use bounded_text;

#[cfg(test)]
mod tests {
    use super::{bounded, clean_text};
    use crate::values::InvalidValue;

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        assert_eq!(bounded("x", "  ab c ", 10), Ok("ab c".to_owned()));
    }

    #[test]
    fn blank_text_is_empty() {
        assert_eq!(
            bounded("x", " \t ", 10),
            Err(InvalidValue::Empty { what: "x" })
        );
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert!(bounded("x", "ééé", 3).is_ok());
        assert_eq!(
            bounded("x", "éééé", 3),
            Err(InvalidValue::TooLong { what: "x", max: 3 })
        );
    }

    #[test]
    fn control_characters_are_rejected() {
        assert_eq!(
            bounded("x", "a\u{0}b", 10),
            Err(InvalidValue::NotPrintable { what: "x" })
        );
    }

    #[test]
    fn free_text_is_cleaned_never_refused() {
        assert_eq!(
            clean_text(" 123\tMain\r\nSt "),
            Some("123 Main  St".to_owned())
        );
        assert_eq!(clean_text("a\u{0}b\u{7f}c"), Some("abc".to_owned()));
        assert_eq!(
            clean_text("(555) CALL-NOW ext. 4"),
            Some("(555) CALL-NOW ext. 4".to_owned())
        );
        assert_eq!(clean_text(" \t\u{1b} "), None);
    }
}
