//! Releases: `label,upc,title,artist,release_date`. A release is known by its UPC:
//! importing it again updates its title, artist and date. It stays on its label (its
//! contracts, ledger and statements are that label's); an artist new to the catalog is
//! added. Tracks follow with the `tracks` import.

use super::{Imported, Kind, Line, labels_by_name, required};
use crate::ingest::{ErrorLog, LineError};
use anyhow::Result;
use app::catalog::edit::artist_id;
use app::conflicts::detect::{Scope, detect};
use app::domain::Upc;
use chrono::NaiveDate;
use sqlx::PgConnection;
use std::collections::HashMap;

pub struct Releases;

#[derive(Debug, Clone)]
pub struct Release {
    pub label: String,
    pub upc: String,
    pub title: String,
    pub artist: String,
    pub date: Option<NaiveDate>,
}

impl Kind for Releases {
    type Row = Release;
    const NAME: &'static str = "releases";
    const COLUMNS: &'static [&'static str] = &["label", "upc", "title", "artist", "release_date"];
    const EXAMPLE: &'static [&'static [&'static str]] =
        &[&["Northern Lights Records", "036000291452", "Night Drive", "Nova Reyes", "2026-04-03"]];
    const PAGE: &'static str = "/catalog";

    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Release> {
        let label = line.field("label", errors, required);
        let upc = line.field("upc", errors, |v| {
            Upc::parse(v).map(|u| u.gtin13().to_string()).map_err(|e| e.0)
        });
        let title = line.field("title", errors, required);
        let artist = line.field("artist", errors, required);
        let date = line.field("release_date", errors, |v| match v {
            "" => Ok(None),
            v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| "expected a date, YYYY-MM-DD".into()),
        });
        Some(Release { label: label?, upc: upc?, title: title?, artist: artist?, date: date? })
    }

    fn key(release: &Release) -> String {
        release.upc.clone()
    }

    async fn write(
        tx: &mut PgConnection,
        rows: &[(u64, Release)],
        _source: &str,
    ) -> Result<Imported> {
        let labels = labels_by_name(tx, rows.iter().map(|(_, r)| r.label.as_str())).await?;
        let upcs: Vec<String> = rows.iter().map(|(_, r)| r.upc.clone()).collect();
        let existing: HashMap<String, i64> =
            sqlx::query!("SELECT upc, label_id FROM releases WHERE upc = ANY($1)", &upcs)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|r| (r.upc, r.label_id))
                .collect();
        let mut errors = ErrorLog::default();
        let mut resolved = Vec::new();
        for (line, release) in rows {
            let Some((label, _)) = labels.get(&release.label.to_lowercase()) else {
                errors.push(LineError::new(
                    *line,
                    "label",
                    &release.label,
                    "no label has this name",
                ));
                continue;
            };
            if existing.get(&release.upc).is_some_and(|l| l != label) {
                let reason = "this UPC is a release of another label; releases do not move";
                errors.push(LineError::new(*line, "label", &release.label, reason));
                continue;
            }
            resolved.push((*label, release));
        }
        if !errors.is_empty() {
            return Ok(Imported::Refused(errors));
        }
        let mut saved = Vec::new();
        for (label, release) in &resolved {
            let artist = artist_id(tx, &release.artist).await?;
            let id = sqlx::query_scalar!(
                r#"
                INSERT INTO releases (label_id, artist_id, upc, title, release_date)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (upc) DO UPDATE SET artist_id = EXCLUDED.artist_id,
                    title = EXCLUDED.title, release_date = EXCLUDED.release_date
                RETURNING id
                "#,
                label,
                artist,
                release.upc,
                release.title,
                release.date as _
            )
            .fetch_one(&mut *tx)
            .await?;
            saved.push(id);
        }
        // A release's artist is what its tracks' reports are compared with.
        let tracks = app::catalog::edit::tracks_of(tx, &saved, &[]).await?;
        detect(tx, &Scope::Tracks(tracks)).await?;
        Ok(Imported::Written(resolved.len() as u64))
    }
}
