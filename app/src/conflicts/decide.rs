//! What staff do with a conflict: take it, investigate, note, and decide it.
//!
//! Deciding is one transaction: the claims are corrected, the conflict's holds are
//! settled (what they held goes to the owner decided on, split as decided, or to the
//! other party as not ours), the ledger is allocated again for the track, and the
//! history records who, when, what and why. The conflict's row is locked first, so of
//! two people deciding it at once one wins and the other is told so.

use super::detect::{self, Scope};
use crate::domain::Isrc;
use crate::error::AppError;
use crate::revenue::ledger::{self, Scope as LedgerScope};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Ours,
    Theirs,
    /// Our share, between 0 and 1.
    Split(Decimal),
    /// Unmatched lines belong to this track.
    Match(Isrc),
    NotAConflict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Assign,
    Investigate,
    Note,
    Decide(Decision),
}

impl Action {
    /// Reads a form's action, with the share (in percent) or ISRC some decisions need.
    pub fn parse(action: &str, our_share: &str, isrc: &str) -> Result<Action, AppError> {
        Ok(match action {
            "assign" => Action::Assign,
            "investigate" => Action::Investigate,
            "note" => Action::Note,
            "ours" => Action::Decide(Decision::Ours),
            "theirs" => Action::Decide(Decision::Theirs),
            "not_a_conflict" => Action::Decide(Decision::NotAConflict),
            "split" => Action::Decide(Decision::Split(share(our_share)?)),
            "match" => Action::Decide(Decision::Match(Isrc::parse(isrc)?)),
            other => return Err(AppError::invalid(format!("'{other}' is not an action."))),
        })
    }
}

/// Our share in percent, strictly between 0 and 100 (0 and 100 are theirs and ours).
fn share(percent: &str) -> Result<Decimal, AppError> {
    let value: Decimal = percent.trim().trim_end_matches('%').trim().parse().map_err(|_| {
        AppError::invalid(format!("Our share '{percent}' is not a percentage such as 50 or 37.5."))
    })?;
    if value <= Decimal::ZERO || value >= Decimal::ONE_HUNDRED {
        return Err(AppError::invalid(format!(
            "Our share {value}% must be more than 0 and less than 100 (decide ours or theirs instead)."
        )));
    }
    Ok(value / Decimal::ONE_HUNDRED)
}

/// Applies `action` to every conflict in `ids`, all or none. Returns what was done.
pub async fn act_on_all(
    pool: &PgPool,
    user: i64,
    ids: &[i64],
    action: &Action,
    note: &str,
) -> Result<String, AppError> {
    if ids.is_empty() {
        return Err(AppError::invalid("Select at least one conflict."));
    }
    let mut tx = pool.begin().await?;
    // Before the conflicts' rows are locked: see `ledger::lock`.
    ledger::lock(&mut tx).await?;
    let mut done = Vec::new();
    for &id in ids {
        done.push(act(&mut tx, user, id, action, note).await?);
    }
    tx.commit().await?;
    Ok(done.join(" "))
}

/// The parts of a conflict that deciding it needs, read under a row lock.
struct Locked {
    kind: String,
    status: String,
    track_id: Option<i64>,
    isrc: Option<String>,
    platform_track_id: Option<String>,
    platforms: Vec<String>,
    claim_ids: Vec<i64>,
    parties: Vec<String>,
    held: Option<Decimal>,
    resolution: Option<String>,
    decided: Option<String>,
}

pub async fn act(
    tx: &mut PgConnection,
    user: i64,
    id: i64,
    action: &Action,
    note: &str,
) -> Result<String, AppError> {
    let c = lock(tx, id).await?;
    let note = note.trim();
    if !matches!(c.status.as_str(), "open" | "investigating") {
        let how = c.resolution.as_deref().map(|r| format!(" as {}", words(r))).unwrap_or_default();
        return Err(AppError::invalid(format!(
            "Conflict #{id} was already {}{how}{}; nothing was changed.",
            c.status,
            c.decided.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
        )));
    }
    match action {
        Action::Assign => {
            sqlx::query!(
                "UPDATE conflicts SET assigned_to = $2, updated_at = now() WHERE id = $1",
                id,
                user
            )
            .execute(&mut *tx)
            .await?;
            record(tx, id, user, "assigned", note).await?;
            Ok(format!("Conflict #{id} is yours."))
        }
        Action::Investigate => {
            sqlx::query!(
                "UPDATE conflicts SET status = 'investigating', updated_at = now() WHERE id = $1",
                id
            )
            .execute(&mut *tx)
            .await?;
            record(tx, id, user, "investigating", note).await?;
            Ok(format!("Conflict #{id} is being investigated."))
        }
        Action::Note => {
            if note.is_empty() {
                return Err(AppError::invalid("Write the note first."));
            }
            record(tx, id, user, "noted", note).await?;
            Ok(format!("Note added to conflict #{id}."))
        }
        Action::Decide(decision) => decide(tx, user, id, &c, decision, note).await,
    }
}

async fn lock(tx: &mut PgConnection, id: i64) -> Result<Locked, AppError> {
    let row = sqlx::query!(
        r#"
        SELECT c.kind, c.status, c.track_id, c.isrc, c.platform_track_id, c.platforms,
               c.claim_ids, c.parties, c.held, c.resolution,
               u.email || ' at ' || to_char(c.decided_at, 'YYYY-MM-DD HH24:MI') AS decided
        FROM conflicts c LEFT JOIN users u ON u.id = c.decided_by
        WHERE c.id = $1
        FOR UPDATE OF c
        "#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Locked {
        kind: row.kind,
        status: row.status,
        track_id: row.track_id,
        isrc: row.isrc,
        platform_track_id: row.platform_track_id,
        platforms: row.platforms,
        claim_ids: row.claim_ids,
        parties: row.parties,
        held: row.held,
        resolution: row.resolution,
        decided: row.decided,
    })
}

fn words(resolution: &str) -> &str {
    match resolution {
        "not_a_conflict" => "not a conflict",
        "matched" => "matched to a track",
        other => other,
    }
}

async fn decide(
    tx: &mut PgConnection,
    user: i64,
    id: i64,
    c: &Locked,
    decision: &Decision,
    note: &str,
) -> Result<String, AppError> {
    let allowed = match c.kind.as_str() {
        "overlapping_claims" | "foreign_claim" => {
            matches!(decision, Decision::Ours | Decision::Theirs | Decision::Split(_))
        }
        "metadata_mismatch" => matches!(decision, Decision::NotAConflict),
        _ => matches!(decision, Decision::Match(_) | Decision::Theirs),
    };
    if !allowed {
        return Err(AppError::invalid(format!(
            "Conflict #{id} is {}: it cannot be decided that way.",
            super::kind_label(&c.kind).to_lowercase()
        )));
    }
    let (resolution, ours) = match decision {
        Decision::Ours => ("ours", Decimal::ONE),
        Decision::Theirs => ("theirs", Decimal::ZERO),
        Decision::Split(share) => ("split", *share),
        Decision::Match(_) => ("matched", Decimal::ONE),
        Decision::NotAConflict => ("not_a_conflict", Decimal::ONE),
    };
    let mut track = c.track_id;
    let mut said = match decision {
        Decision::Match(isrc) => {
            let t = match_lines(tx, id, c, isrc).await?;
            track = Some(t);
            format!("its lines now belong to ISRC {isrc}")
        }
        _ if c.kind == "overlapping_claims" => {
            correct_claims(tx, id, c, ours).await?;
            settle(tx, id, c, user, ours, resolution).await?
        }
        _ if c.kind == "foreign_claim" => settle(tx, id, c, user, ours, resolution).await?,
        Decision::Theirs => "its suspense stays unpaid, as not ours".to_string(),
        _ => "nothing was held".to_string(),
    };
    if !note.is_empty() {
        said = format!("{said}. {note}");
    }
    sqlx::query!(
        r#"
        UPDATE conflicts SET status = 'resolved', resolution = $2,
            our_share = CASE WHEN $2 = 'split' THEN $3::numeric END,
            decided_by = $4, decided_at = now(), decision_note = $5, held = 0,
            track_id = coalesce(track_id, $6), updated_at = now()
        WHERE id = $1
        "#,
        id,
        resolution,
        ours,
        user,
        note,
        track
    )
    .execute(&mut *tx)
    .await?;
    record(tx, id, user, "resolved", &format!("Resolved as {}: {said}", words(resolution))).await?;
    if let Some(track) = track {
        detect::detect(tx, &Scope::Tracks(vec![track])).await?;
    }
    Ok(format!("Conflict #{id} resolved as {}: {said}.", words(resolution)))
}

/// Ends the claims the decision rules out: theirs when ours, ours when theirs, all of
/// them for a split, which records the split as two manual claims instead.
async fn correct_claims(
    tx: &mut PgConnection,
    id: i64,
    c: &Locked,
    ours: Decimal,
) -> Result<(), AppError> {
    let why = format!("Ended by the decision on conflict #{id}.");
    sqlx::query!(
        r#"
        WITH ours AS (
            SELECT cl.id, (cl.source = 'delivery'
                           OR lower(cl.party) IN (lower(l.name), lower(s.distributor_name))) AS ours
            FROM ownership_claims cl
            JOIN tracks t ON t.id = cl.track_id
            JOIN releases r ON r.id = t.release_id
            JOIN labels l ON l.id = r.label_id
            CROSS JOIN settings s
            WHERE cl.id = ANY ($1)
        )
        UPDATE ownership_claims cl SET withdrawn_at = now(), withdrawn_note = $3
        FROM ours
        WHERE cl.id = ours.id AND cl.withdrawn_at IS NULL
          AND ($2::numeric = 0 AND ours.ours OR $2::numeric = 1 AND NOT ours.ours
               OR $2::numeric > 0 AND $2::numeric < 1)
        "#,
        &c.claim_ids,
        ours,
        why
    )
    .execute(&mut *tx)
    .await?;
    if ours > Decimal::ZERO && ours < Decimal::ONE {
        sqlx::query!(
            r#"
            WITH involved AS (
                SELECT cl.track_id, min(cl.valid_from) AS valid_from,
                       CASE WHEN bool_or(cl.valid_to IS NULL) THEN NULL
                            ELSE max(cl.valid_to) END AS valid_to,
                       (SELECT territories FROM conflicts WHERE id = $2) AS territories
                FROM ownership_claims cl WHERE cl.id = ANY ($1)
                GROUP BY cl.track_id
            ),
            sides AS (
                SELECT i.*, l.name AS party, $3::numeric AS share
                FROM involved i
                JOIN tracks t ON t.id = i.track_id
                JOIN releases r ON r.id = t.release_id
                JOIN labels l ON l.id = r.label_id
                UNION ALL
                SELECT i.*, $4, 1 - $3::numeric FROM involved i
            )
            INSERT INTO ownership_claims (track_id, party, share, territories, valid_from, valid_to, source)
            SELECT track_id, party, share, territories, valid_from, valid_to, 'manual' FROM sides
            ON CONFLICT (track_id, lower(party), valid_from, source) DO UPDATE
            SET share = EXCLUDED.share, territories = EXCLUDED.territories,
                valid_to = EXCLUDED.valid_to, withdrawn_at = NULL, withdrawn_note = NULL
            "#,
            &c.claim_ids,
            id,
            ours,
            others(tx, c).await?
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The other side's name: the parties of the conflict that are not ours.
async fn others(tx: &mut PgConnection, c: &Locked) -> Result<String, AppError> {
    let names = sqlx::query_scalar!(
        r#"
        SELECT p AS "p!" FROM unnest($1::text[]) AS p
        WHERE lower(p) NOT IN (
            SELECT lower(distributor_name) FROM settings
            UNION
            SELECT lower(l.name) FROM tracks t JOIN releases r ON r.id = t.release_id
            JOIN labels l ON l.id = r.label_id WHERE t.id = $2)
        ORDER BY 1
        "#,
        &c.parties,
        c.track_id
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(if names.is_empty() { "Other party".to_string() } else { names.join(" / ") })
}

/// Settles the conflict's holds with our share and allocates the track again. Returns
/// what moved, in words.
async fn settle(
    tx: &mut PgConnection,
    id: i64,
    c: &Locked,
    user: i64,
    ours: Decimal,
    resolution: &str,
) -> Result<String, AppError> {
    let other = others(tx, c).await?;
    sqlx::query!(
        r#"
        UPDATE revenue_holds SET released_at = now(), released_by = $2, release_note = $3,
            our_share = $4::numeric, other_party = CASE WHEN $4::numeric < 1 THEN $5 END
        WHERE conflict_id = $1 AND released_at IS NULL
        "#,
        id,
        user,
        format!("Conflict #{id} resolved as {resolution}."),
        ours,
        other
    )
    .execute(&mut *tx)
    .await?;
    if let Some(track) = c.track_id {
        ledger::allocate(tx, &LedgerScope::Tracks(vec![track])).await?;
    }
    let held = match c.held {
        Some(held) => format!("{} {}", held.round_dp(2), currency(tx).await?),
        None => "the held revenue".to_string(),
    };
    Ok(if ours == Decimal::ONE {
        format!("{held} held is released to the track's payees")
    } else if ours == Decimal::ZERO {
        format!("{held} held is written off to {other}, as not ours")
    } else {
        format!(
            "{held} held is split: {}% to the track's payees, the rest to {other}",
            (ours * Decimal::ONE_HUNDRED).normalize()
        )
    })
}

async fn currency(tx: &mut PgConnection) -> Result<String, AppError> {
    Ok(sqlx::query_scalar!(r#"SELECT reporting_currency::text AS "c!" FROM settings"#)
        .fetch_one(&mut *tx)
        .await?)
}

/// Links the unmatched lines to the track with `isrc`, registers their platforms' ids
/// for it (so that later files match), and allocates their files.
async fn match_lines(
    tx: &mut PgConnection,
    id: i64,
    c: &Locked,
    isrc: &Isrc,
) -> Result<i64, AppError> {
    let track = sqlx::query_scalar!("SELECT id FROM tracks WHERE isrc = $1", isrc.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::invalid(format!("No track has ISRC {isrc}.")))?;
    let taken = sqlx::query!(
        r#"
        SELECT DISTINCT p.platform, p.platform_track_id, t.isrc
        FROM stream_facts f
        JOIN track_platform_ids p ON p.platform = f.platform
         AND p.platform_track_id = f.platform_track_id AND p.track_id <> $4
        JOIN tracks t ON t.id = p.track_id
        WHERE f.track_id IS NULL
          AND (f.isrc = $1 OR f.isrc IS NULL AND $1 IS NULL AND f.platform = $2
               AND f.platform_track_id = $3)
        LIMIT 1
        "#,
        c.isrc,
        c.platforms.first(),
        c.platform_track_id,
        track
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(t) = taken {
        return Err(AppError::invalid(format!(
            "Conflict #{id}: the {} id {} already belongs to ISRC {}; those lines are not this track's.",
            t.platform, t.platform_track_id, t.isrc
        )));
    }
    sqlx::query!(
        r#"
        INSERT INTO track_platform_ids (platform, platform_track_id, track_id)
        SELECT DISTINCT f.platform, f.platform_track_id, $4::bigint
        FROM stream_facts f
        WHERE f.track_id IS NULL AND f.platform_track_id IS NOT NULL
          AND (f.isrc = $1 OR f.isrc IS NULL AND $1 IS NULL AND f.platform = $2
               AND f.platform_track_id = $3)
        ON CONFLICT DO NOTHING
        "#,
        c.isrc,
        c.platforms.first(),
        c.platform_track_id,
        track
    )
    .execute(&mut *tx)
    .await?;
    let files = sqlx::query_scalar!(
        r#"
        UPDATE stream_facts f SET track_id = $4, label_id = (
            SELECT r.label_id FROM tracks t JOIN releases r ON r.id = t.release_id
            WHERE t.id = $4)
        WHERE f.track_id IS NULL
          AND (f.isrc = $1 OR f.isrc IS NULL AND $1 IS NULL AND f.platform = $2
               AND f.platform_track_id = $3)
        RETURNING report_file_id
        "#,
        c.isrc,
        c.platforms.first(),
        c.platform_track_id,
        track
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut files = files;
    files.sort_unstable();
    files.dedup();
    ledger::allocate(tx, &LedgerScope::Files(files)).await?;
    Ok(track)
}

async fn record(
    tx: &mut PgConnection,
    id: i64,
    user: i64,
    action: &str,
    note: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO conflict_events (conflict_id, by_user, action, note) VALUES ($1, $2, $3, $4)",
        id,
        user,
        action,
        note
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
