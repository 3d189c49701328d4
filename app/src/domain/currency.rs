use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency, with the number of minor-unit digits used when amounts are
/// rounded for payouts and statements (2 for USD, 0 for JPY, 3 for KWD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub const USD: Currency = Currency(iso_currency::Currency::USD);

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let code = input.trim().to_ascii_uppercase();
        iso_currency::Currency::from_code(&code).map(Currency).ok_or_else(|| {
            ParseError(format!("'{}' is not an ISO 4217 currency code", input.trim()))
        })
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point of the currency's minor unit.
    pub fn minor_digits(&self) -> u32 {
        self.0.exponent().map(u32::from).unwrap_or(2)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

text_serde!(Currency, Currency::parse, |c: &Currency| c.code().to_string());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_knows_minor_units() {
        assert_eq!(Currency::parse("usd").unwrap(), Currency::USD);
        assert_eq!(Currency::parse("EUR").unwrap().minor_digits(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().minor_digits(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_digits(), 3);
    }

    #[test]
    fn refuses_unknown_codes() {
        for input in ["", "US", "XYZ", "dollars"] {
            assert!(Currency::parse(input).is_err(), "{input}");
        }
    }
}
