//! Assembling the dashboards from `query`'s sums: whose numbers (the source), the
//! overview with its charts and comparison, table pages, and staff's own watch list.

use super::filters::period_before;
use super::query::{self, Source};
use super::{
    Comparison, Filters, Freshness, Mover, Overview, RecentFile, SourceFreshness, StaffDashboard,
    TablePage, TableState, View, charts,
};
use crate::auth::{Scope, SessionUser};
use crate::domain::{Month, Platform, Role};
use crate::error::AppError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::PgPool;

pub const READERS: [Role; 3] = [Role::Artist, Role::LabelManager, Role::Staff];

/// The reader's source for `filters`: an artist's own earnings (in the currency asked
/// for, else the one they earn most in), a manager's own label, or for staff the label
/// asked for or everything. Asking for another's label is "not found".
pub async fn source(
    pool: &PgPool,
    user: &SessionUser,
    filters: &Filters,
) -> Result<Source, AppError> {
    match (user.scope(), filters.label) {
        (Scope::Artist(artist), None) => {
            let currency = match filters.currency {
                Some(currency) => currency.code().to_string(),
                None => super::earnings::currencies(pool, artist)
                    .await?
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| "USD".into()),
            };
            Ok(Source::Artist { artist, currency })
        }
        (Scope::Label(own), None) => label_source(pool, own).await,
        (Scope::Label(own), Some(asked)) if asked == own => label_source(pool, own).await,
        (Scope::Everything, Some(label)) => label_source(pool, label).await,
        (Scope::Everything, None) => {
            Ok(Source::Everything { currency: reporting_currency(pool).await? })
        }
        _ => Err(AppError::NotFound),
    }
}

/// A label's source, its currency read once per request: a label overview's tables,
/// charts and overview each ask (eight statements a page).
async fn label_source(pool: &PgPool, label: i64) -> Result<Source, AppError> {
    let read = || async move {
        sqlx::query_scalar!(
            r#"SELECT accounting_currency::text AS "currency!" FROM labels WHERE id = $1"#,
            label
        )
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)
    };
    let currency = crate::db::request_once("label currency", label, read).await?;
    Ok(Source::Label { label, currency })
}

async fn reporting_currency(pool: &PgPool) -> Result<String, AppError> {
    let read = || async move {
        Ok(sqlx::query_scalar!(r#"SELECT reporting_currency::text AS "c!" FROM settings"#)
            .fetch_one(pool)
            .await?)
    };
    crate::db::request_once("reporting currency", 0, read).await
}

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

/// The overview of a slice: totals, the two latest periods compared, charts, menus.
pub async fn overview(
    pool: &PgPool,
    source: &Source,
    filters: &Filters,
) -> Result<Overview, AppError> {
    let (view, scope) = scope_name(pool, source).await?;
    let totals = query::totals(pool, source, filters, None).await?;
    // The charts' cells hold every month with data: the span is theirs.
    let cells = query::month_platform(pool, source, filters).await?;
    let span = match (cells.first(), cells.last()) {
        (Some(first), Some(last)) => Some((first.month.parse()?, last.month.parse()?)),
        _ => None,
    };
    let comparison = match span {
        Some(span) => Some(compare(pool, source, filters, span).await?),
        None => None,
    };
    let currency = source.currency().to_string();
    let money = source.money().to_string();
    let charts = draw(&cells, &money, &currency);
    let mut options = query::options(pool, source, filters.track.is_none()).await?;
    options.shortened = shorten(&mut options.releases, filters.release)
        | shorten(&mut options.artists, filters.artist);
    if view == View::Everything || filters.label.is_some() {
        options.labels = labels(pool).await?;
    }
    let mut next_statement = None;
    if let Source::Artist { artist, currency } = source {
        options.currencies = super::earnings::currencies(pool, *artist).await?;
        // The next statement is the artist's whole catalog: shown only when the page is.
        if filters.is_whole_catalog() && filters.from.is_none() && filters.to.is_none() {
            next_statement = Some(next_statement_estimate(pool, *artist, currency).await?);
        }
    }
    Ok(Overview {
        view,
        scope,
        currency,
        money,
        freshness: freshness(pool).await?,
        totals,
        span: span.map(|(lo, hi)| (lo.to_string(), hi.to_string())),
        comparison,
        months_chart: charts.months,
        streams_chart: charts.streams,
        platforms_chart: charts.platforms,
        options,
        next_statement,
    })
}

/// Menus longer than this list only their chosen entry. A label of a distributor's
/// size has 1,250 releases and 500 artists: as menus they were most of its overview
/// (270 KB, drawn in the page and again in its hydration data, a third of the server's
/// time for it) and too long to pick from; its tables by release and artist, whose rows
/// are filters, pick from them instead.
pub const MENU_LIMIT: usize = 200;

/// Keeps only the chosen entry of a menu longer than [`MENU_LIMIT`]; true if it did.
fn shorten(menu: &mut Vec<(String, String)>, chosen: Option<i64>) -> bool {
    if menu.len() <= MENU_LIMIT {
        return false;
    }
    let chosen = chosen.map(|id| id.to_string());
    menu.retain(|(_, id)| Some(id) == chosen.as_ref());
    true
}

async fn scope_name(pool: &PgPool, source: &Source) -> Result<(View, String), AppError> {
    Ok(match source {
        Source::Artist { artist, .. } => {
            let name = sqlx::query_scalar!("SELECT name FROM artists WHERE id = $1", artist)
                .fetch_one(pool)
                .await?;
            (View::Artist, name)
        }
        Source::Label { label, .. } => {
            let name = sqlx::query_scalar!("SELECT name FROM labels WHERE id = $1", label)
                .fetch_one(pool)
                .await?;
            (View::Label, name)
        }
        Source::Everything { .. } => (View::Everything, "All labels".to_string()),
    })
}

async fn labels(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query!("SELECT id, name FROM labels ORDER BY name").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| (r.name, r.id.to_string())).collect())
}

/// The last `n` months of the span (the chosen period, or the latest month with data)
/// against the `n` months before them.
async fn compare(
    pool: &PgPool,
    source: &Source,
    filters: &Filters,
    span: (Month, Month),
) -> Result<Comparison, AppError> {
    let now = match (filters.from, filters.to) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, span.1),
        _ => (span.1, span.1),
    };
    let before = period_before(now);
    let unfiltered_period = Filters { from: None, to: None, ..filters.clone() };
    // One track's page has no other tracks to move against.
    let movers = match filters.track {
        Some(_) => Vec::new(),
        None => query::movers(pool, source, filters, before, now).await?,
    };
    Ok(Comparison {
        now_label: period_label(now),
        before_label: period_label(before),
        now: query::totals(pool, source, &unfiltered_period, Some(now)).await?,
        before: query::totals(pool, source, &unfiltered_period, Some(before)).await?,
        movers: movers
            .into_iter()
            .map(|(track_id, title, now, before)| Mover {
                track_id,
                title,
                now: now.to_string(),
                before: before.to_string(),
            })
            .collect(),
    })
}

fn period_label((from, to): (Month, Month)) -> String {
    if from == to { from.to_string() } else { format!("{from} – {to}") }
}

/// The charts of a slice: money by month stacked by platform and streams by month
/// (the last 24 months), and money by platform.
fn draw(cells: &[query::Cell], money: &str, currency: &str) -> Charts {
    let mut months: Vec<String> = cells.iter().map(|c| c.month.clone()).collect();
    months.dedup();
    let shown = months.split_off(months.len().saturating_sub(24));
    let mut platforms: Vec<(String, Decimal)> = Vec::new();
    for cell in cells {
        match platforms.iter_mut().find(|(p, _)| *p == cell.platform) {
            Some((_, sum)) => *sum += cell.amount,
            None => platforms.push((cell.platform.clone(), cell.amount)),
        }
    }
    platforms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let float = |d: Decimal| d.to_f64().unwrap_or(0.0);
    let series: Vec<(String, Vec<f64>)> = platforms
        .iter()
        .map(|(platform, _)| {
            let values = shown
                .iter()
                .map(|m| {
                    cells
                        .iter()
                        .find(|c| c.month == *m && c.platform == *platform)
                        .map_or(0.0, |c| float(c.amount))
                })
                .collect();
            (Platform::name_of(platform).to_string(), values)
        })
        .collect();
    let streams: Vec<(String, f64)> = shown
        .iter()
        .map(|m| {
            let units: i64 = cells.iter().filter(|c| c.month == *m).map(|c| c.units).sum();
            (m.clone(), units as f64)
        })
        .collect();
    let unit = format!("{money} ({currency})");
    let bars: Vec<(String, f64)> = platforms
        .iter()
        .map(|(p, amount)| (Platform::name_of(p).to_string(), float(*amount)))
        .collect();
    Charts {
        months: charts::stacked_months(
            &format!("{money} by month and platform"),
            &unit,
            &shown,
            &series,
        ),
        streams: charts::monthly_line("Streams by month", "Streams", "Streams", &streams),
        platforms: charts::bars(&format!("{money} by platform"), &unit, &bars),
    }
}

struct Charts {
    months: String,
    streams: String,
    platforms: String,
}

/// An artist's earnings in `currency` from months after their labels' last approved
/// runs: what the next statement would add, before advances are recouped.
async fn next_statement_estimate(
    pool: &PgPool,
    artist: i64,
    currency: &str,
) -> Result<String, AppError> {
    // From the earnings the page has read (a second read of the artist's payees'
    // shares was a quarter of an artist overview's Postgres time).
    let earnings = super::earnings::of(pool, artist, currency).await?;
    let ends = sqlx::query!(
        r#"
        SELECT label_id, max(period_end) AS "end!: NaiveDate"
        FROM payout_runs
        WHERE label_id = ANY ($1) AND status IN ('approved', 'paid')
        GROUP BY label_id
        "#,
        &earnings.labels()
    )
    .fetch_all(pool)
    .await?;
    let ends = ends.into_iter().map(|r| (r.label_id, r.end)).collect();
    Ok(earnings.next_statement(&ends).to_string())
}

pub async fn table_page(
    pool: &PgPool,
    source: &Source,
    filters: &Filters,
    state: TableState,
) -> Result<TablePage, AppError> {
    let (rows, total_rows) = query::table(pool, source, filters, state, Some(state.page)).await?;
    Ok(TablePage {
        state,
        rows,
        total_rows,
        per_page: query::per_page(state.by),
        currency: source.currency().to_string(),
        money: source.money().to_string(),
    })
}

/// Staff's watch list: each ingestion job's freshness against its target, open
/// conflicts and what they hold, and the latest report files.
pub async fn staff(pool: &PgPool) -> Result<StaffDashboard, AppError> {
    let jobs = crate::ingestion::ssr::overview(pool).await?.jobs;
    let sources = jobs
        .into_iter()
        .filter_map(|job| {
            job.platform.map(|platform| SourceFreshness {
                job: job.name,
                platform,
                freshness: job.freshness,
            })
        })
        .collect();
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
    Ok(StaffDashboard {
        currency: reporting_currency(pool).await?,
        sources,
        open_conflicts: conflicts.open,
        at_stake: conflicts.at_stake,
        held: conflicts.held,
        recent_files: files
            .into_iter()
            .map(|f| RecentFile {
                id: f.id,
                name: f.file_name,
                platform: f.platform.as_deref().map(|p| Platform::name_of(p).to_string()),
                month: f.month.map(|m| m.format("%Y-%m").to_string()),
                status: f.status,
            })
            .collect(),
    })
}
