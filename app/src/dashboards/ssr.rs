//! The dashboards' SQL: summaries and report files only (a test runs these queries as a
//! database role that may not read the facts or the ledger).

use super::{ArtistDashboard, Freshness, Line, charts};
use crate::domain::Platform;
use crate::error::AppError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::PgPool;

/// Per platform, the last accounting month with a loaded report.
pub async fn freshness(pool: &PgPool) -> Result<Vec<Freshness>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT platform AS "platform!", max(accounting_month) AS "through!: NaiveDate"
        FROM report_files
        WHERE status = 'loaded' AND platform IS NOT NULL AND accounting_month IS NOT NULL
        GROUP BY platform ORDER BY platform
        "#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Freshness {
            platform: Platform::name_of(&r.platform).to_string(),
            through: r.through.format("%Y-%m").to_string(),
        })
        .collect())
}

/// An artist's earnings: the `payee_summary` rows of the payees that are this artist,
/// in the currency they earn most in.
pub async fn artist(pool: &PgPool, artist: i64) -> Result<ArtistDashboard, AppError> {
    let currency = sqlx::query_scalar!(
        r#"
        SELECT s.currency::text AS "currency!" FROM payee_summary s
        JOIN payees p ON p.id = s.payee_id
        WHERE p.artist_id = $1
        GROUP BY s.currency ORDER BY sum(s.earnings) DESC LIMIT 1
        "#,
        artist
    )
    .fetch_optional(pool)
    .await?
    .unwrap_or_else(|| "USD".to_string());
    // One query for every breakdown: grouping sets over the artist's rows.
    let rows = sqlx::query!(
        r#"
        SELECT s.accounting_month AS "month?: NaiveDate", s.platform AS "platform?",
               s.territory::text AS "territory?", t.title AS "track?",
               GROUPING(s.accounting_month, s.platform, s.territory, t.title) AS "set!",
               sum(s.units)::bigint AS "units!", sum(s.earnings) AS "earnings!",
               sum(s.held) AS "held!"
        FROM payee_summary s
        JOIN payees p ON p.id = s.payee_id
        JOIN tracks t ON t.id = s.track_id
        WHERE p.artist_id = $1 AND s.currency = $2
        GROUP BY GROUPING SETS ((s.accounting_month), (s.platform), (s.territory), (t.title), ())
        "#,
        artist,
        currency
    )
    .fetch_all(pool)
    .await?;
    let (mut months, mut by_platform, mut by_territory, mut top_tracks) =
        (vec![], vec![], vec![], vec![]);
    let mut all_time = line("All time".into(), 0, Decimal::ZERO);
    let mut held = Decimal::ZERO;
    for r in rows {
        let (units, earnings) = (r.units, r.earnings);
        // GROUPING's bits, highest first: month, platform, territory, track; 0 = grouped by it.
        match r.set {
            0b0111 => months.push((r.month, line(fmt_month(r.month), units, earnings))),
            0b1011 => by_platform.push(line(
                Platform::name_of(&r.platform.unwrap_or_default()).to_string(),
                units,
                earnings,
            )),
            0b1101 => by_territory.push(line(r.territory.unwrap_or_default(), units, earnings)),
            0b1110 => top_tracks.push(line(r.track.unwrap_or_default(), units, earnings)),
            _ => {
                all_time = line("All time".into(), units, earnings);
                held = r.held;
            }
        }
    }
    months.sort_by_key(|(month, _)| *month);
    let months: Vec<Line> = months.into_iter().rev().take(12).rev().map(|(_, l)| l).collect();
    for list in [&mut by_platform, &mut by_territory, &mut top_tracks] {
        list.sort_by(|a, b| amount(b).cmp(&amount(a)).then(a.label.cmp(&b.label)));
    }
    by_territory.truncate(10);
    top_tracks.truncate(10);
    Ok(ArtistDashboard {
        freshness: freshness(pool).await?,
        months_chart: charts::monthly_line(
            "Your earnings by month",
            &format!("Earnings ({currency})"),
            "Earnings",
            &points(&months),
        ),
        platforms_chart: charts::bars(
            "Your earnings by platform, all time",
            &format!("Earnings ({currency})"),
            &points(&by_platform),
        ),
        currency,
        months,
        all_time,
        by_platform,
        by_territory,
        top_tracks,
        held: held.to_string(),
    })
}

fn amount(line: &Line) -> Decimal {
    line.amount.parse().unwrap_or_default()
}

fn fmt_month(month: Option<NaiveDate>) -> String {
    month.map(|m| m.format("%Y-%m").to_string()).unwrap_or_default()
}

/// A label's revenue from `revenue_summary`: one GROUPING SETS query for every
/// breakdown. Amounts still waiting for a rate are counted apart, not summed as zero.
pub async fn label(pool: &PgPool, label: i64) -> Result<super::LabelDashboard, AppError> {
    let found = sqlx::query!(
        r#"SELECT name, accounting_currency::text AS "currency!" FROM labels WHERE id = $1"#,
        label
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let (name, currency) = (found.name, found.currency);
    let rows = sqlx::query!(
        r#"
        SELECT s.accounting_month AS "month?: NaiveDate", s.platform AS "platform?",
               s.territory::text AS "territory?", a.name AS "artist?", r.title AS "release?",
               GROUPING(s.accounting_month, s.platform, s.territory, a.name, r.title) AS "set!",
               sum(s.units)::bigint AS "units!", coalesce(sum(s.gross), 0) AS "gross!",
               coalesce(sum(s.net), 0) AS "net!", coalesce(sum(s.held), 0) AS "held!",
               count(*) FILTER (WHERE s.gross IS NULL) AS "awaiting!"
        FROM revenue_summary s
        JOIN tracks t ON t.id = s.track_id
        JOIN releases r ON r.id = t.release_id
        JOIN artists a ON a.id = r.artist_id
        WHERE s.label_id = $1
        GROUP BY GROUPING SETS ((s.accounting_month), (s.platform), (s.territory), (a.name),
                                (r.id, r.title), ())
        "#,
        label
    )
    .fetch_all(pool)
    .await?;
    let mut d = super::LabelDashboard {
        freshness: freshness(pool).await?,
        label: name,
        currency: currency.clone(),
        all_time: line("All time".into(), 0, Decimal::ZERO),
        net: "0".into(),
        held: "0".into(),
        awaiting_rate: 0,
        months: vec![],
        by_platform: vec![],
        by_territory: vec![],
        by_artist: vec![],
        by_release: vec![],
        months_chart: String::new(),
        platforms_chart: String::new(),
    };
    let mut months = vec![];
    for r in rows {
        let l = |label: String| line(label, r.units, r.gross);
        // GROUPING's bits, highest first: month, platform, territory, artist, release.
        match r.set {
            0b01111 => months.push((r.month, l(fmt_month(r.month)))),
            0b10111 => d
                .by_platform
                .push(l(Platform::name_of(&r.platform.unwrap_or_default()).to_string())),
            0b11011 => d.by_territory.push(l(r.territory.unwrap_or_default())),
            0b11101 => d.by_artist.push(l(r.artist.unwrap_or_default())),
            0b11110 => d.by_release.push(l(r.release.unwrap_or_default())),
            _ => {
                d.all_time = l("All time".into());
                d.net = r.net.to_string();
                d.held = r.held.to_string();
                d.awaiting_rate = r.awaiting;
            }
        }
    }
    months.sort_by_key(|(month, _)| *month);
    d.months = months.into_iter().rev().take(12).rev().map(|(_, l)| l).collect();
    for list in [&mut d.by_platform, &mut d.by_territory, &mut d.by_artist, &mut d.by_release] {
        list.sort_by(|a, b| amount(b).cmp(&amount(a)).then(a.label.cmp(&b.label)));
    }
    d.by_territory.truncate(10);
    d.by_release.truncate(10);
    let unit = format!("Revenue ({currency})");
    d.months_chart = charts::monthly_line("Revenue by month", &unit, "Revenue", &points(&d.months));
    d.platforms_chart =
        charts::bars("Revenue by platform, all time", &unit, &points(&d.by_platform));
    Ok(d)
}

fn line(label: String, units: i64, money: Decimal) -> Line {
    Line {
        label,
        units,
        amount: money.to_string(),
        per_stream: (units > 0)
            .then(|| (money / Decimal::from(units)).round_dp(6).normalize().to_string()),
    }
}

fn points(lines: &[Line]) -> Vec<(String, f64)> {
    lines.iter().map(|l| (l.label.clone(), amount(l).to_f64().unwrap_or(0.0))).collect()
}

/// Staff's overview: every label's revenue in the reporting currency, suspense, open
/// conflicts and what they hold, and the latest report files.
pub async fn staff(pool: &PgPool) -> Result<super::StaffDashboard, AppError> {
    let totals = sqlx::query!(
        r#"
        SELECT l.name AS "label?", sum(s.units)::bigint AS "units!",
               coalesce(sum(s.reporting_gross), 0) AS "gross!",
               count(*) FILTER (WHERE s.reporting_gross IS NULL) AS "awaiting!"
        FROM revenue_summary s LEFT JOIN labels l ON l.id = s.label_id
        GROUP BY l.name ORDER BY l.name NULLS LAST
        "#
    )
    .fetch_all(pool)
    .await?;
    let mut labels = Vec::new();
    let mut suspense = super::LabelTotal {
        label: "Suspense (matches no track)".into(),
        units: 0,
        gross: "0".into(),
        awaiting_rate: 0,
    };
    for t in totals {
        let total = super::LabelTotal {
            label: t.label.clone().unwrap_or_else(|| suspense.label.clone()),
            units: t.units,
            gross: t.gross.to_string(),
            awaiting_rate: t.awaiting,
        };
        match t.label {
            Some(_) => labels.push(total),
            None => suspense = total,
        }
    }
    let conflicts = sqlx::query!(
        r#"
        SELECT count(*) AS "open!", coalesce(sum(at_stake), 0)::text AS "at_stake!",
               coalesce(sum(held), 0)::text AS "held!"
        FROM conflicts WHERE status IN ('open', 'investigating')
        "#
    )
    .fetch_one(pool)
    .await?;
    let files = sqlx::query!(
        r#"
        SELECT id, file_name, platform, accounting_month AS "month: NaiveDate", status
        FROM report_files ORDER BY id DESC LIMIT 8
        "#
    )
    .fetch_all(pool)
    .await?;
    Ok(super::StaffDashboard {
        freshness: freshness(pool).await?,
        currency: sqlx::query_scalar!(r#"SELECT reporting_currency::text AS "c!" FROM settings"#)
            .fetch_one(pool)
            .await?,
        labels,
        suspense,
        open_conflicts: conflicts.open,
        at_stake: conflicts.at_stake,
        held: conflicts.held,
        recent_files: files
            .into_iter()
            .map(|f| super::RecentFile {
                id: f.id,
                name: f.file_name,
                platform: f.platform.as_deref().map(|p| Platform::name_of(p).to_string()),
                month: f.month.map(|m| m.format("%Y-%m").to_string()),
                status: f.status,
            })
            .collect(),
    })
}
