//! Text from outside made clean before it is kept (design section 12): [`CleanText`], the one
//! cleaning every adapter applies to free text at its edge, and the shared checks of short
//! identifier-like text (trimmed, non-empty, bounded, printable).

use crate::values::InvalidValue;

/// How one kind of free text from outside is cleaned before it is kept: what it may hold and
/// how long it may be. Every adapter cleans what a marketplace sends with one of these
/// (removing what PostgreSQL or a one-line log entry cannot hold, NUL first), and the
/// warehouse API checks what it is sent with the same rules, refusing instead of cleaning.
///
/// - [`CleanText::line`]: one line. Control characters are removed; those that are whitespace
///   (tab, line breaks) become spaces, so that `"12\tMain\nSt"` stays three words.
/// - [`CleanText::lines`]: a note. Tab and newline are kept; carriage returns are removed (a
///   CRLF line break becomes a newline); every other control character is removed, the
///   whitespace ones becoming spaces.
///
/// Both trim the result and clip it to at most `max` characters (never bytes, so never inside
/// a character). Cleaning clean text changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanText {
    max: usize,
    lines: bool,
}

impl CleanText {
    /// One line of at most `max` characters.
    #[must_use]
    pub const fn line(max: usize) -> Self {
        Self { max, lines: false }
    }

    /// Text of several lines (tab and newline kept) of at most `max` characters.
    #[must_use]
    pub const fn lines(max: usize) -> Self {
        Self { max, lines: true }
    }

    /// The most characters kept.
    #[must_use]
    pub const fn max(self) -> usize {
        self.max
    }

    /// Whether `c` may stay in the text as it is.
    #[must_use]
    pub fn allows(self, c: char) -> bool {
        !c.is_control() || (self.lines && matches!(c, '\t' | '\n'))
    }

    /// What `c` becomes: itself, a space (a whitespace control character) or nothing.
    fn map(self, c: char) -> Option<char> {
        if self.allows(c) {
            Some(c)
        } else if c == '\r' && self.lines {
            None
        } else if c.is_whitespace() {
            Some(' ')
        } else {
            None
        }
    }

    /// `raw` cleaned: control characters removed as the rules say, trimmed, clipped to
    /// [`CleanText::max`] characters and trimmed again. `None` when nothing is left.
    #[must_use]
    pub fn clean(self, raw: &str) -> Option<String> {
        let mapped: String = raw.chars().filter_map(|c| self.map(c)).collect();
        let trimmed = mapped.trim();
        let clipped = match trimmed.char_indices().nth(self.max) {
            Some((end, _)) => trimmed.get(..end).unwrap_or(trimmed).trim_end(),
            None => trimmed,
        };
        (!clipped.is_empty()).then(|| clipped.to_owned())
    }

    /// As [`CleanText::clean`], for an optional value.
    #[must_use]
    pub fn clean_opt(self, raw: Option<&str>) -> Option<String> {
        raw.and_then(|raw| self.clean(raw))
    }

    /// `raw` checked rather than cleaned, as the warehouse API takes text: trimmed, `None` when
    /// blank.
    ///
    /// # Errors
    /// [`InvalidValue::NotPrintable`] when it holds a control character these rules do not
    /// allow (a line allows none; a note allows tab and newline), and
    /// [`InvalidValue::TooLong`] when it is longer than [`CleanText::max`]. `what` names the
    /// value.
    pub fn check(self, what: &'static str, raw: &str) -> Result<Option<String>, InvalidValue> {
        if !raw.chars().all(|c| self.allows(c)) {
            return Err(InvalidValue::NotPrintable { what });
        }
        let trimmed = raw.trim();
        if trimmed.chars().count() > self.max {
            return Err(InvalidValue::TooLong {
                what,
                max: self.max,
            });
        }
        Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
    }
}

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
    use proptest::prelude::*;

    use super::{CleanText, bounded};
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
        let line = CleanText::line(100);
        assert_eq!(
            line.clean(" 123\tMain\r\nSt "),
            Some("123 Main  St".to_owned())
        );
        assert_eq!(line.clean("a\u{0}b\u{7f}c\u{9b}d"), Some("abcd".to_owned()));
        assert_eq!(
            line.clean("(555) CALL-NOW ext. 4"),
            Some("(555) CALL-NOW ext. 4".to_owned())
        );
        assert_eq!(line.clean(" \t\u{1b} "), None);
        assert_eq!(line.clean_opt(None), None);
    }

    #[test]
    fn notes_keep_tab_and_newline_and_lose_carriage_returns() {
        let note = CleanText::lines(100);
        assert_eq!(
            note.clean("first\r\n\tsecond\u{0}\u{b}third\n"),
            Some("first\n\tsecond third".to_owned())
        );
    }

    #[test]
    fn text_is_clipped_in_characters_at_a_character_boundary() {
        assert_eq!(CleanText::line(3).clean("éééé"), Some("ééé".to_owned()));
        assert_eq!(CleanText::line(3).clean("ab cd"), Some("ab".to_owned()));
        assert_eq!(CleanText::line(0).clean("abc"), None);
        assert_eq!(
            CleanText::line(5).clean("🦀🦀🦀🦀🦀🦀"),
            Some("🦀".repeat(5))
        );
    }

    #[test]
    fn checked_text_is_refused_rather_than_cleaned() {
        let note = CleanText::lines(5);
        assert_eq!(
            note.check("note", " a\tb\nc "),
            Ok(Some("a\tb\nc".to_owned()))
        );
        assert_eq!(note.check("note", "  "), Ok(None));
        assert_eq!(
            note.check("note", "a\u{0}b"),
            Err(InvalidValue::NotPrintable { what: "note" })
        );
        assert_eq!(
            note.check("note", "a\r\nb"),
            Err(InvalidValue::NotPrintable { what: "note" })
        );
        assert_eq!(
            note.check("note", "abcdef"),
            Err(InvalidValue::TooLong {
                what: "note",
                max: 5
            })
        );
        assert_eq!(
            CleanText::line(10).check("by", "a\tb"),
            Err(InvalidValue::NotPrintable { what: "by" })
        );
    }

    /// Any text, weighted towards control characters and text near the cap.
    fn hostile() -> impl Strategy<Value = String> {
        let chars = prop_oneof![
            3 => any::<char>(),
            2 => prop::sample::select(vec![
                '\u{0}', '\t', '\n', '\r', '\u{b}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}', ' ',
            ]),
            2 => prop::char::range('a', 'e'),
        ];
        prop::collection::vec(chars, 0..64).prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn cleaned_text_holds_only_allowed_characters_within_the_cap_and_cleans_to_itself(
            raw in hostile(),
            max in 0usize..40,
            lines in any::<bool>(),
        ) {
            let rules = if lines { CleanText::lines(max) } else { CleanText::line(max) };
            if let Some(clean) = rules.clean(&raw) {
                prop_assert!(clean.chars().all(|c| !c.is_control() || (lines && (c == '\t' || c == '\n'))), "{clean:?}");
                prop_assert!(!clean.contains(char::from(0)));
                prop_assert!(clean.chars().count() <= max);
                prop_assert!(!clean.is_empty());
                prop_assert_eq!(clean.trim(), clean.as_str());
                prop_assert_eq!(rules.clean(&clean), Some(clean.clone()));
                prop_assert_eq!(rules.check("x", &clean), Ok(Some(clean)));
            }
        }

        #[test]
        fn checked_text_is_accepted_only_when_cleaning_would_keep_it_whole(
            raw in hostile(),
            lines in any::<bool>(),
        ) {
            let rules = if lines { CleanText::lines(32) } else { CleanText::line(32) };
            if let Ok(checked) = rules.check("x", &raw) {
                prop_assert_eq!(checked, rules.clean(&raw));
            }
        }
    }
}
