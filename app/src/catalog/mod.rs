//! The catalog as each role sees it: labels, artists, releases and tracks, and the
//! staff's editor of it (`edit`).
//!
//! Every query takes the caller's [`Scope`](crate::auth::Scope) and filters in SQL,
//! so a view can never hold rows its reader may not see.

use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod edit;
#[cfg(feature = "ssr")]
pub mod ssr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackSummary {
    pub id: i64,
    pub isrc: String,
    pub title: String,
    pub track_number: i32,
    pub duration_seconds: Option<i32>,
    /// Everyone credited, main artists first: "Nova Reyes feat. The Quiet Hours".
    pub artists: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseSummary {
    pub id: i64,
    pub title: String,
    /// UPC-A shown as 12 digits, EAN-13 as 13.
    pub upc: String,
    pub artist_name: String,
    pub label_name: String,
    pub release_date: Option<NaiveDate>,
    pub track_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseWithTracks {
    pub release: ReleaseSummary,
    pub tracks: Vec<TrackSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtistSummary {
    pub id: i64,
    pub name: String,
    pub release_count: i64,
    pub track_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSummary {
    pub id: i64,
    pub name: String,
    pub accounting_currency: String,
    pub artist_count: i64,
    pub release_count: i64,
    pub track_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelCatalog {
    /// Most tracks first: all of them, or the first few.
    pub artists: Vec<ArtistSummary>,
    /// Newest first: all of them, or the first few.
    pub releases: Vec<ReleaseSummary>,
    pub artist_count: i64,
    pub release_count: i64,
    pub track_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackDetail {
    pub track: TrackSummary,
    pub release: ReleaseSummary,
}

/// A label as the catalog editor lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogLabel {
    pub id: i64,
    pub name: String,
    pub currency: String,
    pub releases: i64,
    pub payees: i64,
}

/// A release as the catalog editor lists and edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogRelease {
    pub id: i64,
    pub label_id: i64,
    pub label: String,
    pub upc: String,
    pub title: String,
    pub artist: String,
    /// `YYYY-MM-DD`, or empty when unknown.
    pub release_date: String,
    pub tracks: i64,
}

/// A track as the track form takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogTrack {
    pub id: i64,
    pub isrc: String,
    pub title: String,
    pub track_number: i32,
    pub duration_seconds: Option<i32>,
    pub main_artist: String,
    /// Separated by `;`.
    pub featured_artists: String,
    /// One "platform: id" per line.
    pub platform_ids: String,
}

/// What the staff's catalog page shows: labels, the releases found, and the release
/// being edited with its tracks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEditor {
    pub labels: Vec<CatalogLabel>,
    pub releases: Vec<CatalogRelease>,
    pub release: Option<(CatalogRelease, Vec<CatalogTrack>)>,
}

/// An artist's releases, with only the tracks they are credited on.
#[server(prefix = "/api", endpoint = "my_releases")]
pub async fn my_releases() -> Result<Vec<ReleaseWithTracks>, AppError> {
    let user = crate::auth::ssr::require_role(&[crate::domain::Role::Artist]).await?;
    ssr::releases_with_tracks(&crate::db::pool()?, user.scope()).await
}

/// Artists and releases a label's home page lists unless asked for all of them: a
/// label of 10,000 tracks has some 500 artists and 1,250 releases (750 KB of page).
pub const LABEL_CATALOG_FIRST: i64 = 10;

/// A label manager's catalog: the label's size, and its artists and releases (`all`,
/// or the first [`LABEL_CATALOG_FIRST`] of each).
#[server(prefix = "/api", endpoint = "label_catalog")]
pub async fn get_label_catalog(#[server(default)] all: bool) -> Result<LabelCatalog, AppError> {
    let user = crate::auth::ssr::require_role(&[crate::domain::Role::LabelManager]).await?;
    let pool = crate::db::pool()?;
    let crate::auth::Scope::Label(label) = user.scope() else {
        return Err(AppError::Forbidden);
    };
    if all {
        return ssr::label_catalog(&pool, label, None).await;
    }
    // The card on every one of the label's home pages: kept while the catalog is as read.
    let first = Some(LABEL_CATALOG_FIRST);
    let card = crate::db::catalog_cached(&pool, "label card", label, || {
        ssr::label_catalog(&pool, label, first)
    })
    .await?;
    Ok(LabelCatalog::clone(&card))
}

/// Every label with its size, for staff.
#[server(prefix = "/api", endpoint = "label_summaries")]
pub async fn label_summaries() -> Result<Vec<LabelSummary>, AppError> {
    crate::auth::ssr::require_role(&[crate::domain::Role::Staff]).await?;
    ssr::label_summaries(&crate::db::pool()?).await
}

/// One track, if the caller may see it; otherwise the same `NotFound` as for a track
/// that does not exist.
#[server(prefix = "/api", endpoint = "track")]
pub async fn get_track_detail(track_id: i64) -> Result<TrackDetail, AppError> {
    let user = crate::auth::ssr::require_user().await?;
    ssr::track_detail(&crate::db::pool()?, user.scope(), track_id).await
}

#[cfg(feature = "ssr")]
async fn staff() -> Result<crate::auth::SessionUser, AppError> {
    crate::auth::ssr::require_role(&[crate::domain::Role::Staff]).await
}

/// Staff: labels, releases matching `q`, and `release_id` with its tracks.
#[server(prefix = "/api", endpoint = "catalog_for_staff")]
pub async fn catalog_for_staff(
    q: String,
    release_id: Option<i64>,
) -> Result<CatalogEditor, AppError> {
    staff().await?;
    edit::editor(&crate::db::pool()?, &q, release_id).await
}

/// Staff: creates a label (`label_id` 0) or changes one.
#[server(prefix = "/api", endpoint = "save_label")]
pub async fn save_label(
    label_id: i64,
    name: String,
    accounting_currency: String,
) -> Result<i64, AppError> {
    staff().await?;
    edit::save_label(&crate::db::pool()?, label_id, &name, &accounting_currency).await
}

/// Staff: creates a release (`release_id` 0) or changes one; a new artist name is added
/// to the catalog.
#[server(prefix = "/api", endpoint = "save_release")]
pub async fn save_release(
    release_id: i64,
    label_id: i64,
    upc: String,
    title: String,
    artist: String,
    #[server(default)] release_date: String,
) -> Result<i64, AppError> {
    staff().await?;
    let form = edit::ReleaseForm::parse(label_id, &upc, &title, &artist, &release_date)?;
    edit::save_release(&crate::db::pool()?, release_id, &form).await
}

/// The track form's text fields, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackInput {
    pub isrc: String,
    pub title: String,
    pub track_number: String,
    /// `3:35` or seconds; empty when unknown.
    #[serde(default)]
    pub duration: String,
    pub main_artist: String,
    /// Separated by `;`.
    #[serde(default)]
    pub featured_artists: String,
    /// One "platform: id" per line.
    #[serde(default)]
    pub platform_ids: String,
}

/// Staff: creates a track on a release (`track_id` 0) or changes one, with its credits
/// and platform ids; lines waiting for it in suspense are linked and allocated.
#[server(prefix = "/api", endpoint = "save_track")]
pub async fn save_track(
    track_id: i64,
    release_id: i64,
    #[server(flatten)] track: TrackInput,
) -> Result<i64, AppError> {
    staff().await?;
    let form = edit::TrackForm::parse(release_id, &track)?;
    edit::save_track(&crate::db::pool()?, track_id, &form).await
}

/// `215` seconds as `3:35`.
pub fn format_duration(seconds: Option<i32>) -> String {
    match seconds {
        Some(s) => format!("{}:{:02}", s / 60, s % 60),
        None => "—".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_minutes_and_seconds() {
        assert_eq!(super::format_duration(Some(215)), "3:35");
        assert_eq!(super::format_duration(Some(59)), "0:59");
        assert_eq!(super::format_duration(None), "—");
    }
}
