//! The catalog as each role sees it: labels, artists, releases and tracks.
//!
//! Every query takes the caller's [`Scope`](crate::auth::Scope) and filters in SQL,
//! so a view can never hold rows its reader may not see.

use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
    pub artists: Vec<ArtistSummary>,
    pub releases: Vec<ReleaseSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackDetail {
    pub track: TrackSummary,
    pub release: ReleaseSummary,
}

/// An artist's releases, with only the tracks they are credited on.
#[server(prefix = "/api", endpoint = "my_releases")]
pub async fn my_releases() -> Result<Vec<ReleaseWithTracks>, AppError> {
    let user = crate::auth::ssr::require_role(&[crate::domain::Role::Artist]).await?;
    ssr::releases_with_tracks(&crate::db::pool()?, user.scope()).await
}

/// A label manager's catalog: the label's artists and releases.
#[server(prefix = "/api", endpoint = "label_catalog")]
pub async fn get_label_catalog() -> Result<LabelCatalog, AppError> {
    let user = crate::auth::ssr::require_role(&[crate::domain::Role::LabelManager]).await?;
    let pool = crate::db::pool()?;
    Ok(LabelCatalog {
        artists: ssr::artists(&pool, user.scope()).await?,
        releases: ssr::releases(&pool, user.scope(), None).await?,
    })
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
