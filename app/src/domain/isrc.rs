use super::ParseError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// International Standard Recording Code: `CC-XXX-YY-NNNNN`.
///
/// Country code (2 letters), registrant (3 letters or digits), year (2 digits) and
/// designation (5 digits). Accepted with or without dashes and in any case; kept as
/// 12 upper-case characters without dashes, the form platforms report and match on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Isrc(String);

impl Isrc {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim();
        let compact: String = if trimmed.contains('-') {
            Self::strip_dashes(trimmed, input)?
        } else {
            trimmed.to_string()
        };
        let code = compact.to_ascii_uppercase();
        let bytes = code.as_bytes();
        let valid = bytes.len() == 12
            && bytes[..2].iter().all(u8::is_ascii_uppercase)
            && bytes[2..5].iter().all(u8::is_ascii_alphanumeric)
            && bytes[5..].iter().all(u8::is_ascii_digit);
        if valid {
            Ok(Isrc(code))
        } else {
            Err(ParseError(format!(
                "'{input}' is not an ISRC: expected CC-XXX-YY-NNNNN (country, registrant, year, number)"
            )))
        }
    }

    /// Dashes are allowed only at the standard positions, so `US-R1-C21-00001` is refused.
    fn strip_dashes(trimmed: &str, input: &str) -> Result<String, ParseError> {
        let parts: Vec<&str> = trimmed.split('-').collect();
        let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        if lengths == [2, 3, 2, 5] {
            Ok(parts.concat())
        } else {
            Err(ParseError(format!(
                "'{input}' is not an ISRC: dashes go between country, registrant, year and number (CC-XXX-YY-NNNNN)"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hyphenated form people read: `US-RC1-21-00001`.
    pub fn hyphenated(&self) -> String {
        let c = &self.0;
        format!("{}-{}-{}-{}", &c[..2], &c[2..5], &c[5..7], &c[7..])
    }
}

impl fmt::Display for Isrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Isrc {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Isrc::parse(s)
    }
}

text_serde!(Isrc, Isrc::parse, |i: &Isrc| i.0.clone());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_compact_and_hyphenated_forms_in_any_case() {
        for input in ["USRC17607839", "US-RC1-76-07839", "usrc17607839", " us-rc1-76-07839 "] {
            let isrc = Isrc::parse(input).unwrap();
            assert_eq!(isrc.as_str(), "USRC17607839", "{input}");
        }
        assert_eq!(Isrc::parse("GBAYE0601498").unwrap().hyphenated(), "GB-AYE-06-01498");
    }

    #[test]
    fn registrant_may_hold_digits() {
        assert_eq!(Isrc::parse("QZ9H81900001").unwrap().as_str(), "QZ9H81900001");
    }

    #[test]
    fn refuses_wrong_length_and_characters() {
        for input in [
            "",
            "USRC1760783",     // 11 characters
            "USRC176078390",   // 13 characters
            "U1RC17607839",    // digit in the country code
            "USRC1A607839",    // letter in the year
            "USRC17607_39",    // punctuation
            "US-RC17-6-07839", // dashes in the wrong places
            "US--RC1-76-0783",
        ] {
            assert!(Isrc::parse(input).is_err(), "{input:?} should be refused");
        }
    }

    #[test]
    fn error_names_the_value() {
        let err = Isrc::parse("nope").unwrap_err();
        assert!(err.0.contains("'nope'"), "{err}");
    }

    #[test]
    fn serde_round_trip_validates() {
        let isrc: Isrc = serde_json::from_str("\"us-rc1-76-07839\"").unwrap();
        assert_eq!(serde_json::to_string(&isrc).unwrap(), "\"USRC17607839\"");
        assert!(serde_json::from_str::<Isrc>("\"bad\"").is_err());
    }
}
