//! Dashboards: what each role logs in to see, read from the summaries that allocation
//! keeps (`revenue::summary`), never from the facts.
//!
//! One analysis serves every role: the URL's [`Filters`] pick the slice, the reader's
//! role picks the source (an artist's own earnings, a label's revenue, or everything in
//! the reporting currency; `query::Source`), and each table is a [`Dimension`] sorted
//! and paged on the server. CSV exports (`server::exports`) run the same queries.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod charts;
#[cfg(feature = "ssr")]
pub mod earnings;
pub mod filters;
#[cfg(feature = "ssr")]
pub mod label_totals;
#[cfg(feature = "ssr")]
pub mod query;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use filters::{Dimension, Filters, Sort, SortKey, TableState};

/// How recent a platform's data is: the last accounting month with a loaded report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    pub platform: String,
    pub through: String,
}

/// Sums over a slice. Money is exact, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub units: i64,
    pub amount: String,
    pub per_stream: Option<String>,
    /// The payees' part and what is held back; `None` where amounts in several
    /// currencies would have to be added (everything at once).
    pub net: Option<String>,
    pub held: Option<String>,
    /// Summary rows whose amount waits for an exchange rate: counted, not summed as 0.
    pub awaiting: i64,
}

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// What the row's filter takes (a platform code, an id, a month); empty for suspense.
    pub key: String,
    pub label: String,
    pub units: i64,
    pub amount: String,
    pub per_stream: Option<String>,
    pub awaiting: i64,
}

/// One page of a table, sorted on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TablePage {
    pub state: TableState,
    pub rows: Vec<Row>,
    pub total_rows: i64,
    pub per_page: u32,
    pub currency: String,
    /// "Earnings" (an artist's share) or "Revenue".
    pub money: String,
}

/// A track whose money changed most between the two periods compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mover {
    pub track_id: i64,
    pub title: String,
    pub now: String,
    pub before: String,
}

/// The period shown against the one just before it, of the same length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// `2026-04 – 2026-06`, or one month.
    pub now_label: String,
    pub before_label: String,
    pub now: Totals,
    pub before: Totals,
    pub movers: Vec<Mover>,
}

/// What the filter menus offer: (shown, value) pairs, or values shown as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    pub months: Vec<String>,
    pub platforms: Vec<(String, String)>,
    pub territories: Vec<String>,
    pub usages: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub artists: Vec<(String, String)>,
    pub releases: Vec<(String, String)>,
    /// The artists or releases were too many for a menu (see `ssr::MENU_LIMIT`): only
    /// the chosen one is listed, and the tables' rows pick others.
    pub shortened: bool,
    /// More than one only for an artist paid in several currencies.
    pub currencies: Vec<String>,
}

/// Whose numbers a dashboard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    Artist,
    Label,
    Everything,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub view: View,
    /// The artist's or label's name, or "All labels".
    pub scope: String,
    pub currency: String,
    pub money: String,
    pub freshness: Vec<Freshness>,
    pub totals: Totals,
    /// The first and last month with data in the slice.
    pub span: Option<(String, String)>,
    pub comparison: Option<Comparison>,
    /// SVG drawn on the server: money by month stacked by platform, streams by month,
    /// money by platform.
    pub months_chart: String,
    pub streams_chart: String,
    pub platforms_chart: String,
    pub options: Options,
    /// An artist's earnings after the months of their last approved statement: what the
    /// next statement would add, before any advance is recouped.
    pub next_statement: Option<String>,
}

/// The reader's dashboard for `filters`: their own numbers only, whatever the URL says
/// (an artist's payees, a manager's label; staff may pick any label).
#[server(prefix = "/api", endpoint = "dashboard")]
pub async fn dashboard(#[server(default)] filters: Filters) -> Result<Overview, AppError> {
    let user = crate::auth::ssr::require_role(&ssr::READERS).await?;
    let pool = crate::db::pool()?;
    let source = ssr::source(&pool, &user, &filters).await?;
    let mut overview = ssr::overview(&pool, &source, &filters).await?;
    // Other labels' names are staff's to see, even on a manager's own label page.
    if user.role != crate::domain::Role::Staff {
        overview.options.labels.clear();
    }
    Ok(overview)
}

/// One page of one of the reader's tables.
#[server(prefix = "/api", endpoint = "dashboard_table")]
pub async fn dashboard_table(
    #[server(default)] filters: Filters,
    table: TableState,
) -> Result<TablePage, AppError> {
    let user = crate::auth::ssr::require_role(&ssr::READERS).await?;
    let pool = crate::db::pool()?;
    let source = ssr::source(&pool, &user, &filters).await?;
    ssr::table_page(&pool, &source, &filters, table).await
}

/// A job's platform and whether its reports are in on time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFreshness {
    pub job: String,
    pub platform: String,
    pub freshness: crate::ingestion::Freshness,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentFile {
    pub id: i64,
    pub name: String,
    pub platform: Option<String>,
    pub month: Option<String>,
    pub status: String,
}

/// What only staff watch: ingestion per source, conflicts, the latest files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffDashboard {
    pub currency: String,
    pub sources: Vec<SourceFreshness>,
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
