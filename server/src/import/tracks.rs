//! Tracks: `release_upc,isrc,title,track_number,duration_seconds,main_artist,
//! featured_artists` (featured artists separated by `;`). A track is known by its
//! ISRC: importing it again updates it (on the same release). Artists new to the
//! catalog are added. Lines that arrived before the track (suspense) are linked to it
//! and allocated.

use super::platform_ids::tracks_by_isrc;
use super::{Imported, Kind, Line, required};
use crate::ingest::{ErrorLog, LineError};
use anyhow::Result;
use app::conflicts::detect::{Scope, detect};
use app::domain::{Isrc, Upc};
use sqlx::PgConnection;
use std::collections::HashMap;

pub struct Tracks;

#[derive(Debug, Clone)]
pub struct Track {
    pub upc: String,
    pub isrc: Isrc,
    pub title: String,
    pub number: i32,
    pub duration: Option<i32>,
    pub main: String,
    pub featured: Vec<String>,
}

impl Kind for Tracks {
    type Row = Track;
    const NAME: &'static str = "tracks";
    const COLUMNS: &'static [&'static str] = &[
        "release_upc",
        "isrc",
        "title",
        "track_number",
        "duration_seconds",
        "main_artist",
        "featured_artists",
    ];
    const EXAMPLE: &'static [&'static [&'static str]] = &[
        &["0000000000017", "USNLR2600099", "Night Drive", "1", "214", "Nova Reyes", ""],
        &["0000000000017", "USNLR2600100", "Afterglow", "2", "198", "Nova Reyes", "DJ Okapi"],
    ];
    const PAGE: &'static str = "/catalog";

    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Track> {
        let upc = line.field("release_upc", errors, |v| {
            Upc::parse(v).map(|u| u.gtin13().to_string()).map_err(|e| e.0)
        });
        let isrc = line.field("isrc", errors, |v| Isrc::parse(v).map_err(|e| e.0));
        let title = line.field("title", errors, required);
        let number = line.field("track_number", errors, |v| match v.parse::<i32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err("expected a track number from 1".into()),
        });
        let duration = line.field("duration_seconds", errors, |v| match v {
            "" => Ok(None),
            v => match v.parse::<i32>() {
                Ok(s) if s > 0 => Ok(Some(s)),
                _ => Err("expected a number of seconds".into()),
            },
        });
        let main = line.field("main_artist", errors, required);
        let featured = app::catalog::edit::names(line.cell("featured_artists"));
        Some(Track {
            upc: upc?,
            isrc: isrc?,
            title: title?,
            number: number?,
            duration: duration?,
            main: main?,
            featured,
        })
    }

    fn key(track: &Track) -> String {
        track.isrc.as_str().to_string()
    }

    async fn write(
        tx: &mut PgConnection,
        rows: &[(u64, Track)],
        _source: &str,
    ) -> Result<Imported> {
        let upcs: Vec<String> = rows.iter().map(|(_, t)| t.upc.clone()).collect();
        let releases: HashMap<String, i64> =
            sqlx::query!("SELECT id, upc FROM releases WHERE upc = ANY($1)", &upcs)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|r| (r.upc, r.id))
                .collect();
        let isrcs: Vec<String> = rows.iter().map(|(_, t)| t.isrc.as_str().to_string()).collect();
        let existing = existing_releases(tx, &isrcs).await?;
        let mut errors = ErrorLog::default();
        for (line, track) in rows {
            match releases.get(&track.upc) {
                None => errors.push(LineError::new(
                    *line,
                    "release_upc",
                    &track.upc,
                    "no release has this UPC",
                )),
                Some(release) => {
                    if existing.get(track.isrc.as_str()).is_some_and(|r| r != release) {
                        let reason = "this ISRC is a track of another release";
                        errors.push(LineError::new(*line, "isrc", track.isrc.as_str(), reason));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Ok(Imported::Refused(errors));
        }
        for (line, track) in rows {
            if let Err(e) = upsert(tx, releases[&track.upc], track).await {
                if app::db::is_unique_violation(&e, "tracks_release_id_track_number_key") {
                    let reason = "the release has another track with this number";
                    errors.push(LineError::new(
                        *line,
                        "track_number",
                        &track.number.to_string(),
                        reason,
                    ));
                    return Ok(Imported::Refused(errors));
                }
                return Err(e.into());
            }
        }
        let tracks: Vec<i64> = tracks_by_isrc(tx, &isrcs).await?.into_values().collect();
        app::revenue::matching::rematch(tx, &tracks).await?;
        detect(tx, &Scope::Tracks(tracks)).await?;
        Ok(Imported::Written(rows.len() as u64))
    }
}

/// The release each of these ISRCs is on already, if any.
async fn existing_releases(
    tx: &mut PgConnection,
    isrcs: &[String],
) -> Result<HashMap<String, i64>> {
    Ok(sqlx::query!("SELECT isrc, release_id FROM tracks WHERE isrc = ANY($1)", isrcs)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|t| (t.isrc, t.release_id))
        .collect())
}

/// Writes the track and its credits (artists new to the catalog are added).
async fn upsert(tx: &mut PgConnection, release: i64, track: &Track) -> Result<(), sqlx::Error> {
    let id = sqlx::query_scalar!(
        r#"
        INSERT INTO tracks (release_id, isrc, title, track_number, duration_seconds)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (isrc) DO UPDATE SET title = EXCLUDED.title,
            track_number = EXCLUDED.track_number, duration_seconds = EXCLUDED.duration_seconds
        RETURNING id
        "#,
        release,
        track.isrc.as_str(),
        track.title,
        track.number,
        track.duration
    )
    .fetch_one(&mut *tx)
    .await?;
    app::catalog::edit::credit(tx, id, &track.main, &track.featured).await
}
