use super::ParseError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A product barcode: UPC-A (12 digits) or EAN-13 (13 digits), check digit verified.
///
/// Both are GTINs; a UPC-A is the EAN-13 with a leading zero. We keep the 13-digit
/// form so the same product always has the same key, and show a UPC-A as 12 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Upc(String);

impl Upc {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let digits: String = input.trim().chars().filter(|c| *c != ' ' && *c != '-').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit())
            || !(digits.len() == 12 || digits.len() == 13)
        {
            return Err(ParseError(format!(
                "'{input}' is not a UPC/EAN: expected 12 or 13 digits"
            )));
        }
        let gtin13 = if digits.len() == 12 { format!("0{digits}") } else { digits };
        let expected = gtin_check_digit(&gtin13[..12]);
        let actual = gtin13.as_bytes()[12] - b'0';
        if expected != actual {
            return Err(ParseError(format!(
                "'{input}' is not a valid UPC/EAN: check digit is {actual}, expected {expected}"
            )));
        }
        Ok(Upc(gtin13))
    }

    /// Builds a valid code from its first 11 (UPC-A) or 12 (EAN-13) digits.
    pub fn with_check_digit(body: &str) -> Result<Self, ParseError> {
        if !body.bytes().all(|b| b.is_ascii_digit()) || !(body.len() == 11 || body.len() == 12) {
            return Err(ParseError(format!("'{body}' is not 11 or 12 digits")));
        }
        let padded = if body.len() == 11 { format!("0{body}") } else { body.to_string() };
        let check = gtin_check_digit(&padded);
        Ok(Upc(format!("{padded}{check}")))
    }

    /// The 13-digit GTIN, as stored.
    pub fn gtin13(&self) -> &str {
        &self.0
    }
}

/// GS1 mod-10: weights 3 and 1 alternate from the rightmost data digit.
fn gtin_check_digit(data: &str) -> u8 {
    let sum: u32 = data
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl fmt::Display for Upc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.strip_prefix('0') {
            Some(upc_a) => f.write_str(upc_a),
            None => f.write_str(&self.0),
        }
    }
}

impl FromStr for Upc {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Upc::parse(s)
    }
}

text_serde!(Upc, Upc::parse, |u: &Upc| u.0.clone());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_upc_a_and_ean_13() {
        // Real published codes.
        let upc = Upc::parse("036000291452").unwrap();
        assert_eq!(upc.gtin13(), "0036000291452");
        assert_eq!(upc.to_string(), "036000291452");
        let ean = Upc::parse("4006381333931").unwrap();
        assert_eq!(ean.gtin13(), "4006381333931");
        assert_eq!(ean.to_string(), "4006381333931");
    }

    #[test]
    fn upc_a_and_its_ean_form_are_the_same_product() {
        assert_eq!(Upc::parse("036000291452").unwrap(), Upc::parse("0036000291452").unwrap());
    }

    #[test]
    fn tolerates_spaces_and_dashes_people_type() {
        assert_eq!(Upc::parse(" 0-36000-29145-2 ").unwrap().to_string(), "036000291452");
    }

    #[test]
    fn refuses_a_wrong_check_digit_and_says_which() {
        let err = Upc::parse("036000291453").unwrap_err();
        assert!(err.0.contains("check digit is 3, expected 2"), "{err}");
        assert!(Upc::parse("4006381333932").is_err());
    }

    #[test]
    fn refuses_wrong_lengths_and_letters() {
        for input in ["", "12345", "03600029145", "00360002914522", "03600029145X"] {
            assert!(Upc::parse(input).is_err(), "{input:?} should be refused");
        }
    }

    #[test]
    fn builds_check_digits() {
        assert_eq!(Upc::with_check_digit("03600029145").unwrap().to_string(), "036000291452");
        assert_eq!(Upc::with_check_digit("400638133393").unwrap().to_string(), "4006381333931");
    }
}
