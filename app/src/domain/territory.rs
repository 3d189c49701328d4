use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a stream happened: an ISO 3166-1 alpha-2 country code, or `WW` for
/// worldwide (reports that do not split by country, and claims that cover everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Territory([u8; 2]);

impl Territory {
    pub const WORLDWIDE: Territory = Territory(*b"WW");

    /// Accepts any case and the spellings reports use for "everywhere" (`Worldwide`).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let code = input.trim().to_ascii_uppercase();
        if code == "WW" || code == "WORLDWIDE" {
            return Ok(Territory::WORLDWIDE);
        }
        match isocountry::CountryCode::for_alpha2(&code) {
            Ok(_) => {
                let bytes = code.as_bytes();
                Ok(Territory([bytes[0], bytes[1]]))
            }
            Err(_) => Err(ParseError(format!(
                "'{}' is not a territory: expected an ISO 3166-1 two-letter country code or WW",
                input.trim()
            ))),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("territory codes are ASCII")
    }
}

impl fmt::Display for Territory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

text_serde!(Territory, Territory::parse, |t: &Territory| t.as_str().to_string());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_countries_and_worldwide() {
        assert_eq!(Territory::parse("us").unwrap().as_str(), "US");
        assert_eq!(Territory::parse(" GB ").unwrap().as_str(), "GB");
        assert_eq!(Territory::parse("Worldwide").unwrap(), Territory::WORLDWIDE);
        assert_eq!(Territory::parse("WW").unwrap().as_str(), "WW");
    }

    #[test]
    fn refuses_unknown_codes() {
        for input in ["", "XX", "USA", "U", "12"] {
            let err = Territory::parse(input).unwrap_err();
            assert!(err.0.contains("is not a territory"), "{input}: {err}");
        }
    }
}
