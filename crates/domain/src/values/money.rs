//! Exact money: a `Decimal` amount with its ISO 4217 currency. Never a float.

use rust_decimal::Decimal;

use crate::values::InvalidValue;

/// An ISO 4217 currency code: three uppercase ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// US dollars, the default for channels whose payloads carry no currency (ADM).
    pub const USD: Self = Self(*b"USD");

    /// Parses a currency code; lowercase input is accepted and upper-cased.
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] naming `currency` for anything but three ASCII letters.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let bytes = raw.trim().as_bytes();
        match bytes {
            [a, b, c] if bytes.iter().all(u8::is_ascii_alphabetic) => Ok(Self([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(InvalidValue::Malformed {
                what: "currency",
                expected: "a three-letter ISO 4217 code",
            }),
        }
    }

    /// Its minor units by ISO 4217 (the decimal places its amounts are charged in): none for
    /// JPY, KRW and the others of exponent 0, three for BHD, JOD, KWD and the others of exponent
    /// 3, four for CLF and UYW, two for every other code.
    #[must_use]
    pub fn minor_units(self) -> u32 {
        const NONE: [&[u8; 3]; 17] = [
            b"BIF", b"CLP", b"DJF", b"GNF", b"ISK", b"JPY", b"KMF", b"KRW", b"PYG", b"RWF", b"UGX",
            b"UYI", b"VND", b"VUV", b"XAF", b"XOF", b"XPF",
        ];
        const THREE: [&[u8; 3]; 7] = [b"BHD", b"IQD", b"JOD", b"KWD", b"LYD", b"OMR", b"TND"];
        const FOUR: [&[u8; 3]; 2] = [b"CLF", b"UYW"];
        if NONE.contains(&&self.0) {
            0
        } else if THREE.contains(&&self.0) {
            3
        } else if FOUR.contains(&&self.0) {
            4
        } else {
            2
        }
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

/// An exact amount in one currency. Amounts keep the scale they were given (`1.10` stays
/// `1.10`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

/// Why an arithmetic step on [`Money`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The two amounts are in different currencies.
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch {
        /// The left operand's currency.
        left: Currency,
        /// The right operand's currency.
        right: Currency,
    },
    /// The result does not fit a `Decimal`.
    #[error("amount overflow")]
    Overflow,
}

impl Money {
    /// An amount, which may be negative (discounts are stored as given).
    #[must_use]
    pub const fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// An amount that must not be negative (prices, refunds).
    ///
    /// # Errors
    /// [`InvalidValue::OutOfRange`] naming `what` for a negative amount.
    pub fn non_negative(
        what: &'static str,
        amount: Decimal,
        currency: Currency,
    ) -> Result<Self, InvalidValue> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(InvalidValue::OutOfRange {
                what,
                range: "zero or more",
            });
        }
        Ok(Self { amount, currency })
    }

    /// Zero in `currency`.
    #[must_use]
    pub const fn zero(currency: Currency) -> Self {
        Self {
            amount: Decimal::ZERO,
            currency,
        }
    }

    /// The amount.
    #[must_use]
    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// The exact sum of two amounts in the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            });
        }
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// The amount times a whole count, exactly.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`].
    pub fn checked_mul(self, count: u32) -> Result<Self, MoneyError> {
        let amount = self
            .amount
            .checked_mul(Decimal::from(count))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::{Currency, Money, MoneyError};

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn currency_codes_are_upper_cased() {
        assert_eq!(
            Currency::parse("usd").map(|c| c.to_string()),
            Ok("USD".to_owned())
        );
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        let units = |code: &str| Currency::parse(code).map(Currency::minor_units);
        assert_eq!(units("JPY"), Ok(0));
        assert_eq!(units("krw"), Ok(0));
        assert_eq!(units("USD"), Ok(2));
        assert_eq!(units("EUR"), Ok(2));
        assert_eq!(units("KWD"), Ok(3));
        assert_eq!(units("CLF"), Ok(4));
    }

    #[test]
    fn tenths_add_up_exactly() {
        let tenth = Money::new(dec("0.1"), Currency::USD);
        let sum = tenth.checked_add(Money::new(dec("0.2"), Currency::USD));
        assert_eq!(sum.map(|m| m.amount()), Ok(dec("0.3")));
    }

    #[test]
    fn amounts_keep_their_scale() {
        assert_eq!(
            Money::new(dec("1.10"), Currency::USD).to_string(),
            "1.10 USD"
        );
    }

    #[test]
    fn different_currencies_do_not_add() {
        let eur = Currency::parse("EUR").unwrap_or(Currency::USD);
        let sum = Money::zero(Currency::USD).checked_add(Money::zero(eur));
        assert!(matches!(sum, Err(MoneyError::CurrencyMismatch { .. })));
    }

    #[test]
    fn negative_prices_are_rejected_but_zero_is_fine() {
        assert!(Money::non_negative("price", dec("-0.01"), Currency::USD).is_err());
        assert!(Money::non_negative("price", dec("0.00"), Currency::USD).is_ok());
        assert!(Money::non_negative("price", dec("-0"), Currency::USD).is_ok());
    }

    #[test]
    fn multiplying_by_a_count_is_exact() {
        let price = Money::new(dec("19.99"), Currency::USD);
        assert_eq!(price.checked_mul(3).map(|m| m.amount()), Ok(dec("59.97")));
    }
}
