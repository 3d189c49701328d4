//! The platforms' own ids for catalog tracks: `isrc,platform,platform_track_id`
//! (Spotify track id, YouTube asset id, Apple id, Amazon ASIN). Lines without an ISRC
//! are matched by these; adding one links the lines that arrived before it (suspense)
//! and allocates them.

use super::{Imported, Kind, Line, required};
use crate::ingest::{ErrorLog, LineError};
use anyhow::Result;
use app::conflicts::detect::{Scope, detect};
use app::domain::{Isrc, Platform};
use sqlx::PgConnection;
use std::collections::HashMap;

pub struct PlatformIds;

#[derive(Debug, Clone)]
pub struct PlatformId {
    pub isrc: Isrc,
    pub platform: Platform,
    pub id: String,
}

impl Kind for PlatformIds {
    type Row = PlatformId;
    const NAME: &'static str = "platform-ids";
    const COLUMNS: &'static [&'static str] = &["isrc", "platform", "platform_track_id"];
    const EXAMPLE: &'static [&'static [&'static str]] = &[
        &["USNLR2600001", "spotify", "4uLU6hMCjMI75M1A2tKUQC"],
        &["USNLR2600001", "youtube", "A123456789012345"],
    ];
    const PAGE: &'static str = "/catalog";

    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<PlatformId> {
        let isrc = line.field("isrc", errors, |v| Isrc::parse(v).map_err(|e| e.0));
        let platform = line.field("platform", errors, |v| v.parse::<Platform>().map_err(|e| e.0));
        let id = line.field("platform_track_id", errors, required);
        Some(PlatformId { isrc: isrc?, platform: platform?, id: id? })
    }

    fn key(row: &PlatformId) -> String {
        format!("{} {}", row.platform.code(), row.id)
    }

    async fn write(
        tx: &mut PgConnection,
        rows: &[(u64, PlatformId)],
        _source: &str,
    ) -> Result<Imported> {
        let isrcs: Vec<String> = rows.iter().map(|(_, r)| r.isrc.as_str().to_string()).collect();
        let tracks = tracks_by_isrc(tx, &isrcs).await?;
        let mut errors = ErrorLog::default();
        for (line, row) in rows {
            if !tracks.contains_key(row.isrc.as_str()) {
                errors.push(LineError::new(*line, "isrc", row.isrc.as_str(), "not in the catalog"));
            }
        }
        if !errors.is_empty() {
            return Ok(Imported::Refused(errors));
        }
        let mut touched = Vec::new();
        for (_, row) in rows {
            let track = tracks[row.isrc.as_str()];
            app::catalog::edit::set_platform_id(tx, row.platform, &row.id, track).await?;
            touched.push(track);
        }
        app::revenue::matching::rematch(tx, &touched).await?;
        detect(tx, &Scope::Tracks(touched)).await?;
        Ok(Imported::Written(rows.len() as u64))
    }
}

/// Catalog tracks by ISRC.
pub(super) async fn tracks_by_isrc(
    tx: &mut PgConnection,
    isrcs: &[String],
) -> Result<HashMap<String, i64>> {
    Ok(sqlx::query!("SELECT id, isrc FROM tracks WHERE isrc = ANY($1)", isrcs)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|t| (t.isrc, t.id))
        .collect())
}
