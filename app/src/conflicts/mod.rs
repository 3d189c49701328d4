//! Ownership conflicts: detection (`detect`), the staff queue and a conflict's page
//! (`ssr`), and the decisions that resolve them (`decide`).
//!
//! Staff see and work every conflict; a label manager sees their label's, read-only;
//! an artist sees only, on their track's page, that revenue is held and why.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod decide;
#[cfg(feature = "ssr")]
pub mod detect;
#[cfg(feature = "ssr")]
pub mod ssr;

/// Kinds: (code, label).
pub const KINDS: [(&str, &str); 4] = [
    ("overlapping_claims", "Overlapping claims"),
    ("foreign_claim", "Foreign claim"),
    ("metadata_mismatch", "Metadata mismatch"),
    ("unmatched", "Unmatched lines"),
];

/// Statuses the queue filters on: (code, label). "live" is open or investigating.
pub const STATUSES: [(&str, &str); 5] = [
    ("live", "Open or investigating"),
    ("open", "Open"),
    ("investigating", "Investigating"),
    ("resolved", "Resolved"),
    ("dismissed", "Dismissed"),
];

pub fn kind_label(code: &str) -> &str {
    KINDS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or(code)
}

/// The queue's filters, as they appear in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilter {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub platform: String,
    #[serde(default)]
    pub label_id: Option<i64>,
    #[serde(default)]
    pub territory: String,
    /// Opened at least this many days ago.
    #[serde(default)]
    pub min_age_days: Option<i64>,
    #[serde(default)]
    pub page: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub summary: String,
    pub track_id: Option<i64>,
    pub track: Option<String>,
    pub isrc: Option<String>,
    pub label: Option<String>,
    pub territories: Vec<String>,
    pub platforms: Vec<String>,
    /// In the reporting currency, at full precision; None while a rate is missing.
    pub at_stake: Option<String>,
    pub held: Option<String>,
    pub assigned_to: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCount {
    pub kind: String,
    pub count: i64,
    pub at_stake: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub rows: Vec<ConflictRow>,
    /// Matching the filter: how many, and their total at stake and held.
    pub total: i64,
    pub total_at_stake: String,
    pub total_held: String,
    /// Live conflicts per kind, whatever the filter.
    pub by_kind: Vec<KindCount>,
    pub currency: String,
    pub page: i64,
    pub pages: i64,
    pub labels: Vec<(i64, String)>,
    /// Staff can act; label managers only look.
    pub can_act: bool,
}

/// One side of an overlap: a claim as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimSide {
    pub id: i64,
    pub party: String,
    pub share_percent: String,
    pub territories: Vec<String>,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub source: String,
    pub ours: bool,
    pub withdrawn: Option<String>,
}

/// Report lines behind a conflict, per file, platform, territory and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineGroup {
    pub file_id: i64,
    pub file_name: String,
    pub platform: String,
    pub territory: String,
    pub month: String,
    pub lines: i64,
    pub first_line: i64,
    pub units: i64,
    pub gross: String,
    pub currency: String,
    pub collector: Option<String>,
    pub track_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldAmount {
    pub month: String,
    pub platform: String,
    pub territory: String,
    pub amount: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictEvent {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub action: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictDetail {
    pub row: ConflictRow,
    pub parties: Vec<String>,
    pub variants: Vec<String>,
    pub claims: Vec<ClaimSide>,
    pub lines: Vec<LineGroup>,
    pub held: Vec<HeldAmount>,
    pub history: Vec<ConflictEvent>,
    pub our_share: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub currency: String,
    pub can_act: bool,
}

/// Revenue of a track held because its ownership is disputed, as its artist may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackHold {
    pub kind: String,
    pub territories: Vec<String>,
    pub since: Option<String>,
    /// In `currency`, the reporting currency.
    pub held: Option<String>,
    pub currency: String,
}

#[server(prefix = "/api", endpoint = "conflict_queue")]
pub async fn conflict_queue(filter: QueueFilter) -> Result<Queue, AppError> {
    use crate::domain::Role;
    let user = crate::auth::ssr::require_role(&[Role::Staff, Role::LabelManager]).await?;
    ssr::queue(&crate::db::pool()?, &user, filter).await
}

#[server(prefix = "/api", endpoint = "conflict")]
pub async fn get_conflict(id: i64) -> Result<ConflictDetail, AppError> {
    use crate::domain::Role;
    let user = crate::auth::ssr::require_role(&[Role::Staff, Role::LabelManager]).await?;
    ssr::detail(&crate::db::pool()?, &user, id).await
}

/// Acts on a selection of conflicts, all or none: `action` is assign, investigate,
/// note, ours, theirs, split (with `our_share` in percent), match (with `isrc`, the
/// track to match to) or not_a_conflict.
#[server(prefix = "/api", endpoint = "act_on_conflicts")]
pub async fn act_on_conflicts(
    ids: Vec<i64>,
    action: String,
    #[server(default)] note: String,
    #[server(default)] our_share: String,
    #[server(default)] isrc: String,
) -> Result<String, AppError> {
    let user = crate::auth::ssr::require_role(&[crate::domain::Role::Staff]).await?;
    let action = decide::Action::parse(&action, &our_share, &isrc)?;
    decide::act_on_all(&crate::db::pool()?, user.id, &ids, &action, &note).await
}

/// What of a track's revenue is held and why, for anyone who may see the track.
#[server(prefix = "/api", endpoint = "track_holds")]
pub async fn track_holds(track_id: i64) -> Result<Vec<TrackHold>, AppError> {
    let user = crate::auth::ssr::require_user().await?;
    ssr::track_holds(&crate::db::pool()?, &user, track_id).await
}

/// New conflicts (opened in the last week, still live) whose revenue at stake is at
/// least the alert amount, for staff's overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alerts {
    pub threshold: String,
    pub currency: String,
    pub conflicts: Vec<ConflictRow>,
}

#[server(prefix = "/api", endpoint = "conflict_alerts")]
pub async fn conflict_alerts() -> Result<Alerts, AppError> {
    crate::auth::ssr::require_role(&[crate::domain::Role::Staff]).await?;
    ssr::alerts(&crate::db::pool()?).await
}

/// Sets the revenue at stake (in the reporting currency) above which a new conflict is
/// shown to staff as an alert.
#[server(prefix = "/api", endpoint = "set_conflict_alert_amount")]
pub async fn set_conflict_alert_amount(amount: String) -> Result<(), AppError> {
    crate::auth::ssr::require_role(&[crate::domain::Role::Staff]).await?;
    let value: rust_decimal::Decimal = amount.trim().parse().map_err(|_| {
        AppError::invalid(format!(
            "The alert amount '{amount}' is not a number such as 100 or 250.50."
        ))
    })?;
    if value.is_sign_negative() {
        return Err(AppError::invalid(format!("The alert amount {value} cannot be negative.")));
    }
    ssr::set_alert_amount(&crate::db::pool()?, value).await
}
