//! Ingestion: platform report files in, facts out.
//!
//! Each format module reads a file in two streaming passes where it must (DDEX DSR
//! shares summary revenue out over usage lines) and hands every parsed line to the
//! caller as a [`Fact`], or every problem as a [`LineError`]. Nothing here touches
//! the database: the loader decides what is written, all or nothing.

pub mod command;
pub mod dsr;
pub mod errors;
pub mod fact;
pub mod loader;
pub mod source;

pub use errors::{ErrorLog, LineError};
pub use fact::{Fact, ReportMeta};
