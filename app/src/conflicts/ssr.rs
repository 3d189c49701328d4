//! The SQL behind the conflict queue, a conflict's page and a track's holds. Every
//! query takes the user's scope: staff see all, a label manager their label's.

use super::{
    ClaimSide, ConflictDetail, ConflictEvent, ConflictRow, HeldAmount, KindCount, LineGroup, Queue,
    QueueFilter, TrackHold,
};
use crate::auth::{Scope, SessionUser};
use crate::domain::Role;
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

/// Rows per page of the queue.
const PAGE: i64 = 50;
/// At most this many line groups on a conflict's page.
const LINE_GROUPS: i64 = 200;

/// The label a user is confined to; None for staff.
fn label_of(user: &SessionUser) -> Result<Option<i64>, AppError> {
    match user.scope() {
        Scope::Everything => Ok(None),
        Scope::Label(id) => Ok(Some(id)),
        _ => Err(AppError::Forbidden),
    }
}

async fn reporting_currency(pool: &PgPool) -> Result<String, AppError> {
    Ok(sqlx::query_scalar!(r#"SELECT reporting_currency::text AS "c!" FROM settings"#)
        .fetch_one(pool)
        .await?)
}

pub async fn queue(
    pool: &PgPool,
    user: &SessionUser,
    filter: QueueFilter,
) -> Result<Queue, AppError> {
    let own_label = label_of(user)?;
    let label = own_label.or(filter.label_id);
    let status = if filter.status.is_empty() { "live" } else { filter.status.as_str() };
    let page = filter.page.unwrap_or(1).max(1);
    let age = filter.min_age_days.filter(|d| *d > 0).map(|d| d as i32);
    let territory = filter.territory.trim().to_uppercase();
    let rows = sqlx::query_as!(
        ConflictRow,
        r#"
        SELECT c.id, c.kind, c.status, c.summary, c.track_id, t.title AS "track?",
               coalesce(t.isrc, c.isrc)::text AS isrc, l.name AS "label?",
               c.territories::text[] AS "territories!", c.platforms, c.at_stake::text,
               c.held::text, u.email AS "assigned_to?", c.opened_at AS "opened_at: DateTime<Utc>", c.resolution
        FROM conflicts c
        LEFT JOIN tracks t ON t.id = c.track_id
        LEFT JOIN labels l ON l.id = c.label_id
        LEFT JOIN users u ON u.id = c.assigned_to
        WHERE ($1 = '' OR c.kind = $1)
          AND (c.status = $2 OR $2 = 'live' AND c.status IN ('open', 'investigating'))
          AND ($3 = '' OR $3 = ANY (c.platforms))
          AND ($4::bigint IS NULL OR c.label_id = $4)
          AND ($5 = '' OR $5 = ANY (c.territories::text[]))
          AND ($6::int IS NULL OR c.opened_at <= now() - make_interval(days => $6))
        ORDER BY c.at_stake DESC NULLS LAST, c.id
        LIMIT $7 OFFSET $8
        "#,
        filter.kind,
        status,
        filter.platform,
        label,
        territory,
        age,
        PAGE,
        (page - 1) * PAGE
    )
    .fetch_all(pool)
    .await?;
    let totals = sqlx::query!(
        r#"
        SELECT count(*) AS "total!", coalesce(sum(c.at_stake), 0)::text AS "at_stake!",
               coalesce(sum(c.held), 0)::text AS "held!"
        FROM conflicts c
        WHERE ($1 = '' OR c.kind = $1)
          AND (c.status = $2 OR $2 = 'live' AND c.status IN ('open', 'investigating'))
          AND ($3 = '' OR $3 = ANY (c.platforms))
          AND ($4::bigint IS NULL OR c.label_id = $4)
          AND ($5 = '' OR $5 = ANY (c.territories::text[]))
          AND ($6::int IS NULL OR c.opened_at <= now() - make_interval(days => $6))
        "#,
        filter.kind,
        status,
        filter.platform,
        label,
        territory,
        age
    )
    .fetch_one(pool)
    .await?;
    let by_kind = sqlx::query!(
        r#"
        SELECT kind, count(*) AS "count!", coalesce(sum(at_stake), 0)::text AS "at_stake!"
        FROM conflicts
        WHERE status IN ('open', 'investigating') AND ($1::bigint IS NULL OR label_id = $1)
        GROUP BY kind ORDER BY kind
        "#,
        own_label
    )
    .fetch_all(pool)
    .await?;
    let labels = sqlx::query!(
        "SELECT id, name FROM labels WHERE $1::bigint IS NULL OR id = $1 ORDER BY name",
        own_label
    )
    .fetch_all(pool)
    .await?;
    Ok(Queue {
        rows,
        total: totals.total,
        total_at_stake: totals.at_stake,
        total_held: totals.held,
        by_kind: by_kind
            .into_iter()
            .map(|k| KindCount { kind: k.kind, count: k.count, at_stake: k.at_stake })
            .collect(),
        currency: reporting_currency(pool).await?,
        page,
        pages: ((totals.total + PAGE - 1) / PAGE).max(1),
        labels: labels.into_iter().map(|l| (l.id, l.name)).collect(),
        can_act: user.role == Role::Staff,
    })
}

pub async fn detail(
    pool: &PgPool,
    user: &SessionUser,
    id: i64,
) -> Result<ConflictDetail, AppError> {
    let own_label = label_of(user)?;
    let c = sqlx::query!(
        r#"
        SELECT c.id, c.kind, c.status, c.summary, c.track_id, t.title AS "track?",
               coalesce(t.isrc, c.isrc)::text AS isrc, l.name AS "label?",
               c.territories::text[] AS "territories!", c.platforms, c.at_stake::text,
               c.held::text, u.email AS "assigned_to?", c.opened_at AS "opened_at: DateTime<Utc>", c.resolution,
               c.parties, c.variants, c.claim_ids, (c.our_share * 100)::text AS our_share,
               d.email AS "decided_by?", c.decided_at AS "decided_at: DateTime<Utc>", c.first_month AS "first_month: NaiveDate",
               c.last_month AS "last_month: NaiveDate",
               c.platform_track_id
        FROM conflicts c
        LEFT JOIN tracks t ON t.id = c.track_id
        LEFT JOIN labels l ON l.id = c.label_id
        LEFT JOIN users u ON u.id = c.assigned_to
        LEFT JOIN users d ON d.id = c.decided_by
        WHERE c.id = $1 AND ($2::bigint IS NULL OR c.label_id = $2)
        "#,
        id,
        own_label
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let claims = match c.track_id {
        Some(track) => claims(pool, track, &c.claim_ids).await?,
        None => Vec::new(),
    };
    let lines =
        lines(pool, &c.kind, c.track_id, c.isrc.as_deref(), &c.platforms, &c.platform_track_id)
            .await?;
    let held = held(pool, id).await?;
    let history = history(pool, id).await?;
    Ok(ConflictDetail {
        row: ConflictRow {
            id: c.id,
            kind: c.kind,
            status: c.status,
            summary: c.summary,
            track_id: c.track_id,
            track: c.track,
            isrc: c.isrc,
            label: c.label,
            territories: c.territories,
            platforms: c.platforms,
            at_stake: c.at_stake,
            held: c.held,
            assigned_to: c.assigned_to,
            opened_at: c.opened_at,
            resolution: c.resolution,
        },
        parties: c.parties,
        variants: c.variants,
        claims,
        lines,
        held,
        history,
        our_share: c.our_share,
        decided_by: c.decided_by,
        decided_at: c.decided_at,
        currency: reporting_currency(pool).await?,
        can_act: user.role == Role::Staff,
    })
}

/// Every claim on the track, the conflict's own first, withdrawn ones included.
async fn claims(pool: &PgPool, track: i64, involved: &[i64]) -> Result<Vec<ClaimSide>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT cl.id, cl.party, (cl.share * 100)::text AS "share!",
               cl.territories::text[] AS "territories!", cl.valid_from AS "valid_from: NaiveDate",
               cl.valid_to AS "valid_to: NaiveDate", cl.source,
               (cl.source = 'delivery'
                OR lower(cl.party) IN (lower(l.name), lower(s.distributor_name))) AS "ours!",
               to_char(cl.withdrawn_at, 'YYYY-MM-DD') || ': ' || cl.withdrawn_note AS withdrawn
        FROM ownership_claims cl
        JOIN tracks t ON t.id = cl.track_id
        JOIN releases r ON r.id = t.release_id
        JOIN labels l ON l.id = r.label_id
        CROSS JOIN settings s
        WHERE cl.track_id = $1
        ORDER BY cl.id = ANY ($2) DESC, cl.withdrawn_at IS NOT NULL, cl.valid_from, cl.id
        "#,
        track,
        involved
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ClaimSide {
            id: r.id,
            party: r.party,
            share_percent: r.share,
            territories: r.territories,
            valid_from: r.valid_from.to_string(),
            valid_to: r.valid_to.map(|d| d.to_string()),
            source: r.source,
            ours: r.ours,
            withdrawn: r.withdrawn,
        })
        .collect())
}

/// The report lines behind a conflict, grouped per file, platform, territory and month:
/// the track's lines where another party collects (foreign claim), all its lines in the
/// disputed territories (overlap), its lines with other names (mismatch), or the
/// suspense lines of the identifier (unmatched).
async fn lines(
    pool: &PgPool,
    kind: &str,
    track: Option<i64>,
    isrc: Option<&str>,
    platforms: &[String],
    platform_track_id: &Option<String>,
) -> Result<Vec<LineGroup>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT f.report_file_id AS "file_id!", rf.file_name, f.platform AS "platform!",
               f.territory::text AS "territory!", f.accounting_month AS "month!: NaiveDate",
               count(*) AS "lines!", min(f.line_number) AS "first_line!",
               sum(f.units)::bigint AS "units!", sum(f.gross)::text AS "gross!",
               f.currency::text AS "currency!", f.collector, f.track_id
        FROM stream_facts f
        JOIN report_files rf ON rf.id = f.report_file_id
        LEFT JOIN tracks t ON t.id = f.track_id
        WHERE CASE $1
            WHEN 'unmatched' THEN f.track_id IS NULL
                 AND (f.isrc = $3 OR $3 IS NULL AND f.isrc IS NULL AND f.platform = $4
                      AND f.platform_track_id = $5)
            WHEN 'foreign_claim' THEN f.track_id = $2 AND f.collector IS NOT NULL
            WHEN 'metadata_mismatch' THEN f.track_id = $2
                 AND (comparable_name(f.title) <> comparable_name(t.title)
                      OR comparable_artist(f.artist) NOT IN (
                          SELECT comparable_artist(a.name) FROM track_artists ta
                          JOIN artists a ON a.id = ta.artist_id WHERE ta.track_id = t.id
                          UNION
                          SELECT comparable_artist(a.name) FROM releases r
                          JOIN artists a ON a.id = r.artist_id WHERE r.id = t.release_id))
            ELSE f.track_id = $2 AND EXISTS (
                 SELECT 1 FROM conflicts c WHERE c.kind = 'overlapping_claims'
                 AND c.track_id = f.track_id
                 AND (f.territory = ANY (c.territories) OR 'WW' = ANY (c.territories)))
            END
        GROUP BY 1, 2, 3, 4, 5, 10, 11, 12
        ORDER BY 5 DESC, 3, 4, 1
        LIMIT $6
        "#,
        kind,
        track,
        isrc,
        platforms.first(),
        platform_track_id.as_deref(),
        LINE_GROUPS
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LineGroup {
            file_id: r.file_id,
            file_name: r.file_name,
            platform: r.platform,
            territory: r.territory,
            month: r.month.format("%Y-%m").to_string(),
            lines: r.lines,
            first_line: r.first_line,
            units: r.units,
            gross: r.gross,
            currency: r.currency,
            collector: r.collector,
            track_id: r.track_id,
        })
        .collect())
}

/// What the conflict's open holds hold, per month, platform and territory, in the
/// reporting currency.
async fn held(pool: &PgPool, id: i64) -> Result<Vec<HeldAmount>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT accounting_month AS "month!: NaiveDate", platform AS "platform!",
               territory::text AS "territory!",
               (complete_sum(reporting))::text
                   AS amount
        FROM conflict_held
        WHERE conflict_id = $1
        GROUP BY 1, 2, 3
        ORDER BY 1 DESC, 2, 3
        "#,
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| HeldAmount {
            month: r.month.format("%Y-%m").to_string(),
            platform: r.platform,
            territory: r.territory,
            amount: r.amount,
        })
        .collect())
}

async fn history(pool: &PgPool, id: i64) -> Result<Vec<ConflictEvent>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT e.at AS "at: DateTime<Utc>", u.email AS "by?", e.action, e.note
        FROM conflict_events e LEFT JOIN users u ON u.id = e.by_user
        WHERE e.conflict_id = $1 ORDER BY e.at, e.id
        "#,
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ConflictEvent { at: r.at, by: r.by, action: r.action, note: r.note })
        .collect())
}

/// A track's revenue held by live conflicts, for anyone who may see the track (an
/// artist learns that and why, not who the other party is).
pub async fn track_holds(
    pool: &PgPool,
    user: &SessionUser,
    track: i64,
) -> Result<Vec<TrackHold>, AppError> {
    let scope = user.scope();
    let rows = sqlx::query!(
        r#"
        SELECT c.kind, c.territories::text[] AS "territories!",
               c.first_month AS "first_month: NaiveDate", c.held::text AS held
        FROM conflicts c
        JOIN tracks t ON t.id = c.track_id
        JOIN releases r ON r.id = t.release_id
        WHERE c.track_id = $3 AND c.status IN ('open', 'investigating')
          AND c.kind IN ('overlapping_claims', 'foreign_claim')
          AND ($1 = 'all'
           OR ($1 = 'label' AND r.label_id = $2)
           OR ($1 = 'artist' AND EXISTS (
                 SELECT 1 FROM track_artists mine WHERE mine.track_id = t.id AND mine.artist_id = $2)))
        ORDER BY c.id
        "#,
        scope.kind(),
        scope.id(),
        track
    )
    .fetch_all(pool)
    .await?;
    let currency = reporting_currency(pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| TrackHold {
            kind: r.kind,
            territories: r.territories,
            since: r.first_month.map(|m| m.format("%Y-%m").to_string()),
            held: r.held,
            currency: currency.clone(),
        })
        .collect())
}

pub async fn alerts(pool: &PgPool) -> Result<super::Alerts, AppError> {
    let threshold =
        sqlx::query_scalar!(r#"SELECT conflict_alert_amount::text AS "a!" FROM settings"#)
            .fetch_one(pool)
            .await?;
    let conflicts = sqlx::query_as!(
        ConflictRow,
        r#"
        SELECT c.id, c.kind, c.status, c.summary, c.track_id, t.title AS "track?",
               coalesce(t.isrc, c.isrc)::text AS isrc, l.name AS "label?",
               c.territories::text[] AS "territories!", c.platforms, c.at_stake::text,
               c.held::text, u.email AS "assigned_to?", c.opened_at AS "opened_at: DateTime<Utc>",
               c.resolution
        FROM conflicts c
        CROSS JOIN settings s
        LEFT JOIN tracks t ON t.id = c.track_id
        LEFT JOIN labels l ON l.id = c.label_id
        LEFT JOIN users u ON u.id = c.assigned_to
        WHERE c.status IN ('open', 'investigating') AND c.opened_at > now() - interval '7 days'
          AND c.at_stake >= s.conflict_alert_amount
        ORDER BY c.at_stake DESC
        LIMIT 10
        "#
    )
    .fetch_all(pool)
    .await?;
    Ok(super::Alerts { threshold, currency: reporting_currency(pool).await?, conflicts })
}

pub async fn set_alert_amount(
    pool: &PgPool,
    amount: rust_decimal::Decimal,
) -> Result<(), AppError> {
    sqlx::query!("UPDATE settings SET conflict_alert_amount = $1", amount).execute(pool).await?;
    Ok(())
}
