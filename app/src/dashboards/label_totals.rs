//! A label's tables by track, release and artist, grouped and sorted in the server from
//! its tracks' sums read once per request.
//!
//! A label overview shows three such tables over the same tracks, and as a statement
//! each they read and grouped the label's tracks three times: over every month its
//! 10,000 `track_totals` rows (8 to 15 ms each on the profile database, a third of the
//! page's Postgres time), within a territory its facts joined to their terms (about 40
//! ms each). Read once per request and filters (`query::label_tracks`, from the source
//! `query::table` would read), beside the label's releases (which the filter menus list
//! anyway), each table is a pass over the tracks in memory, and only the tracks on its
//! page are looked up by title.
//!
//! A page's movers compare its period with the one before it: the tracks are read once
//! for both and for the tables, per month (`page_read`), rather than once for the
//! tables and once for each of the movers' periods. Within a territory, where each
//! read is the label's facts there, that was three reads of 10,000 to 15,000 facts
//! for a label's overview over every month (193 ms of Postgres time at 11M facts).
//!
//! Tables of every row (CSV exports) and tracks sorted by title, which would need every
//! track's title, stay in SQL (`query::table`); a test checks that each page is the
//! same slice of SQL's order.

use super::Row;
use super::earnings::{Sum, by_change, by_column, page_of};
use super::filters::{Dimension, Filters, SortKey, TableState, period_before};
use super::query::{self, per_page};
use crate::domain::Month;
use crate::error::AppError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use sqlx::PgPool;
use std::cmp::Ordering;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// Whether [`LabelTotals::table`] draws this page (`None`: every row).
pub fn serves(state: TableState, page: Option<u32>) -> bool {
    page.is_some()
        && match state.by {
            Dimension::Release | Dimension::Artist => true,
            Dimension::Track => state.sort.key != SortKey::Name,
            _ => false,
        }
}

/// A release: its title and main artist.
#[derive(Debug, Clone)]
pub struct Release {
    pub title: String,
    pub artist: i64,
    pub artist_name: String,
}

/// The label's releases by id, read once per request.
pub async fn releases(pool: &PgPool, label: i64) -> Result<Arc<FxHashMap<i64, Release>>, AppError> {
    let read = || {
        crate::db::catalog_cached(pool, "label releases", label, || {
            read_releases(pool, Some(label), &[])
        })
    };
    crate::db::request_once("label releases", label, read).await
}

/// The releases of `label` and those of `ids`, by id.
async fn read_releases(
    pool: &PgPool,
    label: Option<i64>,
    ids: &[i64],
) -> Result<FxHashMap<i64, Release>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT r.id, r.title, r.artist_id,
               -- Each release's artist by id: joined, Postgres hashed every artist of
               -- the catalog (50,000 at a million tracks) for a label's 1,250 releases,
               -- 9.5 ms against 3 ms so.
               (SELECT a.name FROM artists a WHERE a.id = r.artist_id) AS "artist_name!"
        FROM releases r
        WHERE r.label_id = $1 OR r.id = ANY ($2)
        "#,
        label,
        ids
    )
    .fetch_all(pool)
    .await?;
    let releases = rows.into_iter().map(|r| {
        (r.id, Release { title: r.title, artist: r.artist_id, artist_name: r.artist_name })
    });
    Ok(releases.collect())
}

/// One track's sums on one release in one month (`None`: every month).
struct Total {
    track: i64,
    release: Option<i64>,
    month: Option<NaiveDate>,
    sum: Sum,
}

impl Total {
    /// Whether its month is within `from` and `to` (first days; `None`: unbounded).
    fn within(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
        self.month.is_none_or(|m| from.is_none_or(|f| m >= f) && to.is_none_or(|t| m <= t))
    }
}

/// What a label's page with `filters` reads of its tracks: their period, and on an
/// overview (no one track) the period before it too, which its movers compare it with
/// (`ssr::compare`), so that one read serves the tables and the movers.
fn page_read(filters: &Filters) -> Filters {
    match (filters.from, filters.to, filters.track) {
        (Some(from), Some(to), None) => {
            Filters { from: Some(period_before((from, to)).0), ..filters.clone() }
        }
        _ => filters.clone(),
    }
}

/// Page `page` of the label's table `state` asks for within `filters`, and its number
/// of rows; sorted as `query::table` sorts.
pub async fn table(
    pool: &PgPool,
    label: i64,
    filters: &Filters,
    state: TableState,
    page: u32,
) -> Result<(Vec<Row>, i64), AppError> {
    let totals = of(pool, label, &page_read(filters)).await?;
    totals.table(pool, state, page, (filters.from, filters.to)).await
}

/// A label's tracks' sums within some filters, and the releases they are on.
pub struct LabelTotals {
    filters: Filters,
    totals: Vec<Total>,
    releases: Arc<FxHashMap<i64, Release>>,
    /// Releases of other labels that tracks' rows still name (a release moved since
    /// its tracks were allocated): named as SQL's join would name them.
    others: FxHashMap<i64, Release>,
}

/// The label's tracks within `filters`, read once per request and filters (a page's
/// tables and its movers share them: `page_read`).
async fn of(pool: &PgPool, label: i64, filters: &Filters) -> Result<Arc<LabelTotals>, AppError> {
    let read = || async { Ok(Arc::new(LabelTotals::read(pool, label, filters).await?)) };
    let mut key = DefaultHasher::new();
    (label, super::filters::encode(&filters.pairs())).hash(&mut key);
    let key = key.finish() as i64;
    let totals: Arc<LabelTotals> = crate::db::request_once("label totals", key, read).await?;
    // Two filters of one hash: vanishingly rare, and read afresh.
    if totals.filters == *filters {
        Ok(totals)
    } else {
        Ok(Arc::new(LabelTotals::read(pool, label, filters).await?))
    }
}

impl LabelTotals {
    async fn read(pool: &PgPool, label: i64, filters: &Filters) -> Result<LabelTotals, AppError> {
        let totals: Vec<Total> = query::label_tracks(pool, label, filters)
            .await?
            .into_iter()
            .map(|(track, release, month, sum)| Total { track, release, month, sum })
            .collect();
        let releases = releases(pool, label).await?;
        let mut missing: Vec<i64> =
            totals.iter().filter_map(|t| t.release).filter(|r| !releases.contains_key(r)).collect();
        missing.sort_unstable();
        missing.dedup();
        let others = match missing.is_empty() {
            true => FxHashMap::default(),
            false => read_releases(pool, None, &missing).await?,
        };
        Ok(LabelTotals { filters: filters.clone(), totals, releases, others })
    }

    fn release(&self, id: Option<i64>) -> Option<&Release> {
        id.and_then(|id| self.releases.get(&id).or_else(|| self.others.get(&id)))
    }

    /// Page `page` of the table `state` asks for within the months `from` to `to`, and
    /// its number of rows.
    async fn table(
        &self,
        pool: &PgPool,
        state: TableState,
        page: u32,
        (from, to): (Option<Month>, Option<Month>),
    ) -> Result<(Vec<Row>, i64), AppError> {
        let by = state.by;
        let (from, to) = (from.map(Month::first_day), to.map(Month::first_day));
        // Each group's id, and its name but for tracks (named once on the page).
        let mut groups: FxHashMap<Option<i64>, (Option<&str>, Sum)> = FxHashMap::default();
        for total in self.totals.iter().filter(|t| t.within(from, to)) {
            let release = self.release(total.release);
            let (id, name) = match by {
                Dimension::Track => (Some(total.track), None),
                Dimension::Release => (total.release, release.map(|r| r.title.as_str())),
                _ => (release.map(|r| r.artist), release.map(|r| r.artist_name.as_str())),
            };
            groups.entry(id).or_insert((name, Sum::default())).1.merge(&total.sum);
        }
        let mut groups: Vec<((String, String), Sum)> = groups
            .into_iter()
            .map(|(id, (name, sum))| {
                let key = id.map(|id| id.to_string()).unwrap_or_default();
                ((key, name.unwrap_or_default().to_string()), sum)
            })
            .collect();
        let total = groups.len() as i64;
        if by == Dimension::Track {
            groups = top(state, page, groups);
            name_tracks(pool, &mut groups).await?;
        }
        Ok((page_of(by, state, Some(page), groups).0, total))
    }
}

/// The ten tracks whose money changed most between `before` and `now` (two month
/// ranges, the first wholly earlier) within `filters` but their period: (track id,
/// title, money now, money before), the biggest change first, titles breaking ties.
///
/// Each period's sums are the label's tracks' within it, as its tables read them: from
/// the page's own read when it holds both periods by month (`page_read`), else from one
/// read of the two. As one statement summing both periods per track with a `FILTER`
/// each and sorting every track by its change, the movers were half of a label
/// overview's Postgres time (9 of 20 ms idle, a label of 10,000 tracks with a
/// million-track catalog).
pub async fn movers(
    pool: &PgPool,
    label: i64,
    filters: &Filters,
    before: (Month, Month),
    now: (Month, Month),
) -> Result<Vec<(i64, String, Decimal, Decimal)>, AppError> {
    let page = page_read(filters);
    let holds = query::label_tracks_by_month(&page)
        && page.from.is_none_or(|from| from <= before.0)
        && page.to.is_none_or(|to| to >= now.1);
    let read = match holds {
        true => page,
        false => Filters { from: Some(before.0), to: Some(now.1), ..filters.clone() },
    };
    let first = |(from, to): (Month, Month)| (Some(from.first_day()), Some(to.first_day()));
    let (now_months, before_months) = (first(now), first(before));
    let mut moved: FxHashMap<i64, (Decimal, Decimal)> = FxHashMap::default();
    // Every row of a read with a period has its month.
    for total in of(pool, label, &read).await?.totals.iter().filter(|t| t.month.is_some()) {
        if total.within(now_months.0, now_months.1) {
            moved.entry(total.track).or_default().0 += total.sum.amount;
        } else if total.within(before_months.0, before_months.1) {
            moved.entry(total.track).or_default().1 += total.sum.amount;
        }
    }
    // Each change worked out once (sorting by a key worked out per comparison was a
    // tenth of the server's time for a label overview).
    let moved: Vec<(Decimal, i64, (Decimal, Decimal))> = moved
        .into_iter()
        .filter(|(_, (now, before))| now != before)
        .map(|(id, (now, before))| ((now - before).abs(), id, (now, before)))
        .collect();
    // The ten by change alone, and any tied with the tenth: only their titles can
    // decide which ten are shown.
    let moved = first_with_ties(moved, 10, |a, b| b.0.cmp(&a.0));
    let ids: Vec<i64> = moved.iter().map(|(_, id, _)| *id).collect();
    let mut titles = track_titles(pool, &ids).await?;
    let mut named: Vec<(i64, String, Decimal, Decimal)> = moved
        .into_iter()
        .map(|(_, id, (now, before))| (id, titles.remove(&id).unwrap_or_default(), now, before))
        .collect();
    named.sort_by(by_change);
    named.truncate(10);
    Ok(named)
}

/// The groups up to the end of page `page` by the sort column alone, and any tied with
/// the last of them: the only ones whose titles can decide the page's order (titles
/// break ties).
fn top(
    state: TableState,
    page: u32,
    groups: Vec<((String, String), Sum)>,
) -> Vec<((String, String), Sum)> {
    let by = state.by;
    let end = page.max(1) as usize * per_page(by) as usize;
    // The page's order is `page_of`'s, of these few.
    first_with_ties(groups, end, |a, b| by_column(by, state, a, b))
}

/// The first `n` of `items` by `order`, and any tied with the last of them, in no
/// particular order. Selected, not sorted: a label has 10,000 tracks.
fn first_with_ties<T>(mut items: Vec<T>, n: usize, order: impl Fn(&T, &T) -> Ordering) -> Vec<T> {
    let n = n.min(items.len());
    let Some(last) = n.checked_sub(1) else {
        return Vec::new();
    };
    items.select_nth_unstable_by(last, &order);
    let rest = items.split_off(n);
    let tied: Vec<T> =
        rest.into_iter().filter(|item| order(item, &items[last]) == Ordering::Equal).collect();
    items.extend(tied);
    items
}

/// The titles of the tracks `ids`.
async fn track_titles(pool: &PgPool, ids: &[i64]) -> Result<FxHashMap<i64, String>, AppError> {
    Ok(sqlx::query!("SELECT id, title FROM tracks WHERE id = ANY ($1)", ids)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.id, r.title))
        .collect())
}

/// Each group's name: its track's title.
async fn name_tracks(
    pool: &PgPool,
    groups: &mut [((String, String), Sum)],
) -> Result<(), AppError> {
    let ids: Vec<i64> = groups.iter().filter_map(|((key, _), _)| key.parse().ok()).collect();
    let titles = track_titles(pool, &ids).await?;
    for ((key, name), _) in groups.iter_mut() {
        if let Some(title) = key.parse().ok().and_then(|id: i64| titles.get(&id)) {
            name.clone_from(title);
        }
    }
    Ok(())
}
