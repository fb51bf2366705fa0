//! Customer contact details. They are personal data: their `Debug` output is redacted so that
//! they never reach a log by accident.

use crate::values::InvalidValue;
use crate::values::text::bounded;

/// An ISO 3166-1 alpha-2 country code (`US`), upper-cased.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses two ASCII letters.
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] naming `country code` otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        match raw.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(InvalidValue::Malformed {
                what: "country code",
                expected: "a two-letter ISO 3166-1 code",
            }),
        }
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

/// A customer's email address, checked for shape only (`local@domain.tld`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an email address: one `@`, a non-empty local part, a domain with a dot, no
    /// whitespace, at most 254 characters.
    ///
    /// # Errors
    /// [`InvalidValue`] naming `email`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = bounded("email", raw, 254)?;
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
        Ok(Self(text))
    }

    /// The address as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Email([redacted])")
    }
}

/// A postal address with the recipient's name and phone. Every field is optional text as the
/// marketplace sent it, except the country code, which is parsed.
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
    /// Two-letter country code.
    pub country_code: Option<CountryCode>,
    /// The country's name, where the marketplace sent a name rather than a code.
    pub country_name: Option<String>,
    /// Three-letter country code where the marketplace sends one (FeedAMP's `USA`).
    pub country_code_alpha3: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
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
mod tests {
    use super::{Address, CountryCode, Email};

    #[test]
    fn country_codes_are_two_letters_upper_cased() {
        assert_eq!(
            CountryCode::parse("us").map(|c| c.to_string()),
            Ok("US".to_owned())
        );
        assert!(CountryCode::parse("USA").is_err());
        assert!(CountryCode::parse("U1").is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("customer@example.com").is_ok());
        assert!(Email::parse("customer@localhost").is_err());
        assert!(Email::parse("@example.com").is_err());
        assert!(Email::parse("a b@example.com").is_err());
        assert!(Email::parse("a@b@example.com").is_err());
    }

    #[test]
    fn debug_output_never_shows_personal_data() {
        let email = Email::parse("jane.doe@example.com").ok();
        let address = Address {
            first_name: Some("Jane".to_owned()),
            address1: Some("123 Main Street".to_owned()),
            phone: Some("(123) 456-7890".to_owned()),
            country_code: CountryCode::parse("US").ok(),
            ..Address::default()
        };
        let printed = format!("{email:?} {address:?}");
        for secret in ["jane", "Jane", "Main", "456"] {
            assert!(!printed.contains(secret), "{printed} shows {secret}");
        }
        assert!(printed.contains("US"));
    }
}
