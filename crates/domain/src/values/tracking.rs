//! SKUs and shipment tracking details.

use crate::values::InvalidValue;
use crate::values::text::bounded_text;

bounded_text!(
    /// A stock-keeping unit as the marketplace and the warehouse spell it.
    Sku,
    "sku",
    255
);

bounded_text!(
    /// One shipment's tracking number (design rule 3: exactly one per fulfillment).
    TrackingNumber,
    "tracking number",
    64
);

bounded_text!(
    /// The carrier's name as the warehouse gives it ("UPS", "FedEx").
    Carrier,
    "carrier",
    64
);

/// An `http` or `https` URL where the shipment can be tracked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackingUrl(String);

impl TrackingUrl {
    /// The longest accepted URL, in characters.
    pub const MAX_LEN: usize = 2048;

    /// Parses an absolute `http://` or `https://` URL with a host and no whitespace.
    ///
    /// # Errors
    /// [`InvalidValue`] naming `tracking url` when the text is empty, too long, not http(s), or
    /// has no host.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        const WHAT: &str = "tracking url";
        let text = crate::values::text::bounded(WHAT, raw, Self::MAX_LEN)?;
        let malformed = InvalidValue::Malformed {
            what: WHAT,
            expected: "an absolute http or https URL",
        };
        let lower = text.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or_else(|| malformed.clone())?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(malformed);
        }
        Ok(Self(text))
    }

    /// The URL as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TrackingUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{Carrier, Sku, TrackingNumber, TrackingUrl};
    use crate::values::InvalidValue;

    #[test]
    fn a_tracking_number_is_trimmed() {
        let number = TrackingNumber::parse(" 1ZE356F8YW01937117 ").map(|t| t.to_string());
        assert_eq!(number, Ok("1ZE356F8YW01937117".to_owned()));
    }

    #[test]
    fn an_empty_tracking_number_is_rejected() {
        assert_eq!(
            TrackingNumber::parse("   "),
            Err(InvalidValue::Empty {
                what: "tracking number"
            })
        );
    }

    #[test]
    fn a_tracking_number_longer_than_64_characters_is_rejected() {
        assert!(TrackingNumber::parse(&"9".repeat(64)).is_ok());
        assert!(TrackingNumber::parse(&"9".repeat(65)).is_err());
    }

    #[test]
    fn a_tracking_number_with_a_newline_inside_is_rejected() {
        assert!(TrackingNumber::parse("1Z\n2").is_err());
    }

    #[test]
    fn an_empty_sku_is_rejected() {
        assert_eq!(Sku::parse(""), Err(InvalidValue::Empty { what: "sku" }));
    }

    #[test]
    fn a_carrier_keeps_its_spelling() {
        assert_eq!(
            Carrier::parse("FedEx").map(|c| c.to_string()),
            Ok("FedEx".to_owned())
        );
    }

    #[test]
    fn tracking_urls_must_be_http_or_https_with_a_host() {
        assert!(TrackingUrl::parse("https://www.ups.com/track?n=1Z").is_ok());
        assert!(TrackingUrl::parse("HTTP://carrier.example/x").is_ok());
        assert!(TrackingUrl::parse("ftp://carrier.example/x").is_err());
        assert!(TrackingUrl::parse("https:///path").is_err());
        assert!(TrackingUrl::parse("https://a b.example").is_err());
        assert!(TrackingUrl::parse("javascript:alert(1)").is_err());
    }
}
