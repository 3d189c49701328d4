//! A label's tables by track, release and artist over every month, summed here from its
//! tracks' totals (`track_totals`), read once per request.
//!
//! A label overview shows three such tables. As a statement each, they read the label's
//! 10,000 `track_totals` rows three times and grouped them in Postgres (8 to 15 ms each
//! on the profile database: a third of the page's Postgres time). Read once, beside the
//! label's releases (which the filter menus list anyway), each table is a pass over the
//! rows in memory, and only the tracks on its page are looked up by title.
//!
//! Tables over a period, a platform or a territory need months or facts and stay in SQL
//! (`query`), as do tables of every row (CSV exports) and tracks sorted by title, which
//! would need every track's title.

use super::Row;
use super::earnings::{Sum, by_column, page_of};
use super::filters::{Dimension, Filters, SortKey, TableState};
use super::query::per_page;
use crate::error::AppError;
use sqlx::PgPool;
use std::cmp::Ordering;
use std::collections::HashMap;
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
pub async fn releases(pool: &PgPool, label: i64) -> Result<Arc<HashMap<i64, Release>>, AppError> {
    let read = || async { Ok(Arc::new(read_releases(pool, Some(label), &[]).await?)) };
    crate::db::request_once("label releases", label, read).await
}

/// The releases of `label` and those of `ids`, by id.
async fn read_releases(
    pool: &PgPool,
    label: Option<i64>,
    ids: &[i64],
) -> Result<HashMap<i64, Release>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT r.id, r.title, r.artist_id, a.name AS artist_name
        FROM releases r JOIN artists a ON a.id = r.artist_id
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

/// One track's sums over every month.
struct Total {
    track: i64,
    release: Option<i64>,
    sum: Sum,
}

/// A label's tracks' totals, and the releases they are on.
pub struct LabelTotals {
    totals: Vec<Total>,
    releases: Arc<HashMap<i64, Release>>,
    /// Releases of other labels that tracks' totals still name (a release moved since
    /// its tracks were allocated): named as SQL's join would name them.
    others: HashMap<i64, Release>,
}

/// The label's totals, read once per request.
pub async fn of(pool: &PgPool, label: i64) -> Result<Arc<LabelTotals>, AppError> {
    let read = || async { Ok(Arc::new(LabelTotals::read(pool, label).await?)) };
    crate::db::request_once("label totals", label, read).await
}

impl LabelTotals {
    async fn read(pool: &PgPool, label: i64) -> Result<LabelTotals, AppError> {
        let rows = sqlx::query!(
            r#"
            SELECT track_id AS "track!", release_id, units, gross, gross_units, gross_awaiting
            FROM track_totals
            WHERE label_id = $1 AND track_id IS NOT NULL
            "#,
            label
        )
        .fetch_all(pool)
        .await?;
        let totals: Vec<Total> = rows
            .into_iter()
            .map(|r| Total {
                track: r.track,
                release: r.release_id,
                sum: Sum {
                    units: r.units,
                    amount: r.gross,
                    priced: r.gross_units,
                    awaiting: r.gross_awaiting,
                    known: true,
                },
            })
            .collect();
        let releases = releases(pool, label).await?;
        let mut missing: Vec<i64> =
            totals.iter().filter_map(|t| t.release).filter(|r| !releases.contains_key(r)).collect();
        missing.sort_unstable();
        missing.dedup();
        let others = match missing.is_empty() {
            true => HashMap::new(),
            false => read_releases(pool, None, &missing).await?,
        };
        Ok(LabelTotals { totals, releases, others })
    }

    fn release(&self, id: Option<i64>) -> Option<&Release> {
        id.and_then(|id| self.releases.get(&id).or_else(|| self.others.get(&id)))
    }

    /// Page `page` of the table `state` asks for, and its number of rows; sorted as
    /// `query::table` sorts.
    pub async fn table(
        &self,
        pool: &PgPool,
        filters: &Filters,
        state: TableState,
        page: u32,
    ) -> Result<(Vec<Row>, i64), AppError> {
        let by = state.by;
        // Each group's id, and its name but for tracks (named once on the page).
        let mut groups: HashMap<Option<i64>, (Option<&str>, Sum)> = HashMap::new();
        for total in self.within(filters) {
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

    /// The totals within the filters a table over every month can have (a track, a
    /// release, an artist).
    fn within<'a>(&'a self, filters: &'a Filters) -> impl Iterator<Item = &'a Total> + 'a {
        self.totals.iter().filter(move |t| {
            filters.track.is_none_or(|track| t.track == track)
                && filters.release.is_none_or(|release| t.release == Some(release))
                && filters.artist.is_none_or(|artist| {
                    self.release(t.release).is_some_and(|r| r.artist == artist)
                })
        })
    }
}

/// The groups up to the end of page `page` by the sort column alone, and any tied with
/// the last of them: the only ones whose titles can decide the page's order (titles
/// break ties).
fn top(
    state: TableState,
    page: u32,
    mut groups: Vec<((String, String), Sum)>,
) -> Vec<((String, String), Sum)> {
    let by = state.by;
    groups.sort_by(|a, b| by_column(by, state, a, b));
    let end = (page.max(1) as usize * per_page(by) as usize).min(groups.len());
    let Some(last) = end.checked_sub(1).map(|i| groups[i].clone()) else {
        return Vec::new();
    };
    let tied = groups[end..]
        .iter()
        .take_while(|g| by_column(by, state, g, &last) == Ordering::Equal)
        .count();
    groups.truncate(end + tied);
    groups
}

/// Each group's name: its track's title.
async fn name_tracks(
    pool: &PgPool,
    groups: &mut [((String, String), Sum)],
) -> Result<(), AppError> {
    let ids: Vec<i64> = groups.iter().filter_map(|((key, _), _)| key.parse().ok()).collect();
    let titles: HashMap<i64, String> =
        sqlx::query!("SELECT id, title FROM tracks WHERE id = ANY ($1)", &ids)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| (r.id, r.title))
            .collect();
    for ((key, name), _) in groups.iter_mut() {
        if let Some(title) = key.parse().ok().and_then(|id: i64| titles.get(&id)) {
            name.clone_from(title);
        }
    }
    Ok(())
}
