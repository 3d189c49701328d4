//! Revenue terms as staff maintain them: payees, contracts and their splits, advances
//! and ownership claims. Lists with a search, and forms to enter and edit each (the
//! CSV imports of the same kinds are in `server::import`). Staff only.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod ssr;

/// The kinds of payee, as stored.
pub const PAYEE_KINDS: [&str; 4] = ["artist", "featured_artist", "producer", "label"];

/// Where an ownership claim came from, as stored: our delivery, a platform's claim
/// report, or a person's decision.
pub const CLAIM_SOURCES: [&str; 3] = ["delivery", "platform_report", "manual"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayeeRow {
    pub id: i64,
    pub label_id: i64,
    pub label: String,
    pub name: String,
    pub kind: String,
    pub artist_id: Option<i64>,
    pub artist: Option<String>,
    pub currency: String,
    pub minimum_payout: String,
    /// Contracts that split revenue to this payee.
    pub contracts: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractRow {
    pub id: i64,
    pub label: String,
    /// "Release: Title (UPC)" or "Track: Title (ISRC)".
    pub subject: String,
    pub fee: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    /// "Nova Reyes 70%, Sam Okoro 5%, ...".
    pub splits: String,
    /// The release's UPC or the track's ISRC, as the contract form takes it.
    pub code: String,
    /// One "payee: share" per line, as the contract form takes them.
    pub split_lines: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvanceRow {
    pub id: i64,
    pub label: String,
    pub payee_id: i64,
    pub payee: String,
    pub amount: String,
    pub currency: String,
    pub paid_on: String,
    pub note: String,
    /// Recouped on approved statements so far, across all of the payee's advances.
    pub payee_recouped: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRow {
    pub id: i64,
    pub track: String,
    pub isrc: String,
    pub party: String,
    pub share: String,
    /// Codes separated by spaces: "US CA", or "WW".
    pub territories: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    /// As stored (one of [`CLAIM_SOURCES`]).
    pub source: String,
}

/// What the payee form offers: labels and artists by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    pub labels: Vec<(i64, String)>,
    pub artists: Vec<(i64, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payees {
    pub payees: Vec<PayeeRow>,
    pub choices: Choices,
}

#[cfg(feature = "ssr")]
async fn staff() -> Result<crate::auth::SessionUser, AppError> {
    crate::auth::ssr::require_role(&[crate::domain::Role::Staff]).await
}

/// Payees whose name, label or artist contains `q` (all when empty).
#[server(prefix = "/api", endpoint = "list_payees")]
pub async fn list_payees(q: String) -> Result<Payees, AppError> {
    staff().await?;
    let pool = crate::db::pool()?;
    Ok(Payees { payees: ssr::payees(&pool, &q).await?, choices: ssr::choices(&pool).await? })
}

/// Creates a payee (`payee_id` 0) or changes one. The currency is the label's.
#[server(prefix = "/api", endpoint = "save_payee")]
pub async fn save_payee(
    payee_id: i64,
    label_id: i64,
    name: String,
    kind: String,
    #[server(default)] artist_id: String,
    #[server(default)] minimum_payout: String,
) -> Result<i64, AppError> {
    staff().await?;
    let payee = ssr::PayeeForm::parse(label_id, &name, &kind, &artist_id, &minimum_payout)?;
    ssr::save_payee(&crate::db::pool()?, payee_id, &payee).await
}

#[server(prefix = "/api", endpoint = "list_contracts")]
pub async fn list_contracts(q: String) -> Result<Vec<ContractRow>, AppError> {
    staff().await?;
    ssr::contracts(&crate::db::pool()?, &q).await
}

/// Enters a contract for a release (UPC) or track (ISRC): `splits` holds one
/// "payee: share" per line, summing to 1. It replaces the subject's contract with the
/// same first month, and the tracks it covers are allocated again.
#[server(prefix = "/api", endpoint = "save_contract")]
pub async fn save_contract(
    subject: String,
    valid_from: String,
    #[server(default)] valid_to: String,
    distribution_fee: String,
    splits: String,
) -> Result<(), AppError> {
    staff().await?;
    let pool = crate::db::pool()?;
    ssr::save_contract(&pool, &subject, &valid_from, &valid_to, &distribution_fee, &splits).await
}

#[server(prefix = "/api", endpoint = "list_advances")]
pub async fn list_advances(q: String) -> Result<Vec<AdvanceRow>, AppError> {
    staff().await?;
    ssr::advances(&crate::db::pool()?, &q).await
}

/// Records an advance paid to a payee (`advance_id` 0; in the payee's label's
/// currency) or corrects one, as long as the payee's advances still cover what
/// approved statements have recouped from them.
#[server(prefix = "/api", endpoint = "save_advance")]
pub async fn save_advance(
    #[server(default)] advance_id: i64,
    payee_id: i64,
    amount: String,
    paid_on: String,
    #[server(default)] note: String,
) -> Result<i64, AppError> {
    staff().await?;
    let advance = ssr::AdvanceForm::parse(payee_id, &amount, &paid_on, &note)?;
    ssr::save_advance(&crate::db::pool()?, advance_id, &advance).await
}

/// Removes an advance entered by mistake, unless approved statements have recouped
/// more than the payee's other advances cover.
#[server(prefix = "/api", endpoint = "remove_advance")]
pub async fn remove_advance(advance_id: i64) -> Result<(), AppError> {
    staff().await?;
    ssr::remove_advance(&crate::db::pool()?, advance_id).await
}

#[server(prefix = "/api", endpoint = "list_claims")]
pub async fn list_claims(q: String) -> Result<Vec<ClaimRow>, AppError> {
    staff().await?;
    ssr::claims(&crate::db::pool()?, &q).await
}

/// The claim form's fields, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimInput {
    pub isrc: String,
    pub party: String,
    pub share: String,
    /// Country codes separated by spaces, or WW for worldwide.
    pub territories: String,
    /// Days, `YYYY-MM-DD`; an empty `valid_to` leaves the claim open.
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    /// One of [`CLAIM_SOURCES`].
    pub source: String,
}

/// Enters an ownership claim on a track (`claim_id` 0) or corrects one.
#[server(prefix = "/api", endpoint = "save_claim")]
pub async fn save_claim(
    #[server(default)] claim_id: i64,
    #[server(flatten)] claim: ClaimInput,
) -> Result<i64, AppError> {
    staff().await?;
    let claim = ssr::ClaimForm::parse(&claim)?;
    ssr::save_claim(&crate::db::pool()?, claim_id, &claim).await
}
