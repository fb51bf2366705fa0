//! Customer contact details. They are personal data: their `Debug` output is redacted so that
//! they never reach a log by accident.
//!
//! They only inform (design section 11): nothing here rejects an order. An email that does not
//! read as an address and a country the table does not know are kept as given and show up as
//! the order's flags.

use crate::values::InvalidValue;
use crate::values::country::CountryCode;
use crate::values::text::{CleanText, bounded};

/// A customer's email address as the marketplace sent it: readable (`local@domain.tld`) or
/// kept as given and marked unreadable.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email {
    text: String,
    readable: bool,
}

impl Email {
    /// The longest address kept, in characters; a longer one is cut and unreadable.
    pub const MAX_LEN: usize = 254;

    /// Parses an email address: one `@`, a non-empty local part, a domain with a dot, no
    /// whitespace, at most [`Self::MAX_LEN`] characters.
    ///
    /// # Errors
    /// [`InvalidValue`] naming `email`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = bounded("email", raw, Self::MAX_LEN)?;
        let malformed = InvalidValue::Malformed {
            what: "email",
            expected: "an address such as name@example.com",
        };
        let (local, domain) = text.split_once('@').ok_or_else(|| malformed.clone())?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok || text.chars().any(char::is_whitespace) {
            return Err(malformed);
        }
        Ok(Self {
            text,
            readable: true,
        })
    }

    /// Reads an email whatever its shape: control characters cleaned out, trimmed and cut to
    /// [`Self::MAX_LEN`] characters; what does not [`parse`](Self::parse) (or had to be cut)
    /// is kept as given and marked unreadable. `None` when nothing is left.
    #[must_use]
    pub fn read(raw: &str) -> Option<Self> {
        let text = CleanText::line(usize::MAX).clean(raw)?;
        if text.chars().count() > Self::MAX_LEN {
            let cut: String = text.chars().take(Self::MAX_LEN).collect();
            return Some(Self {
                text: cut.trim_end().to_owned(),
                readable: false,
            });
        }
        Some(Self::parse(&text).unwrap_or(Self {
            text,
            readable: false,
        }))
    }

    /// The address as text (as given, when unreadable).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// False when the marketplace sent something that does not read as an address.
    #[must_use]
    pub fn is_readable(&self) -> bool {
        self.readable
    }
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Email([redacted], readable: {})", self.readable)
    }
}

/// A postal address with the recipient's name and phone: free text as the marketplace sent
/// it, and the country read into its two-letter code where the table knows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// Recipient's first name.
    pub first_name: Option<String>,
    /// Recipient's last name.
    pub last_name: Option<String>,
    /// Full name, where the marketplace sends one field only (FeedAMP).
    pub full_name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Street address.
    pub address1: Option<String>,
    /// Street address, second line.
    pub address2: Option<String>,
    /// Street address, third line.
    pub address3: Option<String>,
    /// City, town or village.
    pub city: Option<String>,
    /// Region code or name (`CA`, `California`).
    pub province: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Two-letter country code, when the country was given in a form the table knows.
    pub country_code: Option<CountryCode>,
    /// The country as given, where it was not a two- or three-letter code: a name, or a code
    /// the table does not know.
    pub country_name: Option<String>,
    /// Three-letter country code where the marketplace sends one (FeedAMP's `USA`).
    pub country_code_alpha3: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

impl Address {
    /// How every text field of an address is cleaned: one line of at most 500 characters.
    pub const FIELD: CleanText = CleanText::line(500);

    /// Reads a country however it was spelled (see [`CountryCode::find`]) into the fields
    /// still empty: the two-letter code when known; a three-letter code as
    /// `country_code_alpha3`; anything else (a name, an unknown two-letter code) as
    /// `country_name`. Blank text changes nothing.
    pub fn set_country(&mut self, given: &str) {
        let Some(given) = Self::FIELD.clean(given) else {
            return;
        };
        let code = CountryCode::find(&given);
        if self.country_code.is_none() {
            self.country_code = code;
        }
        let letters = given.chars().all(|c| c.is_ascii_alphabetic());
        match given.len() {
            2 if letters && code.is_some() => {}
            3 if letters => {
                self.country_code_alpha3
                    .get_or_insert_with(|| given.to_ascii_uppercase());
            }
            _ => {
                self.country_name.get_or_insert(given);
            }
        }
    }

    /// True when a country was given but is not known: no two-letter code, and a name or a
    /// three-letter code kept as given.
    #[must_use]
    pub fn country_unknown(&self) -> bool {
        self.country_code.is_none()
            && (self.country_name.is_some() || self.country_code_alpha3.is_some())
    }

    /// The address with every text field cleaned by [`Address::FIELD`]: control characters
    /// out (tabs and line breaks become spaces), trimmed, clipped, and blank fields absent.
    /// Nothing is rejected.
    #[must_use]
    pub fn cleaned(self) -> Self {
        let clean = |field: Option<String>| Self::FIELD.clean_opt(field.as_deref());
        Self {
            first_name: clean(self.first_name),
            last_name: clean(self.last_name),
            full_name: clean(self.full_name),
            company: clean(self.company),
            address1: clean(self.address1),
            address2: clean(self.address2),
            address3: clean(self.address3),
            city: clean(self.city),
            province: clean(self.province),
            zip: clean(self.zip),
            country_code: self.country_code,
            country_name: clean(self.country_name),
            country_code_alpha3: clean(self.country_code_alpha3),
            phone: clean(self.phone),
        }
    }
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The country alone is not personal data and helps when debugging routing.
        f.debug_struct("Address")
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "contact_tests.rs"]
mod tests;
