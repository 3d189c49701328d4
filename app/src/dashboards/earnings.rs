//! An artist's dashboards, summed here from their summary rows, read once per request.
//!
//! An artist's numbers are their payees' shares of a few tracks (`payee_summary`): a
//! few hundred rows a month, where one page asks for a dozen sums of them (totals,
//! charts, the comparison, menus and six tables). Each of those as its own statement
//! read the payees' shares through the view and grouped them again: 13 statements and
//! some 50 ms of Postgres for one page (three months, 100,000 tracks; make bench).
//! Read once, every sum is a pass over the rows in memory; every currency's at once, so
//! that the currency menu and the page's default currency come from the same rows (a
//! second read of the payees' shares for them was 0.5-0.7 ms of a page's 2-3 ms of
//! Postgres). Labels and everything at once stay in SQL (`query`): their rows are far
//! too many to fetch.

use super::filters::{Dimension, Filters, SortKey, TableState};
use super::query::{Cell, per_page, per_stream, row};
use super::{Options, Row, Totals};
use crate::domain::{Month, Platform, UsageType};
use crate::error::AppError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// One grain of an artist's earnings: whichever of their payees it pays, its streams
/// count once.
struct Grain {
    month: NaiveDate,
    track: i64,
    platform: String,
    territory: String,
    usage: String,
    units: i64,
    /// `None` while an exchange rate is missing.
    earnings: Option<Decimal>,
    held: Option<Decimal>,
}

/// What a track is called, and whose release it is on.
struct Track {
    title: String,
    release: i64,
    release_title: String,
    artist: i64,
    artist_name: String,
    label: i64,
}

/// An artist's earnings in one currency.
pub struct Earnings {
    currency: String,
    grains: Vec<Grain>,
    /// Every currency's tracks: the earnings of one request share them.
    tracks: Arc<HashMap<i64, Track>>,
}

/// An artist's earnings in every currency they earn in, most earned first (what awaits
/// a rate counts for nothing there: a few lines waiting in another currency do not make
/// it the page an artist opens on): read once per request, for the currency menu, the
/// currency a page shows by default and the page's every sum.
struct Everything {
    currencies: Vec<Arc<Earnings>>,
    tracks: Arc<HashMap<i64, Track>>,
}

/// The currencies an artist earns in, most earned first.
pub async fn currencies(pool: &PgPool, artist: i64) -> Result<Vec<String>, AppError> {
    let all = everything(pool, artist).await?;
    Ok(all.currencies.iter().map(|e| e.currency.clone()).collect())
}

/// The artist's earnings in `currency` (none there: no grains).
pub async fn of(pool: &PgPool, artist: i64, currency: &str) -> Result<Arc<Earnings>, AppError> {
    let all = everything(pool, artist).await?;
    let found = all.currencies.iter().find(|e| e.currency == currency);
    Ok(found.cloned().unwrap_or_else(|| {
        let tracks = all.tracks.clone();
        Arc::new(Earnings { currency: currency.to_string(), grains: Vec::new(), tracks })
    }))
}

async fn everything(pool: &PgPool, artist: i64) -> Result<Arc<Everything>, AppError> {
    let read = || async { Ok(Arc::new(Everything::read(pool, artist).await?)) };
    crate::db::request_once("artist earnings", artist, read).await
}

impl Everything {
    async fn read(pool: &PgPool, artist: i64) -> Result<Everything, AppError> {
        // Each payee's rows of a grain carry the grain's whole units: summed per payee,
        // then counted once across payees (two of the artist's payees split a track).
        let rows = sqlx::query!(
            r#"
            SELECT currency AS "currency!", accounting_month AS "month!: NaiveDate",
                   track_id AS "track!", platform AS "platform!", territory AS "territory!",
                   usage_type AS "usage!", max(units)::bigint AS "units!",
                   trim_scale(sum(earnings)) AS earnings, trim_scale(sum(held)) AS held
            FROM (
                SELECT currency::text, accounting_month, track_id, platform, territory::text,
                       usage_type, payee_id, sum(units) AS units, sum(earnings) AS earnings,
                       sum(held) AS held
                FROM payee_summary
                WHERE payee_id IN (SELECT id FROM payees WHERE artist_id = $1)
                GROUP BY 1, 2, 3, 4, 5, 6, 7
            ) per_payee
            GROUP BY 1, 2, 3, 4, 5, 6
            "#,
            artist
        )
        .fetch_all(pool)
        .await?;
        let ids: BTreeSet<i64> = rows.iter().map(|g| g.track).collect();
        let tracks = Arc::new(read_tracks(pool, &ids.into_iter().collect::<Vec<_>>()).await?);
        let mut by_currency: BTreeMap<String, Vec<Grain>> = BTreeMap::new();
        for g in rows {
            by_currency.entry(g.currency).or_default().push(Grain {
                month: g.month,
                track: g.track,
                platform: g.platform,
                territory: g.territory,
                usage: g.usage,
                units: g.units,
                earnings: g.earnings,
                held: g.held,
            });
        }
        let mut currencies: Vec<(Decimal, Arc<Earnings>)> = by_currency
            .into_iter()
            .map(|(currency, grains)| {
                let earned: Decimal = grains.iter().filter_map(|g| g.earnings).sum();
                let tracks = tracks.clone();
                (earned, Arc::new(Earnings { currency, grains, tracks }))
            })
            .collect();
        // Most earned first, then by code: the map gave them in code order and the
        // sort is stable.
        currencies.sort_by_key(|(earned, _)| std::cmp::Reverse(*earned));
        Ok(Everything { currencies: currencies.into_iter().map(|(_, e)| e).collect(), tracks })
    }
}

async fn read_tracks(pool: &PgPool, ids: &[i64]) -> Result<HashMap<i64, Track>, AppError> {
    let tracks = sqlx::query!(
        r#"
        SELECT t.id, t.title, t.release_id, r.title AS release_title, r.artist_id,
               a.name AS artist_name, r.label_id
        FROM tracks t
        JOIN releases r ON r.id = t.release_id
        JOIN artists a ON a.id = r.artist_id
        WHERE t.id = ANY ($1)
        "#,
        ids
    )
    .fetch_all(pool)
    .await?;
    Ok(tracks
        .into_iter()
        .map(|t| {
            let track = Track {
                title: t.title,
                release: t.release_id,
                release_title: t.release_title,
                artist: t.artist_id,
                artist_name: t.artist_name,
                label: t.label_id,
            };
            (t.id, track)
        })
        .collect())
}

impl Earnings {
    /// The grains within `filters` (`months` overriding their period).
    fn within<'a>(
        &'a self,
        filters: &'a Filters,
        months: Option<(Month, Month)>,
    ) -> impl Iterator<Item = &'a Grain> + 'a {
        let (from, to) = months.map_or((filters.from, filters.to), |(f, t)| (Some(f), Some(t)));
        let (from, to) = (from.map(Month::first_day), to.map(Month::first_day));
        let territory = filters.territory.map(|t| t.to_string());
        self.grains.iter().filter(move |g| {
            let track = self.tracks.get(&g.track);
            from.is_none_or(|from| g.month >= from)
                && to.is_none_or(|to| g.month <= to)
                && filters.platform.is_none_or(|p| g.platform == p.code())
                && territory.as_ref().is_none_or(|t| g.territory == *t)
                && filters.usage.is_none_or(|u| g.usage == u.code())
                && filters.track.is_none_or(|t| g.track == t)
                && filters.release.is_none_or(|r| track.is_some_and(|t| t.release == r))
                && filters.artist.is_none_or(|a| track.is_some_and(|t| t.artist == a))
        })
    }

    /// The labels whose releases the earnings are from.
    pub fn labels(&self) -> Vec<i64> {
        let tracks = self.grains.iter().filter_map(|g| self.tracks.get(&g.track));
        let labels: BTreeSet<i64> = tracks.map(|t| t.label).collect();
        labels.into_iter().collect()
    }

    /// What the next statement would hold: the earnings of the months after each
    /// label's last approved or paid payout run (`ends`, by label; none: every month).
    pub fn next_statement(&self, ends: &HashMap<i64, NaiveDate>) -> Decimal {
        let unpaid = |g: &&Grain| {
            let label = self.tracks.get(&g.track).map(|t| t.label);
            label.is_some_and(|label| ends.get(&label).is_none_or(|end| g.month > *end))
        };
        self.grains.iter().filter(unpaid).filter_map(|g| g.earnings).sum()
    }

    /// Streams, earnings, held and grains awaiting a rate within `months` (or the
    /// filters' period).
    pub fn totals(&self, filters: &Filters, months: Option<(Month, Month)>) -> Totals {
        let mut sum = Sum::default();
        let mut held: Option<Decimal> = None;
        for g in self.within(filters, months) {
            sum.add(g);
            if let Some(h) = g.held {
                held = Some(held.unwrap_or_default() + h);
            }
        }
        Totals {
            units: sum.units,
            amount: sum.amount.to_string(),
            per_stream: per_stream(sum.amount, sum.priced),
            // The artist's net is their earnings: NULL in SQL's sum when none is known.
            net: sum.known.then(|| sum.amount.to_string()),
            held: held.map(|h| h.to_string()),
            awaiting: sum.awaiting,
        }
    }

    /// Streams and earnings per month and platform, in month and platform order.
    pub fn month_platform(&self, filters: &Filters) -> Vec<Cell> {
        let mut cells: BTreeMap<(String, &str), Sum> = BTreeMap::new();
        for g in self.within(filters, None) {
            let month = g.month.format("%Y-%m").to_string();
            cells.entry((month, g.platform.as_str())).or_default().add(g);
        }
        cells
            .into_iter()
            .map(|((month, platform), sum)| Cell {
                month,
                platform: platform.to_string(),
                units: sum.units,
                amount: sum.amount,
            })
            .collect()
    }

    /// The ten tracks whose earnings changed most between `before` and `now`: (track id,
    /// title, now, before).
    pub fn movers(
        &self,
        filters: &Filters,
        before: (Month, Month),
        now: (Month, Month),
    ) -> Vec<(i64, String, Decimal, Decimal)> {
        let (now_from, before_to) = (now.0.first_day(), before.1.first_day());
        let mut moved: HashMap<i64, (Decimal, Decimal)> = HashMap::new();
        for g in self.within(filters, Some((before.0, now.1))) {
            let earned = g.earnings.unwrap_or_default();
            let (now, before) = moved.entry(g.track).or_default();
            if g.month >= now_from {
                *now += earned;
            }
            if g.month <= before_to {
                *before += earned;
            }
        }
        let mut moved: Vec<_> = moved
            .into_iter()
            .filter(|(_, (now, before))| now != before)
            .filter_map(|(id, (now, before))| {
                self.tracks.get(&id).map(|t| (id, t.title.clone(), now, before))
            })
            .collect();
        moved.sort_by(by_change);
        moved.truncate(10);
        moved
    }

    /// One page of a breakdown, or every row (`page: None`, for CSV), with the number
    /// of rows in all; sorted as `query::table` sorts a label's.
    pub fn table(
        &self,
        filters: &Filters,
        state: TableState,
        page: Option<u32>,
    ) -> (Vec<Row>, i64) {
        let by = state.by;
        let mut groups: HashMap<(String, String), Sum> = HashMap::new();
        for g in self.within(filters, None) {
            groups.entry(self.key(by, g)).or_default().add(g);
        }
        page_of(by, state, page, groups.into_iter().collect())
    }

    /// A grain's (key, name) in a table by `by`: the key as the row's filter takes it.
    fn key(&self, by: Dimension, g: &Grain) -> (String, String) {
        let track = self.tracks.get(&g.track);
        let named = |id: Option<i64>, name: Option<&String>| {
            (id.map(|id| id.to_string()).unwrap_or_default(), name.cloned().unwrap_or_default())
        };
        match by {
            Dimension::Month => {
                let month = g.month.format("%Y-%m").to_string();
                (month.clone(), month)
            }
            Dimension::Platform => (g.platform.clone(), g.platform.clone()),
            Dimension::Territory => (g.territory.clone(), g.territory.clone()),
            Dimension::Usage => (g.usage.clone(), g.usage.clone()),
            // An artist's rows carry no label: one row, as in SQL.
            Dimension::Label => (String::new(), String::new()),
            Dimension::Track => named(Some(g.track), track.map(|t| &t.title)),
            Dimension::Release => named(track.map(|t| t.release), track.map(|t| &t.release_title)),
            Dimension::Artist => named(track.map(|t| t.artist), track.map(|t| &t.artist_name)),
        }
    }

    /// The filter menus: the months, platforms, territories, usage types, releases and
    /// release artists the artist has earnings in.
    pub fn options(&self) -> Options {
        let mut o = Options::default();
        let months: BTreeSet<String> =
            self.grains.iter().map(|g| g.month.format("%Y-%m").to_string()).collect();
        o.months = months.into_iter().collect();
        let codes = |of: fn(&Grain) -> &str| -> BTreeSet<String> {
            self.grains.iter().map(|g| of(g).to_string()).collect()
        };
        o.platforms = codes(|g| &g.platform)
            .into_iter()
            .map(|code| (Platform::name_of(&code).to_string(), code))
            .collect();
        o.territories = codes(|g| &g.territory).into_iter().collect();
        o.usages = codes(|g| &g.usage)
            .into_iter()
            .map(|code| {
                let label = code.parse::<UsageType>().map(|u| u.label().to_string());
                (label.unwrap_or_else(|_| code.clone()), code)
            })
            .collect();
        let tracks = self.grains.iter().filter_map(|g| self.tracks.get(&g.track));
        let mut releases = BTreeSet::new();
        let mut artists = BTreeSet::new();
        for t in tracks {
            releases.insert((t.release_title.clone(), t.release.to_string()));
            artists.insert((t.artist_name.clone(), t.artist.to_string()));
        }
        o.platforms.sort();
        o.usages.sort();
        o.releases = releases.into_iter().collect();
        o.artists = artists.into_iter().collect();
        o
    }
}

/// A group's sums, as `query` keeps them: streams, money known so far (0 while a rate
/// is missing), the streams whose money is known, and rows awaiting a rate.
#[derive(Debug, Default, Clone)]
pub(super) struct Sum {
    pub units: i64,
    pub amount: Decimal,
    pub priced: i64,
    pub awaiting: i64,
    /// Whether any earnings are known (SQL's sum is NULL otherwise).
    pub known: bool,
}

impl Sum {
    fn add(&mut self, g: &Grain) {
        self.units += g.units;
        match g.earnings {
            Some(earned) => {
                self.amount += earned;
                self.priced += g.units;
                self.known = true;
            }
            None => self.awaiting += 1,
        }
    }

    /// Another group's sums added to these.
    pub fn merge(&mut self, other: &Sum) {
        self.units += other.units;
        self.amount += other.amount;
        self.priced += other.priced;
        self.awaiting += other.awaiting;
        self.known |= other.known;
    }

    fn per_stream(&self) -> Option<Decimal> {
        (self.priced != 0).then(|| self.amount / Decimal::from(self.priced))
    }
}

/// A table's order: its sort column (missing per-stream values last either way), then
/// the name, then the key.
pub(super) fn order(
    by: Dimension,
    state: TableState,
    a @ ((a_key, a_name), _): &((String, String), Sum),
    b @ ((b_key, b_name), _): &((String, String), Sum),
) -> Ordering {
    by_column(by, state, a, b).then_with(|| a_name.cmp(b_name)).then_with(|| a_key.cmp(b_key))
}

/// Movers' order, every scope's: the biggest change first, then by title, then by id.
pub(super) fn by_change(
    a: &(i64, String, Decimal, Decimal),
    b: &(i64, String, Decimal, Decimal),
) -> Ordering {
    let change = |m: &(i64, String, Decimal, Decimal)| (m.2 - m.3).abs();
    change(b).cmp(&change(a)).then_with(|| a.1.cmp(&b.1)).then(a.0.cmp(&b.0))
}

/// The sort column's order alone: equal groups tie.
pub(super) fn by_column(
    by: Dimension,
    state: TableState,
    ((a_key, a_name), a): &((String, String), Sum),
    ((b_key, b_name), b): &((String, String), Sum),
) -> Ordering {
    let directed = |o: Ordering| if state.sort.descending { o.reverse() } else { o };
    match state.sort.key {
        // Months sort by their key (a date in SQL, the same order as YYYY-MM).
        SortKey::Name if by == Dimension::Month => directed(a_key.cmp(b_key)),
        SortKey::Name => directed(a_name.cmp(b_name)),
        SortKey::Streams => directed(a.units.cmp(&b.units)),
        SortKey::Amount => directed(a.amount.cmp(&b.amount)),
        SortKey::PerStream => match (a.per_stream(), b.per_stream()) {
            (Some(x), Some(y)) => directed(x.cmp(&y)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
    }
}

/// Page `page` of `groups` (every group with `None`) as rows, sorted by `order`, and
/// how many groups there are.
pub(super) fn page_of(
    by: Dimension,
    state: TableState,
    page: Option<u32>,
    mut groups: Vec<((String, String), Sum)>,
) -> (Vec<Row>, i64) {
    groups.sort_by(|a, b| order(by, state, a, b));
    let total = groups.len() as i64;
    let size = per_page(by) as usize;
    let skip = page.map_or(0, |p| p.saturating_sub(1) as usize * size);
    let take = if page.is_some() { size } else { usize::MAX };
    let rows = groups
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|((key, name), s)| row(by, key, name, (s.units, s.priced), s.amount, s.awaiting))
        .collect();
    (rows, total)
}
