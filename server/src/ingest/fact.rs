//! A fact: one reported use of one recording, as every format is normalised to.

use app::domain::{Currency, Isrc, Month, Platform, Territory, Upc, UsageType};
use chrono::NaiveDate;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// Where it came from in its file (1-based, physical lines): the lineage of every figure.
    pub line: u64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub territory: Territory,
    pub usage: UsageType,
    pub isrc: Option<Isrc>,
    pub upc: Option<Upc>,
    /// The platform's own id for the recording (Spotify track id, YouTube asset id,
    /// Apple identifier, Amazon ASIN).
    pub platform_track_id: Option<String>,
    pub title: String,
    pub artist: String,
    /// Streams, views or downloads; negative for returns and corrections.
    pub units: i64,
    /// What the platform reports it owes for these units, at full precision.
    pub gross: Decimal,
    pub currency: Currency,
    /// Another party the platform says collects on this recording, if any.
    pub collector: Option<String>,
}

impl Fact {
    pub fn accounting_month(&self) -> Month {
        Month::of_period_end(self.period_end)
    }
}

/// What a file says about itself as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMeta {
    pub format: &'static str,
    pub platform: Platform,
    /// The sending party as the file names it (DSR HEAD SenderName, for instance).
    pub sender: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Reconciliations that hold under one reading of an ambiguous standard only.
    pub warnings: Vec<String>,
}

impl ReportMeta {
    /// The month the file is accounted in: the month its period ends.
    pub fn accounting_month(&self) -> Month {
        Month::of_period_end(self.period_end)
    }
}
