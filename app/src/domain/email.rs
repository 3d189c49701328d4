use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A login email, trimmed and lower-cased so that `Ann@Label.com` and `ann@label.com`
/// are one account. Deliberately loose: the only real check of an address is mail.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let email = input.trim().to_lowercase();
        let well_formed = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
        if well_formed {
            Ok(Email(email))
        } else {
            Err(ParseError(format!("'{}' is not an email address", input.trim())))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_serde!(Email, Email::parse, |e: &Email| e.0.clone());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_space() {
        assert_eq!(Email::parse("  Ann@Label.COM ").unwrap().as_str(), "ann@label.com");
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        for input in ["", "ann", "@label.com", "ann@", "a b@label.com", "a@b@c"] {
            assert!(Email::parse(input).is_err(), "{input:?}");
        }
    }
}
