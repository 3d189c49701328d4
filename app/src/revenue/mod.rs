//! Revenue: what each stream earned, converted, split and paid. So far the exchange
//! rates it converts with (issue 5 builds the rest here). Staff-only for now.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod holds;
#[cfg(feature = "ssr")]
pub mod ledger;
#[cfg(feature = "ssr")]
pub mod matching;
#[cfg(feature = "ssr")]
pub mod ssr;
#[cfg(feature = "ssr")]
pub mod summary;
#[cfg(feature = "ssr")]
pub mod terms;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateRow {
    pub month: String,
    pub from: String,
    pub to: String,
    /// At full precision, as text.
    pub rate: String,
    pub source: String,
    pub updated_at: DateTime<Utc>,
}

/// A rate that revenue needs and nobody has given: reports of `month` hold amounts in
/// `from`, and `to` is a label's accounting currency or the reporting currency (USD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingRate {
    pub month: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    pub rates: Vec<RateRow>,
    pub missing: Vec<MissingRate>,
}

#[server(prefix = "/api", endpoint = "exchange_rates")]
pub async fn exchange_rates() -> Result<Rates, AppError> {
    crate::auth::ssr::require_role(&[crate::domain::Role::Staff]).await?;
    ssr::rates(&crate::db::pool()?).await
}

/// Where an amount came from: one track's lines on one platform, in one territory and
/// accounting month, per report file, with their line numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    pub track: String,
    pub isrc: String,
    pub platform: String,
    pub territory: String,
    pub month: String,
    pub files: Vec<LineageFile>,
    /// Per usage type: units, gross and per-stream revenue, in words.
    pub per_stream: Vec<PerStream>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageFile {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub currency: String,
    /// The reported lines' numbers (at most 500 shown; `line_count` has them all).
    pub lines: Vec<i64>,
    pub line_count: i64,
    /// Lines cancelled by reversal rows (a superseded or withdrawn file).
    pub reversed: i64,
    pub units: i64,
    pub gross: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerStream {
    pub usage: String,
    pub units: i64,
    pub gross: String,
    pub currency: String,
    /// "0.0041 USD per stream, Spotify premium, US, 2026-03", or why there is none.
    pub said: String,
}

/// Staff: the report files and lines behind a statement or dashboard amount.
#[server(prefix = "/api", endpoint = "amount_lineage")]
pub async fn amount_lineage(
    track_id: i64,
    platform: String,
    territory: String,
    month: String,
) -> Result<Lineage, AppError> {
    crate::auth::ssr::require_role(&[crate::domain::Role::Staff]).await?;
    let platform: crate::domain::Platform = platform.trim().parse()?;
    let territory = crate::domain::Territory::parse(&territory)?;
    let month: crate::domain::Month = month.trim().parse()?;
    ssr::lineage(&crate::db::pool()?, track_id, platform, territory, month).await
}
