//! The SQL behind the terms pages, and the checks of their forms.

use super::{
    AdvanceRow, CLAIM_SOURCES, Choices, ClaimInput, ClaimRow, ContractRow, PAYEE_KINDS, PayeeRow,
};
use crate::conflicts::detect::Scope;
use crate::domain::{Isrc, Month, Territory};
use crate::error::AppError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;

/// At most this many rows per list; the search narrows them.
const SHOWN: i64 = 500;

/// `q` as a case-insensitive LIKE pattern matching anywhere.
fn pattern(q: &str) -> String {
    let escaped = q.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

pub async fn payees(pool: &PgPool, q: &str) -> Result<Vec<PayeeRow>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT p.id, p.label_id, l.name AS label, p.name, p.kind, p.artist_id,
               a.name AS "artist?", p.currency, p.minimum_payout::text AS "minimum!",
               (SELECT count(*) FROM contract_splits s WHERE s.payee_id = p.id) AS "contracts!"
        FROM payees p
        JOIN labels l ON l.id = p.label_id
        LEFT JOIN artists a ON a.id = p.artist_id
        WHERE p.name ILIKE $1 OR l.name ILIKE $1 OR a.name ILIKE $1
        ORDER BY l.name, p.kind = 'label', p.name
        LIMIT $2
        "#,
        pattern(q),
        SHOWN
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PayeeRow {
            id: r.id,
            label_id: r.label_id,
            label: r.label,
            name: r.name,
            kind: r.kind,
            artist_id: r.artist_id,
            artist: r.artist,
            currency: r.currency.trim().to_string(),
            minimum_payout: r.minimum,
            contracts: r.contracts,
        })
        .collect())
}

pub async fn choices(pool: &PgPool) -> Result<Choices, AppError> {
    let labels = sqlx::query!("SELECT id, name FROM labels ORDER BY name")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let artists = sqlx::query!("SELECT id, name FROM artists ORDER BY name")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    Ok(Choices { labels, artists })
}

/// A payee form, checked.
pub struct PayeeForm {
    label_id: i64,
    name: String,
    kind: String,
    artist_id: Option<i64>,
    minimum: Decimal,
}

impl PayeeForm {
    pub fn parse(
        label_id: i64,
        name: &str,
        kind: &str,
        artist_id: &str,
        minimum: &str,
    ) -> Result<Self, AppError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::invalid("Give the payee a name."));
        }
        if !PAYEE_KINDS.contains(&kind) {
            return Err(AppError::invalid(format!("'{kind}' is not a kind of payee.")));
        }
        let artist_id = match artist_id.trim() {
            "" => None,
            id => {
                Some(id.parse().map_err(|_| AppError::invalid("Choose an artist from the list."))?)
            }
        };
        let minimum = match minimum.trim() {
            "" => Decimal::ZERO,
            text => match text.parse::<Decimal>() {
                Ok(m) if m >= Decimal::ZERO => m,
                _ => {
                    return Err(AppError::invalid(format!(
                        "The minimum payout '{text}' is not an amount of zero or more, like 25.00."
                    )));
                }
            },
        };
        Ok(PayeeForm {
            label_id,
            name: name.to_string(),
            kind: kind.to_string(),
            artist_id,
            minimum,
        })
    }
}

/// Creates (`id` 0) or updates a payee, paid in its label's currency.
pub async fn save_payee(pool: &PgPool, id: i64, form: &PayeeForm) -> Result<i64, AppError> {
    let result = if id == 0 {
        sqlx::query_scalar!(
            r#"
            INSERT INTO payees (label_id, name, kind, artist_id, currency, minimum_payout)
            SELECT id, $2, $3, $4, accounting_currency, $5 FROM labels WHERE id = $1
            RETURNING id
            "#,
            form.label_id,
            form.name,
            form.kind,
            form.artist_id,
            form.minimum
        )
        .fetch_optional(pool)
        .await
    } else {
        // A payee stays with its label: its contracts and statements are the label's.
        sqlx::query_scalar!(
            r#"
            UPDATE payees SET name = $3, kind = $4, artist_id = $5, minimum_payout = $6
            WHERE id = $1 AND label_id = $2
            RETURNING id
            "#,
            id,
            form.label_id,
            form.name,
            form.kind,
            form.artist_id,
            form.minimum
        )
        .fetch_optional(pool)
        .await
    };
    match result {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(AppError::NotFound),
        Err(e) if crate::db::is_unique_violation(&e, "payees_label_name_key") => {
            Err(AppError::invalid(format!("The label already has a payee called {}.", form.name)))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn contracts(pool: &PgPool, q: &str) -> Result<Vec<ContractRow>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT c.id, l.name AS label,
               CASE WHEN c.release_id IS NOT NULL
                    THEN 'Release: ' || r.title || ' (' || r.upc || ')'
                    ELSE 'Track: ' || t.title || ' (' || t.isrc || ')' END AS "subject!",
               c.distribution_fee::text AS "fee!",
               c.valid_from AS "valid_from: NaiveDate", c.valid_to AS "valid_to: NaiveDate",
               (SELECT string_agg(p.name || ' ' || trim_scale(s.share * 100) || '%', ', '
                                  ORDER BY s.share DESC, p.name)
                FROM contract_splits s JOIN payees p ON p.id = s.payee_id
                WHERE s.contract_id = c.id) AS "splits!",
               CASE WHEN c.release_id IS NOT NULL THEN r.upc ELSE t.isrc END AS "code!",
               (SELECT string_agg(p.name || ': ' || trim_scale(s.share), E'\n'
                                  ORDER BY s.share DESC, p.name)
                FROM contract_splits s JOIN payees p ON p.id = s.payee_id
                WHERE s.contract_id = c.id) AS "split_lines!"
        FROM contracts c
        LEFT JOIN tracks t ON t.id = c.track_id
        JOIN releases r ON r.id = coalesce(c.release_id, t.release_id)
        JOIN labels l ON l.id = r.label_id
        WHERE r.title ILIKE $1 OR r.upc ILIKE $1 OR t.title ILIKE $1 OR t.isrc ILIKE $1
           OR l.name ILIKE $1
           OR EXISTS (SELECT 1 FROM contract_splits s JOIN payees p ON p.id = s.payee_id
                      WHERE s.contract_id = c.id AND p.name ILIKE $1)
        ORDER BY l.name, r.title, c.track_id NULLS FIRST, c.valid_from
        LIMIT $2
        "#,
        pattern(q),
        SHOWN
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ContractRow {
            id: r.id,
            label: r.label,
            subject: r.subject,
            fee: r.fee,
            valid_from: r.valid_from.format("%Y-%m").to_string(),
            valid_to: r.valid_to.map(|d| d.format("%Y-%m").to_string()),
            splits: r.splits,
            code: r.code,
            split_lines: r.split_lines,
        })
        .collect())
}

pub async fn advances(pool: &PgPool, q: &str) -> Result<Vec<AdvanceRow>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT a.id, l.name AS label, p.id AS payee_id, p.name AS payee,
               a.amount::text AS "amount!", p.currency, a.paid_on AS "paid_on: NaiveDate",
               a.note,
               (SELECT coalesce(sum(s.recouped), 0) FROM payout_statements s
                JOIN payout_runs r ON r.id = s.run_id
                WHERE s.payee_id = p.id AND r.status IN ('approved', 'paid'))::text
                   AS "recouped!"
        FROM advances a
        JOIN payees p ON p.id = a.payee_id
        JOIN labels l ON l.id = p.label_id
        WHERE p.name ILIKE $1 OR l.name ILIKE $1 OR a.note ILIKE $1
        ORDER BY a.paid_on DESC, p.name
        LIMIT $2
        "#,
        pattern(q),
        SHOWN
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AdvanceRow {
            id: r.id,
            label: r.label,
            payee_id: r.payee_id,
            payee: r.payee,
            amount: r.amount,
            currency: r.currency.trim().to_string(),
            paid_on: r.paid_on.to_string(),
            note: r.note,
            payee_recouped: r.recouped,
        })
        .collect())
}

/// An advance form, checked.
pub struct AdvanceForm {
    payee_id: i64,
    amount: Decimal,
    paid_on: NaiveDate,
    note: String,
}

impl AdvanceForm {
    pub fn parse(payee_id: i64, amount: &str, paid_on: &str, note: &str) -> Result<Self, AppError> {
        let amount = match amount.trim().parse::<Decimal>() {
            Ok(a) if a > Decimal::ZERO => a,
            _ => {
                return Err(AppError::invalid(format!(
                    "The amount '{}' is not an amount above zero, like 2500.00.",
                    amount.trim()
                )));
            }
        };
        let paid_on = NaiveDate::parse_from_str(paid_on.trim(), "%Y-%m-%d").map_err(|_| {
            AppError::invalid(format!("'{}' is not a date (YYYY-MM-DD).", paid_on.trim()))
        })?;
        Ok(AdvanceForm { payee_id, amount, paid_on, note: note.trim().to_string() })
    }
}

/// Records an advance (`id` 0) or corrects one.
pub async fn save_advance(pool: &PgPool, id: i64, form: &AdvanceForm) -> Result<i64, AppError> {
    let mut tx = pool.begin().await?;
    let result = if id == 0 {
        sqlx::query_scalar!(
            r#"
            INSERT INTO advances (payee_id, amount, paid_on, note) VALUES ($1, $2, $3, $4)
            RETURNING id
            "#,
            form.payee_id,
            form.amount,
            form.paid_on as _,
            form.note
        )
        .fetch_optional(&mut *tx)
        .await
    } else {
        sqlx::query_scalar!(
            r#"
            UPDATE advances SET amount = $3, paid_on = $4, note = $5
            WHERE id = $1 AND payee_id = $2 RETURNING id
            "#,
            id,
            form.payee_id,
            form.amount,
            form.paid_on as _,
            form.note
        )
        .fetch_optional(&mut *tx)
        .await
    };
    let saved = match result {
        Ok(Some(id)) => id,
        Ok(None) => return Err(AppError::NotFound),
        Err(e) if crate::db::is_unique_violation(&e, "advances_key") => {
            return Err(AppError::invalid(
                "This payee already has an advance of that amount on that day.",
            ));
        }
        Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
            return Err(AppError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    still_covers_recouped(&mut tx, form.payee_id).await?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn remove_advance(pool: &PgPool, id: i64) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let payee = sqlx::query_scalar!("DELETE FROM advances WHERE id = $1 RETURNING payee_id", id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    still_covers_recouped(&mut tx, payee).await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses a change that leaves a payee's advances below what approved statements
/// have already recouped from them: that money was kept from their earnings against
/// these advances, and the statements are final.
async fn still_covers_recouped(tx: &mut sqlx::PgConnection, payee: i64) -> Result<(), AppError> {
    let row = sqlx::query!(
        r#"
        SELECT (SELECT coalesce(sum(amount), 0) FROM advances WHERE payee_id = $1) AS "advanced!",
               (SELECT coalesce(sum(s.recouped), 0) FROM payout_statements s
                JOIN payout_runs r ON r.id = s.run_id
                WHERE s.payee_id = $1 AND r.status IN ('approved', 'paid')) AS "recouped!"
        "#,
        payee
    )
    .fetch_one(&mut *tx)
    .await?;
    if row.advanced >= row.recouped {
        return Ok(());
    }
    Err(AppError::invalid(format!(
        "Approved statements have recouped {} from this payee's advances, and after this \
         change their advances would come to {}: what was recouped stays recouped.",
        row.recouped.normalize(),
        row.advanced.normalize()
    )))
}

pub async fn claims(pool: &PgPool, q: &str) -> Result<Vec<ClaimRow>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT c.id, t.title AS track, t.isrc, c.party, c.share::text AS "share!",
               array_to_string(c.territories, ' ') AS "territories!",
               c.valid_from AS "valid_from: NaiveDate", c.valid_to AS "valid_to: NaiveDate",
               c.source
        FROM ownership_claims c
        JOIN tracks t ON t.id = c.track_id
        WHERE t.title ILIKE $1 OR t.isrc ILIKE $1 OR c.party ILIKE $1
        ORDER BY t.title, c.valid_from, c.party
        LIMIT $2
        "#,
        pattern(q),
        SHOWN
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ClaimRow {
            id: r.id,
            track: r.track,
            isrc: r.isrc,
            party: r.party,
            share: r.share,
            territories: r.territories,
            valid_from: r.valid_from.to_string(),
            valid_to: r.valid_to.map(|d| d.to_string()),
            source: r.source,
        })
        .collect())
}

/// An ownership claim, checked.
pub struct ClaimForm {
    pub isrc: Isrc,
    pub party: String,
    pub share: Decimal,
    pub territories: Vec<Territory>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub source: &'static str,
}

impl ClaimForm {
    pub fn parse(f: &ClaimInput) -> Result<Self, AppError> {
        let invalid = |field: &str, e: String| AppError::invalid(format!("{field}: {e}."));
        let isrc = Isrc::parse(&f.isrc).map_err(|e| invalid("ISRC", e.0))?;
        let party = match f.party.trim() {
            "" => return Err(AppError::invalid("Name the party that claims the track.")),
            party => party.to_string(),
        };
        let share = fraction(&f.share, 6, true).map_err(|e| invalid("Share", e))?;
        let territories = territories(&f.territories).map_err(|e| invalid("Territories", e))?;
        let from = day(&f.valid_from).map_err(|e| invalid("From", e))?;
        let to = match f.valid_to.trim() {
            "" => None,
            text => Some(day(text).map_err(|e| invalid("To", e))?),
        };
        if to.is_some_and(|to| to < from) {
            return Err(AppError::invalid("The claim cannot end before it starts."));
        }
        let source = claim_source(&f.source).map_err(|e| invalid("Source", e))?;
        Ok(ClaimForm { isrc, party, share, territories, from, to, source })
    }
}

/// A day as `YYYY-MM-DD`.
pub fn day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{}' is not a date, YYYY-MM-DD", text.trim()))
}

/// Country codes separated by spaces (or `;` or `|`), or `WW` for worldwide.
pub fn territories(value: &str) -> Result<Vec<Territory>, String> {
    let codes: Vec<&str> = value.split([' ', ';', '|']).filter(|c| !c.is_empty()).collect();
    if codes.is_empty() {
        return Err("list territories (US GB ...) or WW for worldwide".into());
    }
    codes.into_iter().map(|c| Territory::parse(c).map_err(|e| e.0)).collect()
}

/// One of [`CLAIM_SOURCES`].
pub fn claim_source(value: &str) -> Result<&'static str, String> {
    CLAIM_SOURCES
        .into_iter()
        .find(|s| *s == value.trim())
        .ok_or_else(|| format!("expected one of {}", CLAIM_SOURCES.join(", ")))
}

/// Enters a claim (`id` 0) or corrects one; both name the track by ISRC.
pub async fn save_claim(pool: &PgPool, id: i64, claim: &ClaimForm) -> Result<i64, AppError> {
    let track = sqlx::query_scalar!("SELECT id FROM tracks WHERE isrc = $1", claim.isrc.as_str())
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| {
            AppError::invalid(format!("No track in the catalog has the ISRC {}.", claim.isrc))
        })?;
    let territories: Vec<String> =
        claim.territories.iter().map(|t| t.as_str().to_string()).collect();
    let mut tx = pool.begin().await?;
    // An edit may move the claim to another track: both are detected again.
    let before = sqlx::query_scalar!("SELECT track_id FROM ownership_claims WHERE id = $1", id)
        .fetch_optional(&mut *tx)
        .await?;
    let result = sqlx::query_scalar!(
        r#"
        WITH added AS (
            INSERT INTO ownership_claims
                (track_id, party, share, territories, valid_from, valid_to, source)
            SELECT $2, $3, $4, $5, $6, $7, $8 WHERE $1::bigint = 0
            RETURNING id
        ),
        changed AS (
            UPDATE ownership_claims SET track_id = $2, party = $3, share = $4,
                territories = $5, valid_from = $6, valid_to = $7, source = $8
            WHERE id = $1 AND $1 <> 0
            RETURNING id
        )
        SELECT id AS "id!" FROM added UNION ALL SELECT id FROM changed
        "#,
        id,
        track,
        claim.party,
        claim.share,
        &territories as _,
        claim.from as _,
        claim.to as _,
        claim.source
    )
    .fetch_optional(&mut *tx)
    .await;
    match result {
        Ok(Some(id)) => {
            let tracks = [track].into_iter().chain(before).collect();
            crate::conflicts::detect::detect(&mut tx, &Scope::Tracks(tracks)).await?;
            tx.commit().await?;
            Ok(id)
        }
        Ok(None) => Err(AppError::NotFound),
        Err(e) if crate::db::is_unique_violation(&e, "ownership_claims_key") => {
            Err(AppError::invalid(
                "This party already has a claim on the track from that day with that source: \
                 edit that one.",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// A fraction with at most `places` decimals: a fee in [0, 1) or a share in (0, 1].
pub fn fraction(value: &str, places: u32, share: bool) -> Result<Decimal, String> {
    let fraction: Decimal = value
        .trim()
        .parse()
        .map_err(|_| "expected a fraction with a dot, like 0.15 for 15%".to_string())?;
    let in_range = if share {
        fraction > Decimal::ZERO && fraction <= Decimal::ONE
    } else {
        fraction >= Decimal::ZERO && fraction < Decimal::ONE
    };
    if !in_range {
        let range = if share { "more than 0 and at most 1" } else { "at least 0 and less than 1" };
        return Err(format!("must be {range} (0.15 is 15%)"));
    }
    if fraction.normalize().scale() > places {
        return Err(format!("at most {places} decimal places"));
    }
    Ok(fraction)
}

/// What a contract is for, as found in the catalog: a release or a track, its label,
/// and the tracks whose revenue it splits.
pub struct Subject {
    pub release: Option<i64>,
    pub track: Option<i64>,
    pub label: i64,
    pub tracks: Vec<i64>,
}

/// The release with this GTIN-13, or the track with this ISRC (normalised codes).
pub async fn find_subject(
    conn: &mut sqlx::PgConnection,
    release_upc: Option<&str>,
    track_isrc: Option<&str>,
) -> Result<Option<Subject>, sqlx::Error> {
    if let Some(upc) = release_upc {
        let release = sqlx::query!(
            r#"SELECT r.id, r.label_id, array_agg(t.id) FILTER (WHERE t.id IS NOT NULL) AS tracks
               FROM releases r LEFT JOIN tracks t ON t.release_id = r.id
               WHERE r.upc = $1 GROUP BY r.id"#,
            upc
        )
        .fetch_optional(&mut *conn)
        .await?;
        return Ok(release.map(|r| Subject {
            release: Some(r.id),
            track: None,
            label: r.label_id,
            tracks: r.tracks.unwrap_or_default(),
        }));
    }
    let Some(isrc) = track_isrc else { return Ok(None) };
    let track = sqlx::query!(
        "SELECT t.id, r.label_id FROM tracks t JOIN releases r ON r.id = t.release_id
         WHERE t.isrc = $1",
        isrc
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(track.map(|t| Subject {
        release: None,
        track: Some(t.id),
        label: t.label_id,
        tracks: vec![t.id],
    }))
}

/// A contract's terms, its splits by payee id.
pub struct Terms {
    pub from: Month,
    pub to: Option<Month>,
    pub fee: Decimal,
    pub splits: Vec<(i64, Decimal)>,
}

/// Replaces the subject's contract starting in the same month with `terms`, and
/// re-allocates the tracks it covers. The caller checked that the shares sum to one.
pub async fn replace_contract(
    tx: &mut sqlx::PgConnection,
    subject: &Subject,
    terms: &Terms,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM contracts WHERE (release_id = $1 OR track_id = $2) AND valid_from = $3",
        subject.release,
        subject.track,
        terms.from.first_day() as _
    )
    .execute(&mut *tx)
    .await?;
    let id = sqlx::query_scalar!(
        r#"
        INSERT INTO contracts (release_id, track_id, distribution_fee, valid_from, valid_to)
        VALUES ($1, $2, $3, $4, $5) RETURNING id
        "#,
        subject.release,
        subject.track,
        terms.fee,
        terms.from.first_day() as _,
        terms.to.map(Month::first_day) as _
    )
    .fetch_one(&mut *tx)
    .await?;
    let (payees, shares): (Vec<i64>, Vec<Decimal>) = terms.splits.iter().copied().unzip();
    sqlx::query!(
        "INSERT INTO contract_splits (contract_id, payee_id, share)
         SELECT $1, p, s FROM UNNEST($2::bigint[], $3::numeric[]) AS u(p, s)",
        id,
        &payees,
        &shares
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The words for a contract that overlaps another of its subject, if that is the error.
pub fn overlap(error: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(db) = error else { return None };
    match db.constraint() {
        Some("contracts_release_overlap") => {
            Some("overlaps another contract of this release; end that one first")
        }
        Some("contracts_track_overlap") => {
            Some("overlaps another contract of this track; end that one first")
        }
        _ => None,
    }
}

/// Payees by (label id, lower-case name).
pub async fn payees_by_name(
    conn: &mut sqlx::PgConnection,
    labels: &[i64],
) -> Result<std::collections::HashMap<(i64, String), i64>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT id, label_id, lower(name) AS \"key!\" FROM payees WHERE label_id = ANY($1)",
        labels
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|r| ((r.label_id, r.key), r.id)).collect())
}

/// A contract entered in the browser: `subject` a release's UPC or a track's ISRC, and
/// one split per line of `splits` ("Nova Reyes: 0.70"). Replaces the subject's contract
/// with the same first month; the covered tracks are allocated again.
pub async fn save_contract(
    pool: &PgPool,
    subject: &str,
    from: &str,
    to: &str,
    fee: &str,
    splits: &str,
) -> Result<(), AppError> {
    use crate::domain::{Isrc, Upc};
    let invalid = |m: String| AppError::invalid(m);
    let (upc, isrc) = match (Upc::parse(subject), Isrc::parse(subject)) {
        (Ok(upc), _) => (Some(upc.gtin13().to_string()), None),
        (_, Ok(isrc)) => (None, Some(isrc.as_str().to_string())),
        _ => return Err(invalid(format!("'{}' is neither a UPC nor an ISRC.", subject.trim()))),
    };
    let from: Month = from.trim().parse()?;
    let to: Option<Month> = match to.trim() {
        "" => None,
        text => Some(text.parse()?),
    };
    if to.is_some_and(|to| to < from) {
        return Err(invalid("The contract cannot end before it starts.".into()));
    }
    let fee = fraction(fee, 4, false).map_err(|e| invalid(format!("Distribution fee: {e}.")))?;
    let mut tx = pool.begin().await?;
    let subject = find_subject(&mut tx, upc.as_deref(), isrc.as_deref())
        .await?
        .ok_or_else(|| invalid("No release or track in the catalog has that code.".into()))?;
    let payees = payees_by_name(&mut tx, &[subject.label]).await?;
    let splits = parse_splits(splits, subject.label, &payees)?;
    let terms = Terms { from, to, fee, splits };
    if let Err(error) = replace_contract(&mut tx, &subject, &terms).await {
        return Err(match overlap(&error) {
            Some(reason) => invalid(format!("This contract {reason}.")),
            None => error.into(),
        });
    }
    crate::revenue::ledger::allocate(
        &mut tx,
        &crate::revenue::ledger::Scope::Tracks(subject.tracks),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Payee name: share" lines into payee ids and shares that sum to exactly one.
fn parse_splits(
    text: &str,
    label: i64,
    payees: &std::collections::HashMap<(i64, String), i64>,
) -> Result<Vec<(i64, Decimal)>, AppError> {
    let mut splits = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((name, share)) = line.rsplit_once([':', '=']) else {
            return Err(AppError::invalid(format!("'{line}' is not 'payee: share'.")));
        };
        let share = fraction(share, 6, true)
            .map_err(|e| AppError::invalid(format!("The share in '{line}' {e}.")))?;
        let id = payees.get(&(label, name.trim().to_lowercase())).ok_or_else(|| {
            AppError::invalid(format!("The label has no payee called {}.", name.trim()))
        })?;
        if splits.iter().any(|(p, _)| p == id) {
            return Err(AppError::invalid(format!("{} is split to twice.", name.trim())));
        }
        splits.push((*id, share));
    }
    let total: Decimal = splits.iter().map(|(_, s)| *s).sum();
    if total != Decimal::ONE {
        return Err(AppError::invalid(format!("The shares sum to {total}, not 1.")));
    }
    Ok(splits)
}
