//! Detection: finds the four kinds of conflict in what a change touched, and brings the
//! `conflicts` table in line with what it found, in the caller's transaction.
//!
//! Each detector is one set-based query over the scope. Reconciling is idempotent:
//! a live conflict (open or investigating) is updated, not duplicated; one whose cause
//! is gone is dismissed, with that reason in its history, and its holds released; a
//! decided conflict is not opened again for the same cause (the same claims, the same
//! territories, the same titles), only for a new one.
//!
//! Overlapping and foreign claims hold the track's revenue in their territories (see
//! `revenue::holds`); the ledger is allocated again for the tracks whose holds moved.

use crate::db::{LocalSettings, PARALLEL_WORKERS};
use crate::error::AppError;
use crate::revenue::ledger::{self, Scope as LedgerScope};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What to look at again.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Everything: the demo, and the benchmark's full run.
    All,
    /// These tracks' claims, catalog data and lines, and the suspense lines that carry
    /// their identifiers (which a new track or platform id may just have matched).
    Tracks(Vec<i64>),
    /// What these report files' lines (new ones, or a withdrawn file's reversals) can
    /// change: see `of_files`.
    Files(Vec<i64>),
}

/// What a detection run changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub opened: usize,
    pub updated: usize,
    pub dismissed: usize,
}

/// A conflict as a detector sees it, before it is matched with the table.
#[derive(Debug, Clone, Default)]
struct Found {
    kind: &'static str,
    subject: String,
    cause: String,
    track_id: Option<i64>,
    label_id: Option<i64>,
    isrc: Option<String>,
    platform_track_id: Option<String>,
    platforms: BTreeSet<String>,
    territories: BTreeSet<String>,
    parties: BTreeSet<String>,
    claim_ids: BTreeSet<i64>,
    variants: BTreeSet<String>,
    /// None while a rate is missing; overlapping claims' is their held amount, set
    /// after allocation.
    at_stake: Option<Decimal>,
    first_month: Option<NaiveDate>,
    last_month: Option<NaiveDate>,
    summary: String,
    /// The revenue to hold: territory -> (from month, to month or open-ended).
    holds: BTreeMap<String, (NaiveDate, Option<NaiveDate>)>,
}

/// What each detector looks at for a scope; None is everything.
struct Subjects {
    /// Tracks whose claims are compared (overlapping claims).
    claims: Option<Vec<i64>>,
    /// Tracks whose collecting parties are looked at (foreign claims).
    collectors: Option<Vec<i64>>,
    /// Tracks whose reported names are compared with the catalog's (metadata mismatches).
    names: Option<Vec<i64>>,
    isrcs: Option<Vec<String>>,
    /// "platform:id" of suspense lines without an ISRC.
    platform_ids: Option<Vec<String>>,
    /// Live conflicts holding revenue of the scope's lines, whose held amounts move
    /// though detection finds them as they were.
    holding: Vec<i64>,
}

impl Subjects {
    fn everything() -> Self {
        Subjects {
            claims: None,
            collectors: None,
            names: None,
            isrcs: None,
            platform_ids: None,
            holding: Vec::new(),
        }
    }
}

/// Detects conflicts in `scope` and reconciles the table with them, the ledger
/// included: [`find`], then [`Pending::settle`]. For `Scope::Files`, call those two
/// around the files' allocation instead (see `settle`).
pub async fn detect(tx: &mut PgConnection, scope: &Scope) -> Result<Outcome, AppError> {
    find(tx, scope).await?.settle(tx, &[]).await
}

/// Detects conflicts in `scope` and reconciles the table with them, placing and
/// releasing holds, but leaves the ledger to [`Pending::settle`]. The allocation stage
/// detects in new files before allocating them, so that their first allocation already
/// holds what a new conflict holds: afterwards, it would allocate those tracks twice.
pub async fn find(tx: &mut PgConnection, scope: &Scope) -> Result<Pending, AppError> {
    // Before any conflict row is locked: see `ledger::lock`.
    ledger::lock(tx).await?;
    ledger::batch_memory(tx).await?;
    let subjects = match scope {
        Scope::All => Subjects::everything(),
        Scope::Tracks(tracks) => of_tracks(tx, tracks).await?,
        Scope::Files(files) => of_files(tx, files).await?,
    };
    // A full detection reads every line: a batch job run on its own (the command line,
    // after an upgrade), it may take the cores the pool keeps for many readers. Its
    // spellings' DISTINCT over 11M lines took 2.9 s with two workers, 4.3 s without.
    let workers = match scope {
        Scope::All => Some(LocalSettings::set(tx, &PARALLEL_WORKERS).await?),
        _ => None,
    };
    let mut found = overlapping_claims(tx, subjects.claims.as_deref()).await?;
    found.extend(foreign_claims(tx, subjects.collectors.as_deref()).await?);
    found.extend(metadata_mismatches(tx, subjects.names.as_deref()).await?);
    found.extend(unmatched(tx, &subjects).await?);
    if let Some(workers) = workers {
        workers.restore(tx).await?;
    }
    let mut pending = reconcile(tx, &subjects, found).await?;
    if let Scope::Files(files) = scope {
        pending.files = files.clone();
    }
    Ok(pending)
}

/// The tracks whose holds moved, and the first month any of those holds covered or
/// covers: earlier months' terms do not change. A month's new file brings thousands of
/// new holds from that month on, and allocating their tracks' earlier files again was
/// most of its detection (9 of 16 s for a month of 10M lines: docs/benchmarking.md).
#[derive(Default)]
struct Moved {
    tracks: BTreeSet<i64>,
    since: Option<NaiveDate>,
}

impl Moved {
    /// Notes `track`'s holds that are placed or released: each covers from its first
    /// month. A conflict holding nothing moves nothing.
    fn add(
        &mut self,
        track: Option<i64>,
        holds: &BTreeMap<String, (NaiveDate, Option<NaiveDate>)>,
    ) {
        let (Some(track), Some(first)) = (track, holds.values().map(|span| span.0).min()) else {
            return;
        };
        self.tracks.insert(track);
        self.since = Some(self.since.map_or(first, |since| since.min(first)));
    }
}

/// What [`find`] left for the ledger: the tracks whose holds moved, and the conflicts
/// whose held amounts are read from it.
#[must_use = "the ledger does not follow the holds until it is settled"]
pub struct Pending {
    outcome: Outcome,
    moved: Moved,
    with_holds: Vec<i64>,
    /// A `Scope::Files`' files: the conflicts holding their revenue once they are
    /// allocated hold more (or, for a withdrawn file, less) than before.
    files: Vec<i64>,
}

impl Pending {
    /// Allocates the ledger again for the tracks whose holds moved, in every file but
    /// `fresh` (files the caller allocates itself, in this transaction, with the holds
    /// in place), and sets the conflicts' held amounts from it.
    ///
    /// After a [`find`] in `Scope::Files`, the caller allocates those files between the
    /// two (they are `fresh`): the held amounts that move are those of the conflicts
    /// holding the files' revenue before (found by `find`) and after (found here).
    pub async fn settle(self, tx: &mut PgConnection, fresh: &[i64]) -> Result<Outcome, AppError> {
        if let Some(since) = self.moved.since {
            let tracks = self.moved.tracks.into_iter().collect();
            let scope = LedgerScope::TracksBut { tracks, files: fresh.to_vec(), since };
            ledger::allocate(tx, &scope).await?;
        }
        let mut with_holds = self.with_holds;
        if !self.files.is_empty() {
            with_holds.extend(conflicts_holding(tx, &self.files).await?);
            with_holds.sort_unstable();
            with_holds.dedup();
        }
        update_held(tx, &with_holds).await?;
        Ok(self.outcome)
    }
}

/// Everything about `tracks`, and the suspense lines that carry their identifiers.
async fn of_tracks(tx: &mut PgConnection, tracks: &[i64]) -> Result<Subjects, AppError> {
    let idents = sqlx::query_as!(
        Ident,
        r#"
        SELECT isrc AS "isrc?", NULL::text AS "platform_id?" FROM tracks WHERE id = ANY($1)
        UNION
        SELECT NULL, platform || ':' || platform_track_id FROM track_platform_ids
        WHERE track_id = ANY($1)
        "#,
        tracks
    )
    .fetch_all(&mut *tx)
    .await?;
    let (isrcs, platform_ids) = Ident::split(idents);
    Ok(Subjects {
        claims: Some(tracks.to_vec()),
        collectors: Some(tracks.to_vec()),
        names: Some(tracks.to_vec()),
        isrcs: Some(isrcs),
        platform_ids: Some(platform_ids),
        holding: Vec::new(),
    })
}

/// What new (or reversed) lines can change, and nothing else: a month's report names
/// most of the catalog, and looking again at every track it names cost seconds.
///
/// Lines change no claim. A track's foreign claims, or its reported names, can only
/// differ from what was found before where these lines carry a party other than ours,
/// or a name other than the catalog's, for it; the detectors then look at those
/// tracks' whole history. The loader notices those tracks as it matches the lines
/// (`noticed`); only when the catalog has changed since are the facts read for them.
/// Suspense is looked at for the lines' own identifiers. The conflicts holding the
/// lines' revenue are found as they were, but hold more (or less): those holding it
/// before are found here, those holding it after by [`Pending::settle`], once the
/// caller has allocated the files.
async fn of_files(tx: &mut PgConnection, files: &[i64]) -> Result<Subjects, AppError> {
    let (collectors, names) = match noticed(tx, files).await? {
        Some(noticed) => noticed,
        None => named_in(tx, files).await?,
    };
    let idents = sqlx::query_as!(
        Ident,
        r#"
        SELECT DISTINCT isrc AS "isrc?",
               CASE WHEN isrc IS NULL THEN platform || ':' || platform_track_id END
                   AS "platform_id?"
        FROM stream_facts
        WHERE report_file_id = ANY($1) AND track_id IS NULL
        "#,
        files
    )
    .fetch_all(&mut *tx)
    .await?;
    let holding = conflicts_holding(tx, files).await?;
    let (isrcs, platform_ids) = Ident::split(idents);
    Ok(Subjects {
        claims: Some(Vec::new()),
        collectors: Some(collectors),
        names: Some(names),
        isrcs: Some(isrcs),
        platform_ids: Some(platform_ids),
        holding,
    })
}

/// (tracks with another party collecting, tracks named otherwise) in `files`' lines,
/// as the loader noticed them (migration 29); None unless it noticed them in every
/// file against the catalog as it is now.
async fn noticed(
    tx: &mut PgConnection,
    files: &[i64],
) -> Result<Option<(Vec<i64>, Vec<i64>)>, AppError> {
    let row = sqlx::query!(
        r#"
        SELECT coalesce(bool_and(f.compared_at_version IS NOT NULL
                                 AND f.compared_at_version = v.version), false) AS "current!",
               array(SELECT DISTINCT unnest(collector_tracks) FROM report_files
                     WHERE id = ANY ($1)) AS "collectors!",
               array(SELECT DISTINCT unnest(renamed_tracks) FROM report_files
                     WHERE id = ANY ($1)) AS "names!"
        FROM report_files f CROSS JOIN catalog_version v
        WHERE f.id = ANY ($1)
        "#,
        files
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(row.current.then_some((row.collectors, row.names)))
}

/// `noticed`, read from the facts themselves: every line of `files` beside its track,
/// release, label and artist.
async fn named_in(tx: &mut PgConnection, files: &[i64]) -> Result<(Vec<i64>, Vec<i64>), AppError> {
    let tracks = sqlx::query!(
        r#"
        SELECT coalesce(array_agg(DISTINCT f.track_id) FILTER (
                   -- As in `foreign_claims`.
                   WHERE f.collector IS NOT NULL
                     AND lower(f.collector) NOT IN (lower(l.name), lower(s.distributor_name))),
                   '{}') AS "collectors!",
               coalesce(array_agg(DISTINCT f.track_id) FILTER (
                   -- `metadata_mismatches`' first test, exact: looser ones follow there.
                   WHERE f.title IS DISTINCT FROM t.title OR f.artist IS DISTINCT FROM ra.name),
                   '{}') AS "names!"
        FROM stream_facts f
        JOIN tracks t ON t.id = f.track_id
        JOIN releases r ON r.id = t.release_id
        JOIN labels l ON l.id = r.label_id
        JOIN artists ra ON ra.id = r.artist_id
        CROSS JOIN settings s
        WHERE f.report_file_id = ANY($1)
        "#,
        files
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok((tracks.collectors, tracks.names))
}

/// An identifier unmatched lines may carry: an ISRC, or "platform:id" for a line
/// without one.
struct Ident {
    isrc: Option<String>,
    platform_id: Option<String>,
}

impl Ident {
    /// (ISRCs, platform ids).
    fn split(idents: Vec<Ident>) -> (Vec<String>, Vec<String>) {
        let isrcs = idents.iter().filter_map(|i| i.isrc.clone()).collect();
        (isrcs, idents.into_iter().filter_map(|i| i.platform_id).collect())
    }
}

/// Shares claimed on one track for one territory and day that add up to more than
/// 100%. A territory's claims include worldwide ones; the sum is taken at every day a
/// claim starts, which is where an overlap begins.
///
/// Only tracks with more than one live claim are looked at: one claim is at most 100%.
/// Most tracks have one, and comparing every claim's territories and days was most of
/// a full detection's time on claims (counted, not summed: numeric sums over a
/// million claims cost 0.45 s more).
async fn overlapping_claims(
    tx: &mut PgConnection,
    tracks: Option<&[i64]>,
) -> Result<Vec<Found>, AppError> {
    let rows = sqlx::query!(
        r#"
        WITH live AS (
            SELECT * FROM (
                SELECT *, count(*) OVER (PARTITION BY track_id) AS claims_on_track
                FROM ownership_claims
                WHERE withdrawn_at IS NULL AND ($1::bigint[] IS NULL OR track_id = ANY($1))
            ) c
            WHERE claims_on_track > 1
        ),
        points AS (
            SELECT DISTINCT c.track_id, t.territory, c.valid_from AS day
            FROM live c, unnest(c.territories) AS t(territory)
        ),
        crowded AS (
            SELECT p.track_id, p.territory, p.day, sum(c.share) AS total,
                   array_agg(c.id ORDER BY c.id) AS claims,
                   array_agg(c.party || ' ' || trim_scale(c.share * 100) || '%' ORDER BY c.id)
                       AS shares,
                   min(coalesce(c.valid_to, 'infinity')) AS until,
                   array_agg(c.id::text || '=' || c.share::text ORDER BY c.id) AS cause,
                   array_agg(DISTINCT c.party) AS parties
            FROM points p
            JOIN live c ON c.track_id = p.track_id
             AND (p.territory = ANY (c.territories) OR 'WW' = ANY (c.territories))
             AND c.valid_from <= p.day AND (c.valid_to IS NULL OR c.valid_to >= p.day)
            GROUP BY 1, 2, 3
            HAVING sum(c.share) > 1
        )
        SELECT o.track_id AS "track_id!", r.label_id, t.title, o.territory::text AS "territory!",
               o.day AS "day!: NaiveDate", o.total AS "total!", o.claims AS "claims!", o.shares AS "shares!",
               CASE WHEN o.until = 'infinity' THEN NULL ELSE o.until::date END AS "until: NaiveDate",
               o.cause AS "cause!", o.parties AS "parties!"
        FROM crowded o
        JOIN tracks t ON t.id = o.track_id
        JOIN releases r ON r.id = t.release_id
        ORDER BY o.track_id, o.territory, o.day
        "#,
        tracks as _
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut by_track: BTreeMap<i64, (Found, Decimal, BTreeSet<String>)> = BTreeMap::new();
    for row in rows {
        let (found, top, shares) = by_track.entry(row.track_id).or_insert_with(|| {
            let found = Found {
                kind: "overlapping_claims",
                subject: format!("track:{}", row.track_id),
                track_id: Some(row.track_id),
                label_id: Some(row.label_id),
                summary: row.title.clone(),
                ..Found::default()
            };
            (found, Decimal::ZERO, BTreeSet::new())
        });
        *top = (*top).max(row.total);
        shares.extend(row.shares);
        found.claim_ids.extend(row.claims);
        found.parties.extend(row.parties);
        found.cause = merge_cause(&found.cause, &row.cause);
        let from = month_of(row.day);
        let to = row.until.map(month_of);
        let span = found.holds.entry(row.territory.clone()).or_insert((from, to));
        span.0 = span.0.min(from);
        span.1 = match (span.1, to) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        found.territories.insert(row.territory);
    }
    Ok(by_track
        .into_values()
        .map(|(mut found, top, shares)| {
            found.first_month = found.holds.values().map(|s| s.0).min();
            found.last_month = found
                .holds
                .values()
                .map(|s| s.1)
                .try_fold(NaiveDate::MIN, |max, to| to.map(|to| max.max(to)));
            found.summary = format!(
                "Claims on \"{}\" add up to {}% in {}: {}.",
                found.summary,
                (top * Decimal::ONE_HUNDRED).normalize(),
                joined(&found.territories),
                joined(&shares)
            );
            found
        })
        .collect())
}

/// Lines of our tracks where the platform says another party collects: not our name,
/// nor the name of the track's label.
async fn foreign_claims(
    tx: &mut PgConnection,
    tracks: Option<&[i64]>,
) -> Result<Vec<Found>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT f.track_id AS "track_id!", r.label_id, t.title,
               comparable_name(f.collector) AS "who!", min(f.collector) AS "party!",
               f.territory::text AS "territory!", array_agg(DISTINCT f.platform) AS "platforms!",
               min(f.accounting_month) AS "first!: NaiveDate", max(f.accounting_month) AS "last!: NaiveDate",
               complete_sum(to_reporting(f.gross, f.currency, f.accounting_month)) AS collected
        FROM stream_facts f
        JOIN tracks t ON t.id = f.track_id
        JOIN releases r ON r.id = t.release_id
        JOIN labels l ON l.id = r.label_id
        CROSS JOIN settings s
        WHERE f.collector IS NOT NULL AND ($1::bigint[] IS NULL OR f.track_id = ANY($1))
          AND lower(f.collector) NOT IN (lower(l.name), lower(s.distributor_name))
        GROUP BY f.track_id, r.label_id, t.title, comparable_name(f.collector), f.territory
        -- A withdrawn file's lines and their reversals cancel out.
        HAVING sum(f.gross) <> 0 OR sum(f.units) <> 0
        ORDER BY 1, 4, 6
        "#,
        tracks as _
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut found: BTreeMap<(i64, String), Found> = BTreeMap::new();
    for row in rows {
        let f = found.entry((row.track_id, row.who.clone())).or_insert_with(|| Found {
            kind: "foreign_claim",
            subject: format!("track:{}:{}", row.track_id, row.who),
            track_id: Some(row.track_id),
            label_id: Some(row.label_id),
            summary: row.title.clone(),
            at_stake: Some(Decimal::ZERO),
            first_month: Some(row.first),
            last_month: Some(row.last),
            ..Found::default()
        });
        f.parties.insert(row.party);
        f.platforms.extend(row.platforms);
        f.at_stake = f.at_stake.zip(row.collected).map(|(a, b)| a + b);
        f.first_month = f.first_month.min(Some(row.first));
        f.last_month = f.last_month.max(Some(row.last));
        // From the first month another party collected there, until decided.
        f.holds.insert(row.territory.clone(), (row.first, None));
        f.territories.insert(row.territory);
    }
    Ok(found
        .into_values()
        .map(|mut f| {
            f.cause = joined(&f.territories);
            f.summary = format!(
                "{} collects on \"{}\" in {}.",
                joined(&f.parties),
                f.summary,
                joined(&f.territories)
            );
            f
        })
        .collect())
}

/// Reported titles or main artists that differ from the catalog's once case,
/// punctuation and featured artists are set aside (`comparable_name`).
async fn metadata_mismatches(
    tx: &mut PgConnection,
    tracks: Option<&[i64]>,
) -> Result<Vec<Found>, AppError> {
    let rows = sqlx::query!(
        r#"
        WITH seen AS (
            -- Distinct names first: the comparison then runs once per spelling, not per line.
            SELECT DISTINCT track_id, platform, title, artist
            FROM stream_facts
            WHERE track_id IS NOT NULL AND ($1::bigint[] IS NULL OR track_id = ANY($1))
        ),
        -- A spelling that is the catalog's own cannot differ once compared loosely, so
        -- only the others are normalized: the comparison functions cost microseconds a
        -- call, and most lines spell a track as the catalog does.
        differs AS (
            SELECT s.*, t.title AS catalog_title, t.isrc, r.label_id, ra.name AS catalog_artist
            FROM seen s
            JOIN tracks t ON t.id = s.track_id
            JOIN releases r ON r.id = t.release_id
            JOIN artists ra ON ra.id = r.artist_id
            WHERE s.title IS DISTINCT FROM t.title OR s.artist IS DISTINCT FROM ra.name
        ),
        catalog AS (
            SELECT t.id, comparable_name(t.title) AS title_key,
                   array(SELECT comparable_artist(a.name) FROM track_artists ta
                         JOIN artists a ON a.id = ta.artist_id
                         WHERE ta.track_id = t.id AND ta.role = 'main')
                   || comparable_artist(ra.name) AS artist_keys
            FROM tracks t
            JOIN releases r ON r.id = t.release_id
            JOIN artists ra ON ra.id = r.artist_id
            WHERE t.id IN (SELECT track_id FROM differs)
        )
        SELECT d.track_id AS "track_id!", d.label_id AS "label_id!", d.isrc AS "isrc!",
               d.catalog_title AS "catalog_title!", d.catalog_artist AS "catalog_artist!",
               d.platform AS "platform!", d.title AS "title!", d.artist AS "artist!",
               comparable_name(d.title) || ' / ' || comparable_artist(d.artist) AS "key!"
        FROM differs d
        JOIN catalog c ON c.id = d.track_id
        WHERE comparable_name(d.title) <> c.title_key
           OR NOT (comparable_artist(d.artist) = ANY (c.artist_keys))
        ORDER BY 1, 6, 7, 8
        "#,
        tracks as _
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut found: BTreeMap<i64, (Found, BTreeSet<String>)> = BTreeMap::new();
    for row in rows {
        let (f, keys) = found.entry(row.track_id).or_insert_with(|| {
            let f = Found {
                kind: "metadata_mismatch",
                subject: format!("track:{}", row.track_id),
                track_id: Some(row.track_id),
                label_id: Some(row.label_id),
                isrc: Some(row.isrc.clone()),
                at_stake: Some(Decimal::ZERO),
                summary: format!(
                    "ISRC {} is \"{}\" by {} in the catalog, but reports say ",
                    row.isrc, row.catalog_title, row.catalog_artist
                ),
                ..Found::default()
            };
            (f, BTreeSet::new())
        });
        keys.insert(row.key);
        f.variants.insert(format!(
            "{}: \"{}\" by {}",
            crate::domain::Platform::name_of(&row.platform),
            row.title,
            row.artist
        ));
        f.platforms.insert(row.platform);
    }
    Ok(found
        .into_values()
        .map(|(mut f, keys)| {
            f.cause = keys.into_iter().collect::<Vec<_>>().join("|");
            f.summary = format!("{}{}.", f.summary, joined(&f.variants));
            f
        })
        .collect())
}

/// Revenue lines that match no track, one conflict per identifier: the ISRC, or the
/// platform's own id for lines without one.
async fn unmatched(tx: &mut PgConnection, subjects: &Subjects) -> Result<Vec<Found>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT CASE WHEN f.isrc IS NOT NULL THEN 'isrc:' || f.isrc
                    ELSE f.platform || ':' || f.platform_track_id END AS "subject!",
               min(f.isrc) AS isrc, min(f.platform_track_id) AS platform_track_id,
               array_agg(DISTINCT f.platform) AS "platforms!",
               array_agg(DISTINCT f.territory::text) AS "territories!",
               min(f.title) AS "title!", min(f.artist) AS "artist!", count(*) AS "lines!",
               min(f.accounting_month) AS "first!: NaiveDate", max(f.accounting_month) AS "last!: NaiveDate",
               complete_sum(to_reporting(f.gross, f.currency, f.accounting_month)) AS suspense
        FROM stream_facts f
        WHERE f.track_id IS NULL AND (f.isrc IS NOT NULL OR f.platform_track_id IS NOT NULL)
          AND (($1::text[] IS NULL AND $2::text[] IS NULL) OR f.isrc = ANY ($1)
               OR (f.isrc IS NULL AND f.platform || ':' || f.platform_track_id = ANY ($2)))
        GROUP BY 1
        HAVING sum(f.gross) <> 0 OR sum(f.units) <> 0
        ORDER BY 1
        "#,
        subjects.isrcs.as_deref() as _,
        subjects.platform_ids.as_deref() as _
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let platforms: BTreeSet<String> = row.platforms.into_iter().collect();
            let id = match &row.isrc {
                Some(isrc) => format!("ISRC {isrc}"),
                None => format!("id {}", row.platform_track_id.as_deref().unwrap_or("")),
            };
            Found {
                kind: "unmatched",
                summary: format!(
                    "{} lines for {id} (\"{}\" by {}) match no track.",
                    row.lines, row.title, row.artist
                ),
                subject: row.subject,
                isrc: row.isrc,
                platform_track_id: row.platform_track_id,
                platforms,
                territories: row.territories.into_iter().collect(),
                at_stake: row.suspense,
                first_month: Some(row.first),
                last_month: Some(row.last),
                ..Found::default()
            }
        })
        .collect())
}

/// A live conflict as the table has it.
struct Live {
    id: i64,
    cause: String,
    holds: BTreeMap<String, (NaiveDate, Option<NaiveDate>)>,
    /// What `update_all` writes, as the table has it.
    details: Details,
}

/// A conflict's details that detection keeps up to date: found again as they are, a
/// conflict is not written again (a full detection finds 150,000 live conflicts, and
/// sending them all to be rewritten took 4 s).
#[derive(Debug, PartialEq)]
struct Details {
    /// None for overlapping claims, whose platforms and amount at stake are those of
    /// the revenue they hold (`update_held`).
    platforms_at_stake: Option<(Vec<String>, Option<Decimal>)>,
    territories: Vec<String>,
    parties: Vec<String>,
    claim_ids: Vec<i64>,
    variants: Vec<String>,
    first_month: Option<NaiveDate>,
    last_month: Option<NaiveDate>,
    summary: String,
}

impl Found {
    fn details(&self) -> Details {
        Details {
            platforms_at_stake: (self.kind != "overlapping_claims")
                .then(|| (vec_of(&self.platforms), self.at_stake)),
            territories: vec_of(&self.territories),
            parties: vec_of(&self.parties),
            claim_ids: self.claim_ids.iter().copied().collect(),
            variants: vec_of(&self.variants),
            first_month: self.first_month,
            last_month: self.last_month,
            summary: self.summary.clone(),
        }
    }
}

async fn reconcile(
    tx: &mut PgConnection,
    subjects: &Subjects,
    found: Vec<Found>,
) -> Result<Pending, AppError> {
    let live = live_conflicts(tx, subjects).await?;
    let decided = decided_causes(tx, &found).await?;
    let mut outcome = Outcome::default();
    let mut seen = BTreeSet::new();
    let mut moved_holds: Vec<(&Live, &Found)> = Vec::new();
    let mut moved = Moved::default();
    let mut with_holds = subjects.holding.clone();
    let mut new = Vec::new();
    let mut updates = Vec::new();
    for f in &found {
        let key = (f.kind.to_string(), f.subject.clone());
        seen.insert(key.clone());
        match live.get(&key) {
            Some(l) => {
                let changed = l.cause != f.cause;
                if changed || l.details != f.details() {
                    updates.push((l.id, f, changed));
                }
                outcome.updated += usize::from(changed);
                if l.holds != f.holds {
                    moved_holds.push((l, f));
                }
                if !f.holds.is_empty() {
                    with_holds.push(l.id);
                }
            }
            None if decided.contains(&(key.0.clone(), key.1.clone(), f.cause.clone())) => {}
            None => new.push(f),
        }
    }
    update_all(tx, &updates).await?;
    let opened = open_all(tx, &new).await?;
    outcome.opened += opened.len();
    for (f, id) in new.iter().zip(opened) {
        if !f.holds.is_empty() {
            with_holds.push(id);
            moved.add(f.track_id, &f.holds);
        }
    }
    let gone: Vec<&Live> =
        live.iter().filter(|(key, _)| !seen.contains(*key)).map(|(_, l)| l).collect();
    for l in gone {
        let track = dismiss(tx, l.id).await?;
        moved.add(track, &l.holds);
        outcome.dismissed += 1;
    }
    for (l, f) in &moved_holds {
        replace_holds(tx, l.id, f).await?;
        moved.add(f.track_id, &l.holds);
        moved.add(f.track_id, &f.holds);
    }
    with_holds.sort_unstable();
    with_holds.dedup();
    Ok(Pending { outcome, moved, with_holds, files: Vec::new() })
}

type Key = (String, String);

/// Stands for "until released" where a query needs a date.
const OPEN_END: NaiveDate = NaiveDate::MAX;

async fn live_conflicts(
    tx: &mut PgConnection,
    subjects: &Subjects,
) -> Result<HashMap<Key, Live>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT c.id, c.kind, c.subject, c.cause, c.platforms, c.at_stake,
               c.territories::text[] AS "conflict_territories!", c.parties, c.claim_ids,
               c.variants, c.first_month AS "first_month: NaiveDate",
               c.last_month AS "last_month: NaiveDate", c.summary,
               coalesce(array_agg(h.territory::text ORDER BY h.id)
                        FILTER (WHERE h.id IS NOT NULL), '{}') AS "territories!",
               coalesce(array_agg(h.from_month ORDER BY h.id)
                        FILTER (WHERE h.id IS NOT NULL), '{}') AS "froms!: Vec<NaiveDate>",
               coalesce(array_agg(coalesce(h.to_month, $7) ORDER BY h.id)
                        FILTER (WHERE h.id IS NOT NULL), '{}') AS "tos!: Vec<NaiveDate>"
        FROM conflicts c
        LEFT JOIN revenue_holds h ON h.conflict_id = c.id AND h.released_at IS NULL
        WHERE c.status IN ('open', 'investigating')
          AND ($1
               OR (c.kind = 'overlapping_claims' AND c.track_id = ANY ($2))
               OR (c.kind = 'foreign_claim' AND c.track_id = ANY ($3))
               OR (c.kind = 'metadata_mismatch' AND c.track_id = ANY ($4))
               OR (c.kind = 'unmatched' AND (c.isrc = ANY ($5)
                   OR (c.isrc IS NULL AND c.subject = ANY ($6)))))
        GROUP BY c.id
        "#,
        subjects.claims.is_none(),
        subjects.claims.as_deref().unwrap_or_default(),
        subjects.collectors.as_deref().unwrap_or_default(),
        subjects.names.as_deref().unwrap_or_default(),
        subjects.isrcs.as_deref().unwrap_or_default() as _,
        subjects.platform_ids.as_deref().unwrap_or_default(),
        OPEN_END as _
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let holds = r
                .territories
                .into_iter()
                .zip(r.froms)
                .zip(r.tos)
                .map(|((t, from), to)| (t, (from, (to != OPEN_END).then_some(to))))
                .collect();
            let details = Details {
                platforms_at_stake: (r.kind != "overlapping_claims")
                    .then_some((r.platforms, r.at_stake)),
                territories: r.conflict_territories,
                parties: r.parties,
                claim_ids: r.claim_ids,
                variants: r.variants,
                first_month: r.first_month,
                last_month: r.last_month,
                summary: r.summary,
            };
            ((r.kind, r.subject), Live { id: r.id, cause: r.cause, holds, details })
        })
        .collect())
}

/// (kind, subject, cause) of the decided conflicts among `found`'s subjects.
async fn decided_causes(
    tx: &mut PgConnection,
    found: &[Found],
) -> Result<BTreeSet<(String, String, String)>, AppError> {
    let kinds: Vec<&str> = found.iter().map(|f| f.kind).collect();
    let subjects: Vec<&str> = found.iter().map(|f| f.subject.as_str()).collect();
    let rows = sqlx::query!(
        r#"
        SELECT c.kind, c.subject, c.cause FROM conflicts c
        JOIN UNNEST($1::text[], $2::text[]) AS u(kind, subject)
          ON u.kind = c.kind AND u.subject = c.subject
        WHERE c.status = 'resolved'
        "#,
        &kinds as _,
        &subjects as _
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.kind, r.subject, r.cause)).collect())
}

/// Opens every conflict of `new` with three statements, whatever their number (a new
/// file can bring thousands): the conflicts, their "opened" events, their holds.
/// Returns each one's id, in `new`'s order.
async fn open_all(tx: &mut PgConnection, new: &[&Found]) -> Result<Vec<i64>, AppError> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    // Sets travel as JSON arrays: no separator can be confused with a party's name.
    let rows: Vec<serde_json::Value> = new
        .iter()
        .map(|f| {
            serde_json::json!({
                "kind": f.kind,
                "subject": f.subject,
                "cause": f.cause,
                "track_id": f.track_id,
                "label_id": f.label_id,
                "isrc": f.isrc,
                "platform_track_id": f.platform_track_id,
                "platforms": f.platforms,
                "territories": f.territories,
                "parties": f.parties,
                "claim_ids": f.claim_ids,
                "variants": f.variants,
                "at_stake": f.at_stake.map(|d| d.to_string()),
                "first_month": f.first_month,
                "last_month": f.last_month,
                "summary": f.summary,
            })
        })
        .collect();
    let opened = sqlx::query!(
        r#"
        WITH opened AS (
            INSERT INTO conflicts
                (kind, subject, cause, track_id, label_id, isrc, platform_track_id, platforms,
                 territories, parties, claim_ids, variants, at_stake, first_month, last_month,
                 summary)
            SELECT r.kind, r.subject, r.cause, r.track_id, r.label_id, r.isrc,
                   r.platform_track_id,
                   ARRAY(SELECT jsonb_array_elements_text(r.platforms)),
                   ARRAY(SELECT jsonb_array_elements_text(r.territories))::char(2)[],
                   ARRAY(SELECT jsonb_array_elements_text(r.parties)),
                   ARRAY(SELECT jsonb_array_elements_text(r.claim_ids)::bigint),
                   ARRAY(SELECT jsonb_array_elements_text(r.variants)),
                   r.at_stake::numeric, r.first_month, r.last_month, r.summary
            FROM jsonb_to_recordset($1::text::jsonb) AS r(
                kind text, subject text, cause text, track_id bigint, label_id bigint,
                isrc text, platform_track_id text, platforms jsonb, territories jsonb,
                parties jsonb, claim_ids jsonb, variants jsonb, at_stake text,
                first_month date, last_month date, summary text)
            RETURNING id, kind, subject, summary
        ),
        events AS (
            INSERT INTO conflict_events (conflict_id, action, note)
            SELECT id, 'opened', summary FROM opened
        )
        SELECT id, kind, subject FROM opened
        "#,
        serde_json::Value::Array(rows).to_string()
    )
    .fetch_all(&mut *tx)
    .await?;
    let ids: HashMap<(String, String), i64> =
        opened.into_iter().map(|r| ((r.kind, r.subject), r.id)).collect();
    let ids: Vec<i64> = new.iter().map(|f| ids[&(f.kind.to_string(), f.subject.clone())]).collect();
    let mut holds = Holds::default();
    for (f, &id) in new.iter().zip(&ids) {
        holds.add(id, f);
    }
    holds.insert(tx).await?;
    Ok(ids)
}

/// New holds of many conflicts, as columns for one INSERT.
#[derive(Default)]
struct Holds {
    tracks: Vec<Option<i64>>,
    territories: Vec<String>,
    froms: Vec<NaiveDate>,
    tos: Vec<Option<NaiveDate>>,
    reasons: Vec<String>,
    conflicts: Vec<i64>,
}

impl Holds {
    fn add(&mut self, id: i64, f: &Found) {
        for (territory, (from, to)) in &f.holds {
            self.tracks.push(f.track_id);
            self.territories.push(territory.clone());
            self.froms.push(*from);
            self.tos.push(*to);
            self.reasons.push(format!("Conflict #{id}: {}", f.summary));
            self.conflicts.push(id);
        }
    }

    async fn insert(self, tx: &mut PgConnection) -> Result<(), AppError> {
        if self.conflicts.is_empty() {
            return Ok(());
        }
        sqlx::query!(
            r#"
            INSERT INTO revenue_holds (track_id, territory, from_month, to_month, reason, conflict_id)
            SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::date[], $4::date[], $5::text[], $6::bigint[])
            "#,
            &self.tracks as &[Option<i64>],
            &self.territories,
            &self.froms as _,
            &self.tos as _,
            &self.reasons,
            &self.conflicts
        )
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// Brings live conflicts' details up to date, all in one statement (detection after a
/// file finds thousands of them again; one UPDATE each cost seconds). Each is
/// `(id, found, cause changed)`; a new cause is noted in the conflict's history.
///
/// Only conflicts whose details differ come here (`Details`). An overlap's amount at
/// stake and platforms are those of what it holds, which `update_held` keeps.
async fn update_all(
    tx: &mut PgConnection,
    updates: &[(i64, &Found, bool)],
) -> Result<(), AppError> {
    if updates.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = updates
        .iter()
        .map(|(id, f, changed)| {
            serde_json::json!({
                "id": id,
                "cause": f.cause,
                "platforms": vec_of(&f.platforms),
                "territories": vec_of(&f.territories),
                "parties": vec_of(&f.parties),
                "claim_ids": f.claim_ids,
                "variants": vec_of(&f.variants),
                // As text: a JSON number would not keep every digit.
                "at_stake": f.at_stake.map(|d| d.to_string()),
                "first_month": f.first_month,
                "last_month": f.last_month,
                "summary": f.summary,
                "changed": changed,
            })
        })
        .collect();
    sqlx::query!(
        r#"
        WITH u AS (
            SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS u(
                id bigint, cause text, platforms text[], territories char(2)[], parties text[],
                claim_ids bigint[], variants text[], at_stake numeric, first_month date,
                last_month date, summary text, changed boolean)
        ),
        updated AS (
            UPDATE conflicts c SET
                cause = u.cause, territories = u.territories, parties = u.parties,
                claim_ids = u.claim_ids, variants = u.variants, first_month = u.first_month,
                last_month = u.last_month, summary = u.summary,
                platforms = CASE WHEN c.kind = 'overlapping_claims' THEN c.platforms
                                 ELSE u.platforms END,
                at_stake = CASE WHEN c.kind = 'overlapping_claims' THEN c.at_stake
                                ELSE u.at_stake END,
                updated_at = CASE WHEN u.changed THEN now() ELSE c.updated_at END
            FROM u WHERE c.id = u.id
        )
        INSERT INTO conflict_events (conflict_id, action, note)
        SELECT id, 'updated', summary FROM u WHERE changed ORDER BY id
        "#,
        serde_json::Value::Array(rows).to_string()
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Dismisses a conflict whose cause is gone and releases its holds. Returns the track
/// whose revenue the holds covered.
async fn dismiss(tx: &mut PgConnection, id: i64) -> Result<Option<i64>, AppError> {
    let track = sqlx::query_scalar!(
        r#"
        UPDATE conflicts SET status = 'dismissed', held = 0, updated_at = now()
        WHERE id = $1 RETURNING track_id
        "#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        UPDATE revenue_holds SET released_at = now(),
            release_note = 'The conflict was dismissed: its cause is gone.'
        WHERE conflict_id = $1 AND released_at IS NULL
        "#,
        id
    )
    .execute(&mut *tx)
    .await?;
    let why = "Dismissed automatically: detection no longer finds its cause (the claims, \
               lines or names behind it were corrected or withdrawn).";
    event(tx, id, "dismissed", why).await?;
    Ok(track)
}

/// Releases a conflict's open holds and places the ones detection now asks for.
async fn replace_holds(tx: &mut PgConnection, id: i64, f: &Found) -> Result<(), AppError> {
    sqlx::query!(
        r#"
        UPDATE revenue_holds SET released_at = now(),
            release_note = 'Replaced: the conflict now covers other territories or months.'
        WHERE conflict_id = $1 AND released_at IS NULL
        "#,
        id
    )
    .execute(&mut *tx)
    .await?;
    let territories: Vec<&str> = f.holds.keys().map(String::as_str).collect();
    let froms: Vec<NaiveDate> = f.holds.values().map(|s| s.0).collect();
    let tos: Vec<Option<NaiveDate>> = f.holds.values().map(|s| s.1).collect();
    sqlx::query!(
        r#"
        INSERT INTO revenue_holds (track_id, territory, from_month, to_month, reason, conflict_id)
        SELECT $1, u.territory, u.from_month, u.to_month, $5, $6
        FROM UNNEST($2::text[], $3::date[], $4::date[]) AS u(territory, from_month, to_month)
        "#,
        f.track_id,
        &territories as _,
        &froms as _,
        &tos as _,
        format!("Conflict #{id}: {}", f.summary),
        id
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Sets what `conflicts`' open holds hold now, in the reporting currency (NULL while a
/// rate is missing). An overlap's revenue at stake, and its platforms, are those of
/// what it holds.
///
/// Read from the terms, which carry their facts' sums (migration 19): a hold naming a
/// territory has terms of its own there, and a worldwide one holds all of its track's.
/// The same sums as `conflict_held` (the facts times their terms, which the conflict's
/// page breaks down by territory), without reading a fact: after a month's file the
/// held amounts of tens of thousands of conflicts move.
pub(super) async fn update_held(tx: &mut PgConnection, conflicts: &[i64]) -> Result<(), AppError> {
    sqlx::query!(
        r#"
        WITH held AS (
            -- NULL while any part waits for a rate (built-in aggregates: see summary.rs).
            SELECT h.conflict_id,
                   CASE WHEN bool_and(t.reporting_rate IS NOT NULL)
                        THEN sum(t.gross * t.ours * t.reporting_rate) END AS held,
                   array_agg(DISTINCT t.platform) AS platforms
            FROM revenue_holds h
            JOIN terms t ON t.track_id = h.track_id AND t.state = 'held'
             AND t.hold_reason = 'conflict' AND t.lines <> 0
             AND (h.territory = 'WW' OR t.territory = h.territory)
             AND t.accounting_month >= h.from_month
             AND (h.to_month IS NULL OR t.accounting_month <= h.to_month)
            WHERE h.conflict_id = ANY ($1) AND h.released_at IS NULL
            GROUP BY h.conflict_id
        ),
        now_held AS (
            SELECT ids.id, CASE WHEN h.conflict_id IS NULL THEN 0 ELSE h.held END AS held,
                   coalesce(h.platforms, '{}') AS platforms
            FROM UNNEST($1::bigint[]) AS ids(id)
            LEFT JOIN held h ON h.conflict_id = ids.id
        )
        UPDATE conflicts c
        SET held = n.held,
            at_stake = CASE WHEN c.kind = 'overlapping_claims' THEN n.held ELSE c.at_stake END,
            -- An overlap's platforms are those of the revenue it holds.
            platforms = CASE WHEN c.kind = 'overlapping_claims'
                             THEN n.platforms ELSE c.platforms END
        FROM now_held n
        WHERE c.id = n.id
          -- Most are as they were (a full detection looks at every one): left unwritten.
          AND (c.held IS DISTINCT FROM n.held
               OR (c.kind = 'overlapping_claims'
                   AND (c.at_stake, c.platforms) IS DISTINCT FROM (n.held, n.platforms)))
        "#,
        conflicts
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The live conflicts holding revenue of `files`, by the files' terms held for a
/// conflict (an index of their own: migration 28). Before a file's allocation these are
/// what it held (a withdrawn file's, whose revenue goes), after it what it holds.
async fn conflicts_holding(tx: &mut PgConnection, files: &[i64]) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT DISTINCT h.conflict_id AS "id!"
        FROM terms t
        JOIN revenue_holds h ON h.track_id = t.track_id AND h.released_at IS NULL
         AND h.conflict_id IS NOT NULL
         AND (h.territory = 'WW' OR h.territory = t.territory)
         AND t.accounting_month >= h.from_month
         AND (h.to_month IS NULL OR t.accounting_month <= h.to_month)
        WHERE t.report_file_id = ANY ($1) AND t.hold_reason = 'conflict'
        "#,
        files
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// Adds a line to a conflict's history; `by` is None for detection.
pub(super) async fn event(
    tx: &mut PgConnection,
    id: i64,
    action: &str,
    note: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO conflict_events (conflict_id, action, note) VALUES ($1, $2, $3)",
        id,
        action,
        note
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn vec_of(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().cloned().collect()
}

fn joined(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The union of two causes, each a sorted list of "claim=share" joined by commas.
fn merge_cause(cause: &str, more: &[String]) -> String {
    let mut all: BTreeSet<&str> = cause.split(',').filter(|s| !s.is_empty()).collect();
    all.extend(more.iter().map(String::as_str));
    all.into_iter().collect::<Vec<_>>().join(",")
}

fn month_of(day: NaiveDate) -> NaiveDate {
    crate::domain::Month::of_period_end(day).first_day()
}
