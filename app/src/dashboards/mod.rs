//! Dashboards: what each role logs in to see, read from the summaries that allocation
//! keeps (`revenue::summary`), never from the facts. So far the artist's overview;
//! the label and staff overviews, filters and exports are still to come (issue 7).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod charts;
#[cfg(feature = "ssr")]
pub mod ssr;

/// How recent a platform's data is: the last accounting month with a loaded report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    pub platform: String,
    pub through: String,
}

/// One row of a breakdown: streams, money (exact, as text) and money per stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub label: String,
    pub units: i64,
    pub amount: String,
    pub per_stream: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtistDashboard {
    pub freshness: Vec<Freshness>,
    /// The currency of the artist's earnings (their label's).
    pub currency: String,
    /// The last twelve months with data, oldest first, and all time.
    pub months: Vec<Line>,
    pub all_time: Line,
    pub by_platform: Vec<Line>,
    pub by_territory: Vec<Line>,
    pub top_tracks: Vec<Line>,
    /// Earnings held back (disputed ownership, missing contract or rate).
    pub held: String,
    /// SVG markup drawn on the server: earnings by month, and by platform.
    pub months_chart: String,
    pub platforms_chart: String,
}

/// The logged-in artist's overview: their own earnings only.
#[server(prefix = "/api", endpoint = "artist_dashboard")]
pub async fn get_artist_dashboard() -> Result<ArtistDashboard, AppError> {
    let user = crate::auth::ssr::require_role(&[crate::domain::Role::Artist]).await?;
    let artist = user.artist_id.ok_or(AppError::Forbidden)?;
    ssr::artist(&crate::db::pool()?, artist).await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelDashboard {
    pub freshness: Vec<Freshness>,
    pub label: String,
    /// The label's accounting currency: every amount here is in it.
    pub currency: String,
    /// Gross is the label's revenue before the distributor's fee; `net` the payees' part.
    pub all_time: Line,
    pub net: String,
    pub held: String,
    /// Lines whose amount waits for an exchange rate, left out of the sums above.
    pub awaiting_rate: i64,
    pub months: Vec<Line>,
    pub by_platform: Vec<Line>,
    pub by_territory: Vec<Line>,
    pub by_artist: Vec<Line>,
    pub by_release: Vec<Line>,
    pub months_chart: String,
    pub platforms_chart: String,
}

/// A label's overview: a label manager's own label, or any label for staff.
#[server(prefix = "/api", endpoint = "label_dashboard")]
pub async fn get_label_dashboard(label_id: Option<i64>) -> Result<LabelDashboard, AppError> {
    use crate::auth::Scope;
    use crate::domain::Role;
    let user = crate::auth::ssr::require_role(&[Role::LabelManager, Role::Staff]).await?;
    let label = match (user.scope(), label_id) {
        (Scope::Label(own), None) => own,
        (Scope::Label(own), Some(asked)) if asked == own => own,
        (Scope::Everything, Some(asked)) => asked,
        _ => return Err(AppError::NotFound),
    };
    ssr::label(&crate::db::pool()?, label).await
}

/// One label's revenue in the reporting currency, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelTotal {
    pub label: String,
    pub units: i64,
    /// Reported gross in the reporting currency, all time; lines whose rate is
    /// missing are counted in `awaiting_rate` instead.
    pub gross: String,
    pub awaiting_rate: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentFile {
    pub id: i64,
    pub name: String,
    pub platform: Option<String>,
    pub month: Option<String>,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDashboard {
    pub freshness: Vec<Freshness>,
    pub currency: String,
    pub labels: Vec<LabelTotal>,
    /// Lines that matched no track, in the reporting currency.
    pub suspense: LabelTotal,
    pub open_conflicts: i64,
    pub at_stake: String,
    pub held: String,
    pub recent_files: Vec<RecentFile>,
}

#[server(prefix = "/api", endpoint = "staff_dashboard")]
pub async fn get_staff_dashboard() -> Result<StaffDashboard, AppError> {
    crate::auth::ssr::require_role(&[crate::domain::Role::Staff]).await?;
    ssr::staff(&crate::db::pool()?).await
}
