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
pub mod ssr;

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
