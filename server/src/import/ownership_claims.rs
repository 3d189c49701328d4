//! Ownership claims: `isrc,party,share,territories,valid_from,valid_to,source`.
//! `territories` lists ISO country codes separated by spaces (or `WW` for worldwide);
//! `source` is delivery, platform_report or manual. A claim is known by its track,
//! party, start and source: importing it again updates its share, territories and end.
//! Conflict detection (issue 6) reads these claims.

use super::{Imported, Kind, Line, required};
use crate::ingest::{ErrorLog, LineError};
use anyhow::Result;
use app::conflicts::detect::{Scope, detect};
use app::domain::{Isrc, Territory};
use app::terms::ssr::{claim_source, day, territories};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::HashMap;

pub struct OwnershipClaims;

#[derive(Debug, Clone)]
pub struct Claim {
    pub isrc: Isrc,
    pub party: String,
    pub share: Decimal,
    pub territories: Vec<Territory>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub source: &'static str,
}

impl Kind for OwnershipClaims {
    type Row = Claim;
    const NAME: &'static str = "ownership-claims";
    const COLUMNS: &'static [&'static str] =
        &["isrc", "party", "share", "territories", "valid_from", "valid_to", "source"];
    const EXAMPLE: &'static [&'static [&'static str]] = &[
        &["USNLR2600001", "Northern Lights Records", "1", "WW", "2026-01-01", "", "delivery"],
        &["USNLR2600002", "Other Label Ltd", "0.5", "US CA", "2026-03-01", "2026-12-31", "manual"],
    ];
    const PAGE: &'static str = "/claims";

    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Claim> {
        let isrc = line.field("isrc", errors, |v| Isrc::parse(v).map_err(|e| e.0));
        let party = line.field("party", errors, required);
        let share = line.field("share", errors, |v| match v.parse::<Decimal>() {
            Ok(s) if s > Decimal::ZERO && s <= Decimal::ONE => Ok(s),
            Ok(_) => Err("must be more than 0 and at most 1 (0.5 is 50%)".into()),
            Err(_) => Err("expected a fraction with a dot, like 0.5".into()),
        });
        let territories = line.field("territories", errors, territories);
        let from = line.field("valid_from", errors, day);
        let to = line
            .field("valid_to", errors, |v| if v.is_empty() { Ok(None) } else { day(v).map(Some) });
        let source = line.field("source", errors, claim_source);
        let claim = Claim {
            isrc: isrc?,
            party: party?,
            share: share?,
            territories: territories?,
            from: from?,
            to: to?,
            source: source?,
        };
        if claim.to.is_some_and(|to| to < claim.from) {
            let to = claim.to.map(|d| d.to_string()).unwrap_or_default();
            errors.push(LineError::new(line.number, "valid_to", &to, "before valid_from"));
            return None;
        }
        Some(claim)
    }

    fn key(c: &Claim) -> String {
        format!("{} / {} from {} ({})", c.isrc.as_str(), c.party.to_lowercase(), c.from, c.source)
    }

    async fn write(
        tx: &mut PgConnection,
        rows: &[(u64, Claim)],
        _source: &str,
    ) -> Result<Imported> {
        let isrcs: Vec<String> = rows.iter().map(|(_, c)| c.isrc.as_str().to_string()).collect();
        let tracks: HashMap<String, i64> =
            sqlx::query!("SELECT id, isrc FROM tracks WHERE isrc = ANY($1)", &isrcs)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|t| (t.isrc, t.id))
                .collect();
        let mut errors = ErrorLog::default();
        for (line, claim) in rows {
            if !tracks.contains_key(claim.isrc.as_str()) {
                errors.push(LineError::new(
                    *line,
                    "isrc",
                    claim.isrc.as_str(),
                    "not in the catalog",
                ));
            }
        }
        if !errors.is_empty() {
            return Ok(Imported::Refused(errors));
        }
        for (_, claim) in rows {
            let territories: Vec<String> =
                claim.territories.iter().map(|t| t.as_str().to_string()).collect();
            sqlx::query!(
                r#"
                INSERT INTO ownership_claims
                    (track_id, party, share, territories, valid_from, valid_to, source)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (track_id, lower(party), valid_from, source) DO UPDATE
                SET share = EXCLUDED.share, territories = EXCLUDED.territories,
                    valid_to = EXCLUDED.valid_to, party = EXCLUDED.party
                "#,
                tracks[claim.isrc.as_str()],
                claim.party,
                claim.share,
                &territories as _,
                claim.from as _,
                claim.to as _,
                claim.source
            )
            .execute(&mut *tx)
            .await?;
        }
        detect(tx, &Scope::Tracks(tracks.into_values().collect())).await?;
        Ok(Imported::Written(rows.len() as u64))
    }
}
