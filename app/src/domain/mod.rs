//! Identifiers and values parsed once, at the edge, and trusted after.
//!
//! Each type can only be built by parsing, so a value of the type is valid by
//! construction: code that receives an `Isrc` never checks it again.

mod email;
mod isrc;
mod password;
mod role;
mod upc;

pub use email::Email;
pub use isrc::Isrc;
pub use password::Password;
pub use role::Role;
pub use upc::Upc;

/// Why a value could not be parsed; the message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);
