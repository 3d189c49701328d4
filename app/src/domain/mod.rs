//! Identifiers and values parsed once, at the edge, and trusted after.
//!
//! Each type can only be built by parsing, so a value of the type is valid by
//! construction: code that receives an `Isrc` never checks it again.

/// Serde for a value written as text: parsed on the way in (pair it with
/// `#[serde(try_from = "String", into = "String")]`), its stored spelling on the way out.
macro_rules! text_serde {
    ($type:ty, $parse:expr, $text:expr) => {
        impl TryFrom<String> for $type {
            type Error = $crate::domain::ParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                ($parse)(s.as_str())
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> String {
                ($text)(&value)
            }
        }
    };
}

mod currency;
mod email;
mod isrc;
mod month;
mod password;
mod platform;
mod role;
mod territory;
mod upc;
mod usage;

pub use currency::Currency;
pub use email::Email;
pub use isrc::Isrc;
pub use month::Month;
pub use password::Password;
pub use platform::Platform;
pub use role::Role;
pub use territory::Territory;
pub use upc::Upc;
pub use usage::UsageType;

/// Why a value could not be parsed; the message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);
