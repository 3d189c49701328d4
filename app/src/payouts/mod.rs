//! Payout runs and statements: what each payee of a label is owed for a period.
//!
//! A label manager (or staff) creates a run for a label up to a month; it is worked out
//! from the allocation ledger against the label's approved runs, so every amount is
//! stated once however late it arrives. Runs go draft, submitted, approved (staff
//! only), paid. Approved runs are final (the database refuses changes to them).
//! Artists see the statements of approved runs that pay them.

#[cfg(feature = "ssr")]
use crate::domain::{Month, Role};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod ssr;

/// An amount as people see it (rounded to the currency's minor unit) and exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub shown: String,
    pub exact: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: i64,
    pub label_id: i64,
    pub label_name: String,
    /// YYYY-MM, both inclusive.
    pub period_start: String,
    pub period_end: String,
    pub currency: String,
    pub status: String,
    pub statements: i64,
    pub payable: Amount,
    pub created_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementSummary {
    pub run_id: i64,
    pub payee_id: i64,
    pub payee_name: String,
    pub payee_kind: String,
    pub opening: Amount,
    pub earnings: Amount,
    pub held: Amount,
    pub recouped: Amount,
    pub closing: Amount,
    pub payable: Amount,
    pub carried: Amount,
    pub advance_balance: Amount,
}

/// What the reader may do with a run now (the server checks again on each action).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunActions {
    pub recalculate: bool,
    pub submit: bool,
    pub delete: bool,
    pub approve: bool,
    pub send_back: bool,
    pub mark_paid: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDetail {
    pub run: RunSummary,
    pub statements: Vec<StatementSummary>,
    pub returned_note: Option<String>,
    pub actions: RunActions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub track_id: i64,
    pub isrc: String,
    pub title: String,
    pub platform: String,
    pub platform_code: String,
    pub territory: String,
    pub month: String,
    pub units: i64,
    /// Rounded so the lines add up to the statement's rounded earnings.
    pub earnings: String,
    pub earnings_exact: String,
    pub held: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub run: RunSummary,
    pub summary: StatementSummary,
    /// Earnings per platform: name and amount.
    pub by_platform: Vec<(String, Amount)>,
    /// One page of the lines ([`LINES_PER_PAGE`]); the CSV has them all.
    pub lines: Vec<StatementLine>,
    pub line_count: i64,
    pub page: i64,
}

/// A label's payee has a line per track, platform, territory and month: tens of
/// thousands a year, which a page cannot carry (a 3 MB page for 13,000 lines).
pub const LINES_PER_PAGE: i64 = 200;

/// How many pages `lines` lines fill: at least one, empty.
pub fn pages_of(lines: i64) -> i64 {
    ((lines + LINES_PER_PAGE - 1) / LINES_PER_PAGE).max(1)
}

impl Statement {
    pub fn pages(&self) -> i64 {
        pages_of(self.line_count)
    }
}

/// A label a run can be made for, and where its next run would start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLabel {
    pub id: i64,
    pub name: String,
    pub currency: String,
    /// YYYY-MM: the month after the label's last approved run, if any.
    pub next_start: Option<String>,
    pub open_run: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runs {
    pub runs: Vec<RunSummary>,
    pub labels: Vec<RunLabel>,
}

#[cfg(feature = "ssr")]
const MANAGERS: &[Role] = &[Role::LabelManager, Role::Staff];

/// The runs the reader may see (their label's, or all for staff), newest first.
#[server(prefix = "/api", endpoint = "payout_runs")]
pub async fn payout_runs() -> Result<Runs, AppError> {
    let user = crate::auth::ssr::require_role(MANAGERS).await?;
    ssr::runs(&crate::db::pool()?, user.scope()).await
}

/// Creates a draft run for `label_id` (a label manager's own label) up to `period_end`
/// (YYYY-MM) and works out its statements.
#[server(prefix = "/api", endpoint = "create_payout_run")]
pub async fn create_payout_run(label_id: i64, period_end: String) -> Result<i64, AppError> {
    let user = crate::auth::ssr::require_role(MANAGERS).await?;
    let period_end: Month = period_end.trim().parse()?;
    ssr::create(&crate::db::pool()?, &user, label_id, period_end).await
}

#[server(prefix = "/api", endpoint = "payout_run")]
pub async fn payout_run(run_id: i64) -> Result<RunDetail, AppError> {
    let user = crate::auth::ssr::require_role(MANAGERS).await?;
    ssr::detail(&crate::db::pool()?, &user, run_id).await
}

/// A step in a run's life: `recalculate`, `submit` or `delete` (a draft, by its label's
/// manager or staff); `approve`, `send_back` (with a note) or `mark_paid` (staff).
#[server(prefix = "/api", endpoint = "payout_run_action")]
pub async fn payout_run_action(
    run_id: i64,
    action: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    let user = crate::auth::ssr::require_role(MANAGERS).await?;
    let action = ssr::Action::parse(&action, &note)?;
    ssr::act(&crate::db::pool()?, &user, run_id, action).await
}

/// The statements the reader may see: an artist's own in approved runs, a label's,
/// or all.
#[server(prefix = "/api", endpoint = "payout_statements")]
pub async fn payout_statements() -> Result<Vec<(RunSummary, StatementSummary)>, AppError> {
    let user = crate::auth::ssr::require_user().await?;
    ssr::statements(&crate::db::pool()?, user.scope()).await
}

#[server(prefix = "/api", endpoint = "payout_statement")]
pub async fn payout_statement(
    run_id: i64,
    payee_id: i64,
    #[server(default)] page: Option<i64>,
) -> Result<Statement, AppError> {
    let user = crate::auth::ssr::require_user().await?;
    let page = Some(page.unwrap_or(1));
    ssr::statement(&crate::db::pool()?, user.scope(), run_id, payee_id, page).await
}

/// Human words for a run's status.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "draft" => "Draft",
        "submitted" => "Submitted for approval",
        "approved" => "Approved",
        "paid" => "Paid",
        _ => "Unknown",
    }
}
