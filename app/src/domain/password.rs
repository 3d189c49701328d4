use super::ParseError;
use std::fmt;

/// A new password that meets the policy (NIST SP 800-63B / OWASP: length, not
/// composition rules). Its `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            Err(ParseError(format!(
                "The password must be at least {} characters long.",
                Self::MIN_CHARS
            )))
        } else if chars > Self::MAX_CHARS {
            Err(ParseError(format!(
                "The password must be at most {} characters long.",
                Self::MAX_CHARS
            )))
        } else {
            Ok(Password(input.to_string()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_and_hides_itself() {
        assert!(Password::parse("short").is_err());
        let p = Password::parse("long enough passphrase").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }
}
