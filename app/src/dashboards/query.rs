//! The dashboards' SQL over the summaries, and over the facts priced by their terms
//! where a track's territories or usage types are asked for (never the ledger: a test
//! runs these as a role that cannot read it, and those that need no fact as one that
//! cannot read the facts either).
//!
//! The table a user looks at picks the SQL's shape: what rows are grouped by, how they
//! sort and which filters apply. So the statements are assembled with `QueryBuilder`
//! rather than written as fixed `query!` text. Identifiers come only from the enums in
//! `filters`; every value is a bind. The planner then sees only the filters in use,
//! which a generic `($1 IS NULL OR platform = $1)` statement would hide from it.

use super::filters::{Dimension, Filters, SortKey, TableState};
use super::{Row, Totals, earnings, label_totals};
use crate::db::Numeric;
use crate::domain::{Month, Platform, UsageType};
use crate::error::AppError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use sqlx::{PgPool, Postgres, QueryBuilder, Row as _};

/// Whose numbers, in which currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An artist's own earnings (their payees' shares), in one currency.
    Artist { artist: i64, currency: String },
    /// A label's revenue before the distributor's fee, in the label's currency.
    Label { label: i64, currency: String },
    /// Everything reported, in the reporting currency; suspense included.
    Everything { currency: String },
}

impl Source {
    pub fn currency(&self) -> &str {
        match self {
            Source::Artist { currency, .. }
            | Source::Label { currency, .. }
            | Source::Everything { currency } => currency,
        }
    }

    /// What the money column holds.
    pub fn money(&self) -> &'static str {
        match self {
            Source::Artist { .. } => "Earnings",
            _ => "Revenue",
        }
    }
}

/// Rows shown per table page.
pub fn per_page(by: Dimension) -> u32 {
    match by {
        Dimension::Month => 12,
        _ => 10,
    }
}

const SUSPENSE: &str = "Suspense (matches no track)";

/// What a statement groups or picks by besides the label: tracks (or their releases and
/// artists), platforms, territories or usage types (`places`), and months. A label's and
/// everything's numbers are read from the smallest source that has them all
/// (`revenue::summary`): a label's month is 100,000 facts, a few hundred label rows and
/// 10,000 tracks' terms, and its tracks' totals over every month 10,000 rows.
#[derive(Debug, Clone, Copy)]
struct Needs {
    tracks: bool,
    platforms: bool,
    places: bool,
    months: bool,
}

impl Needs {
    const NOTHING: Needs = Needs { tracks: false, platforms: false, places: false, months: false };
    /// Every slice and month, without tracks: the charts and the filter menus.
    const SLICES: Needs = Needs { tracks: false, platforms: true, places: true, months: true };

    fn of(by: Dimension) -> Needs {
        use Dimension::*;
        Needs {
            tracks: matches!(by, Track | Release | Artist),
            platforms: by == Platform,
            places: matches!(by, Territory | Usage),
            months: by == Month,
        }
    }

    /// With what `filters` (and `months`, a period that overrides theirs) pick by.
    fn with(self, filters: &Filters, months: Option<(Month, Month)>) -> Needs {
        Needs {
            tracks: self.tracks
                || filters.track.is_some()
                || filters.release.is_some()
                || filters.artist.is_some(),
            platforms: self.platforms || filters.platform.is_some(),
            places: self.places || filters.territory.is_some() || filters.usage.is_some(),
            months: self.months
                || months.is_some()
                || filters.from.is_some()
                || filters.to.is_some(),
        }
    }

    /// The smallest source with what is needed for one label's numbers (`label`) or
    /// everything's.
    fn table(self, label: bool) -> Summary {
        match self {
            Needs { tracks: true, places: true, .. } => Summary::Facts,
            Needs { tracks: true, platforms: false, months: false, .. } => Summary::TrackTotals,
            // Everything's tracks include suspense, which `track_months` does not keep.
            Needs { tracks: true, platforms: false, .. } if label => Summary::TrackMonths,
            Needs { tracks: true, .. } => Summary::Tracks,
            Needs { tracks: false, .. } => Summary::Labels,
        }
    }
}

/// Where a label's or everything's rows are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Summary {
    /// The facts times their terms (`fact_terms`): a track's territories and usage
    /// types are nowhere smaller.
    Facts,
    Labels,
    Tracks,
    TrackTotals,
    /// A label's tracks per month, whatever their platforms (a term each, a row here).
    TrackMonths,
}

impl Summary {
    fn name(self) -> &'static str {
        match self {
            Summary::Facts => "fact_terms",
            Summary::Labels => "label_summary",
            // Each term priced, grouped once by the statement (not per track, month and
            // platform first, as the dropped `track_summary` view did).
            Summary::Tracks => "priced_terms",
            Summary::TrackTotals => "track_totals",
            Summary::TrackMonths => "track_months",
        }
    }

    /// Its columns month, track_id, release_id, platform, territory and usage_type
    /// (NULL where it lacks them).
    fn columns(self) -> &'static str {
        match self {
            Summary::Facts => {
                "s.accounting_month AS month, s.track_id, s.release_id, s.platform, \
                 s.territory, s.usage_type"
            }
            Summary::Labels => {
                "s.accounting_month AS month, NULL::bigint AS track_id, \
                 NULL::bigint AS release_id, s.platform, s.territory, s.usage_type"
            }
            Summary::Tracks => {
                "s.accounting_month AS month, s.track_id, s.release_id, s.platform, \
                 NULL::char(2) AS territory, NULL::text AS usage_type"
            }
            Summary::TrackTotals => {
                "NULL::date AS month, s.track_id, s.release_id, NULL::text AS platform, \
                 NULL::char(2) AS territory, NULL::text AS usage_type"
            }
            Summary::TrackMonths => {
                "s.accounting_month AS month, s.track_id, s.release_id, NULL::text AS platform, \
                 NULL::char(2) AS territory, NULL::text AS usage_type"
            }
        }
    }

    /// Whether its rows carry their track's release (all but the label roll-up do:
    /// migrations 14 and 19), so releases and artists need no look at `tracks`.
    fn has_releases(self) -> bool {
        self != Summary::Labels
    }

    /// Amount, priced and awaiting of a label's (`gross`) or the reporting currency's
    /// (`reporting`) money: a fact priced by its terms (as `priced_terms` prices a
    /// term), a priced term (its lines await a rate together), or a roll-up's sums and
    /// counts.
    fn money(self, money: &str) -> String {
        if self == Summary::Tracks {
            let amount = if money == "gross" { "s.gross" } else { "s.reporting_gross" };
            return format!(
                "{amount} AS amount, CASE WHEN {amount} IS NULL THEN 0 ELSE s.units END \
                 AS priced, CASE WHEN {amount} IS NULL THEN s.lines ELSE 0 END AS awaiting"
            );
        }
        if self == Summary::Facts {
            // Whether the amount is unknown, said without working it out (a fact's gross
            // and its term's share are never NULL; a rate may be): the products of
            // numerics are much of pricing a label's 40,000 facts in a territory, and
            // were worked out three times a fact (that statement 87 -> 78 ms).
            let (amount, unknown) = if money == "gross" {
                (
                    "CASE WHEN s.label_currency IS NULL THEN NULL WHEN s.ours = 0 THEN 0 \
                     ELSE s.gross * s.ours * s.rate END",
                    "(s.label_currency IS NULL OR s.ours <> 0 AND s.rate IS NULL)",
                )
            } else {
                ("s.gross * s.reporting_rate", "(s.reporting_rate IS NULL)")
            };
            format!(
                "{amount} AS amount, CASE WHEN {unknown} THEN 0 ELSE s.units END \
                 AS priced, ({unknown})::int AS awaiting"
            )
        } else {
            let amount = if money == "gross" { "gross" } else { "reporting_gross" };
            format!(
                "s.{amount} AS amount, s.{money}_units AS priced, s.{money}_awaiting AS awaiting"
            )
        }
    }

    /// A label's payees' part and what is held.
    fn parts(self) -> &'static str {
        if self == Summary::Facts {
            "coalesce(s.gross * s.ours * (1 - s.fee) * s.rate, 0) AS net, \
             CASE WHEN s.state = 'held' THEN coalesce(s.gross * s.ours * s.rate, 0) ELSE 0 END \
             AS held"
        } else {
            "s.net, s.held"
        }
    }
}

/// A label's facts beside their terms, within `filters` and the period: found by the
/// facts' own label and territory (migration 20), never by reading a month's facts
/// whole (a million in a quick `make bench`) nor by a probe per term (10,000 a month).
/// Written out rather than read through `priced_facts`: through the view (two branches
/// under a UNION ALL), a quick `make bench` at 3aa54ce saturated the server with 3.1M
/// facts (p99 6.7 s against 365 ms so).
fn push_label_facts<'a>(
    q: &mut QueryBuilder<'a, Postgres>,
    label: i64,
    filters: &'a Filters,
    (from, to): (Option<Month>, Option<Month>),
) {
    q.push(
        "(SELECT f.accounting_month, t.track_id, t.release_id, f.platform, f.territory, \
         f.usage_type, t.label_id, f.units, f.gross, t.label_currency, t.ours, t.rate, t.fee, \
         t.state FROM stream_facts f JOIN terms t ON t.track_id = f.track_id \
         AND t.report_file_id = f.report_file_id AND t.accounting_month = f.accounting_month \
         AND t.currency = f.currency AND (t.territory = f.territory OR (t.territory IS NULL \
              AND NOT f.territory = ANY (coalesce(t.exceptions, '{}')))) \
         WHERE f.label_id = ",
    );
    q.push_bind(label).push(" AND t.label_id = ").push_bind(label);
    if let Some(territory) = filters.territory {
        // As the column's type: compared as text, the index could not take it.
        q.push(" AND f.territory = ").push_bind(territory.to_string()).push("::char(2)");
    }
    if let Some(usage) = filters.usage {
        q.push(" AND f.usage_type = ").push_bind(usage.code());
    }
    // On both sides, so that each is pruned to the period's months.
    if let Some(from) = from {
        q.push(" AND f.accounting_month >= ").push_bind(from.first_day());
        q.push(" AND t.accounting_month >= ").push_bind(from.first_day());
    }
    if let Some(to) = to {
        q.push(" AND f.accounting_month <= ").push_bind(to.first_day());
        q.push(" AND t.accounting_month <= ").push_bind(to.first_day());
    }
    q.push(")");
}

/// `WITH rows AS (...)`: a label's or everything's summary rows (an artist's are summed
/// in `earnings`) within `filters`, as month, track_id, label_id, platform, territory,
/// usage_type, units, amount (NULL or 0 while a rate is missing), priced (the units
/// whose amount is known), awaiting (rows waiting for a rate), net and held. `months`
/// overrides the filters' period; `needs` says what the statement groups by (the rows
/// may be roll-ups without the rest).
fn with_rows<'a>(
    source: &'a Source,
    filters: &'a Filters,
    months: Option<(Month, Month)>,
    needs: Needs,
) -> QueryBuilder<'a, Postgres> {
    let mut q = QueryBuilder::new("WITH rows AS (SELECT ");
    let needs = needs.with(filters, months);
    let (from, to) = months.map_or((filters.from, filters.to), |(f, t)| (Some(f), Some(t)));
    match source {
        // Summed in `earnings`, from rows read once per request.
        Source::Artist { .. } => unreachable!("an artist's rows are summed in earnings"),
        Source::Label { label, .. } => {
            let table = needs.table(true);
            q.push(format!("{}, s.label_id, s.units, ", table.columns()));
            q.push(table.money("gross"));
            q.push(format!(", {} FROM ", table.parts()));
            if table == Summary::Facts {
                push_label_facts(&mut q, *label, filters, (from, to));
            } else {
                q.push(table.name());
            }
            q.push(" s WHERE s.label_id = ").push_bind(*label);
        }
        Source::Everything { .. } => {
            // Held and net are in each label's currency: not summed across labels.
            let table = needs.table(false);
            q.push(format!("{}, s.label_id, s.units, ", table.columns()));
            q.push(table.money("reporting"));
            q.push(format!(
                ", NULL::numeric AS net, NULL::numeric AS held FROM {} s WHERE true",
                table.name()
            ));
        }
    }
    if let Some(from) = from {
        q.push(" AND s.accounting_month >= ").push_bind(from.first_day());
    }
    if let Some(to) = to {
        q.push(" AND s.accounting_month <= ").push_bind(to.first_day());
    }
    if let Some(platform) = filters.platform {
        q.push(" AND s.platform = ").push_bind(platform.code());
    }
    if let Some(territory) = filters.territory {
        // As the columns' type: compared as text, an index could not take it.
        q.push(" AND s.territory = ").push_bind(territory.to_string()).push("::char(2)");
    }
    if let Some(usage) = filters.usage {
        q.push(" AND s.usage_type = ").push_bind(usage.code());
    }
    if let Some(track) = filters.track {
        q.push(" AND s.track_id = ").push_bind(track);
    }
    if let Some(release) = filters.release {
        q.push(" AND s.track_id IN (SELECT id FROM tracks WHERE release_id = ");
        q.push_bind(release).push(")");
    }
    if let Some(artist) = filters.artist {
        q.push(
            " AND s.track_id IN (SELECT t.id FROM tracks t \
             JOIN releases r ON r.id = t.release_id WHERE r.artist_id = ",
        );
        q.push_bind(artist).push(")");
    }
    if let (Some(label), Source::Everything { .. }) = (filters.label, source) {
        q.push(" AND s.label_id = ").push_bind(label);
    }
    q.push(") ");
    q
}

/// A label's tracks within `filters`, for `label_totals`: per track, release (a
/// track's rows all carry one release but for a track moved since) and month (`None`
/// where the source has no months: [`label_tracks_by_month`]), its sums, from the same
/// source `table` would read them from.
pub(super) async fn label_tracks(
    pool: &PgPool,
    label: i64,
    filters: &Filters,
) -> Result<Vec<(i64, Option<i64>, Option<NaiveDate>, earnings::Sum)>, AppError> {
    let source = Source::Label { label, currency: String::new() };
    let needs = Needs::of(Dimension::Track);
    let summary = needs.with(filters, None).table(true);
    let mut q = with_rows(&source, filters, None, needs);
    q.push(if summary == Summary::Facts {
        // Many lines a track and month: grouped where they are.
        "SELECT track_id, release_id, month, sum(units)::bigint AS units, \
         coalesce(sum(amount), 0) AS amount, coalesce(sum(priced), 0)::bigint AS priced, \
         coalesce(sum(awaiting), 0)::bigint AS awaiting \
         FROM rows WHERE track_id IS NOT NULL GROUP BY track_id, release_id, month"
    } else {
        // A row a track (`track_totals`), or a term a track and month (nearly one a
        // track in a month): Postgres' hash aggregate keeps a numeric state per group
        // and sum, and grouped a label's 5,000 terms of a month into 5,000 groups in 8 of
        // its 11 ms; here, a pass.
        "SELECT track_id, release_id, month, units::bigint AS units, \
         coalesce(amount, 0) AS amount, priced::bigint AS priced, awaiting::bigint AS awaiting \
         FROM rows WHERE track_id IS NOT NULL"
    });
    let rows = q.build().fetch_all(pool).await?;
    // By position (both statements' order): by name, each value is a lookup of its
    // column's name, and a label's month can be 28,000 rows of seven values.
    let mut found = Vec::with_capacity(rows.len());
    for r in rows {
        let sum = earnings::Sum {
            units: r.try_get(3)?,
            amount: r.try_get::<Numeric, _>(4)?.0,
            priced: r.try_get(5)?,
            awaiting: r.try_get(6)?,
            known: true,
        };
        found.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, sum));
    }
    // Each key's row is its own, but from the terms (one a file and territory: several
    // a track and month), which are summed here.
    if summary != Summary::Tracks {
        return Ok(found);
    }
    type Key = (i64, Option<i64>, Option<NaiveDate>);
    let mut sums: FxHashMap<Key, earnings::Sum> = FxHashMap::default();
    sums.reserve(found.len());
    for (track, release, month, sum) in found {
        sums.entry((track, release, month)).or_default().merge(&sum);
    }
    Ok(sums
        .into_iter()
        .map(|((track, release, month), sum)| (track, release, month, sum))
        .collect())
}

/// Whether [`label_tracks`] within `filters` are per month: all but a label's tracks
/// over every month and every slice, which are one row a track (`track_totals`).
pub(super) fn label_tracks_by_month(filters: &Filters) -> bool {
    Needs::of(Dimension::Track).with(filters, None).table(true) != Summary::TrackTotals
}

/// The grouping key, as grouped (an id, a date or a code) and as the text the row
/// carries ('' for suspense), and the joins that find it: through the rows' release
/// when they carry it (`releases`), else through their track.
fn key_of(by: Dimension, releases: bool) -> (&'static str, &'static str, &'static str) {
    const TRACKS: &str = " LEFT JOIN tracks t ON t.id = rows.track_id";
    const RELEASES: &str =
        " LEFT JOIN tracks t ON t.id = rows.track_id LEFT JOIN releases r ON r.id = t.release_id";
    const ID: &str = "coalesce(g.id::text, '')";
    match by {
        Dimension::Release if releases => ("rows.release_id", ID, ""),
        Dimension::Artist if releases => {
            ("r.artist_id", ID, " LEFT JOIN releases r ON r.id = rows.release_id")
        }
        Dimension::Month => ("rows.month", "to_char(g.id, 'YYYY-MM')", ""),
        Dimension::Platform => ("rows.platform", "g.id", ""),
        Dimension::Territory => ("rows.territory", "g.id::text", ""),
        Dimension::Usage => ("rows.usage_type", "g.id", ""),
        Dimension::Label => ("rows.label_id", ID, ""),
        Dimension::Track => ("rows.track_id", ID, ""),
        Dimension::Release => ("t.release_id", ID, TRACKS),
        Dimension::Artist => ("r.artist_id", ID, RELEASES),
    }
}

/// The name shown for a key, and the join (on the key's id) that finds it.
fn name_of(by: Dimension) -> (&'static str, &'static str) {
    match by {
        Dimension::Label => ("l.name", " LEFT JOIN labels l ON l.id = g.id"),
        Dimension::Track => ("n.title", " LEFT JOIN tracks n ON n.id = g.id"),
        Dimension::Release => ("n.title", " LEFT JOIN releases n ON n.id = g.id"),
        Dimension::Artist => ("n.name", " LEFT JOIN artists n ON n.id = g.id"),
        // Months, platforms, territories and usage types are named by their key.
        _ => ("", ""),
    }
}

/// One page of a breakdown, or every row (`page: None`, for CSV), with the number of
/// rows in all.
pub async fn table(
    pool: &PgPool,
    source: &Source,
    filters: &Filters,
    state: TableState,
    page: Option<u32>,
) -> Result<(Vec<Row>, i64), AppError> {
    if let Source::Artist { artist, currency } = source {
        return Ok(earnings::of(pool, *artist, currency).await?.table(filters, state, page));
    }
    let by = state.by;
    let needs = Needs::of(by);
    let summary = needs.with(filters, None).table(matches!(source, Source::Label { .. }));
    if let (Source::Label { label, .. }, Some(page)) = (source, page)
        && label_totals::serves(state, Some(page))
    {
        return label_totals::table(pool, *label, filters, state, page).await;
    }
    let (id, key, joins) = key_of(by, summary.has_releases());
    let (name, name_join) = name_of(by);
    let name = if name.is_empty() { key } else { name };
    let mut q = with_rows(source, filters, None, needs);
    // A label's all-time rows are one per track already: grouping 10,000 rows into as
    // many groups is most of such a statement's time.
    let per_track = matches!(source, Source::Label { .. }) && summary == Summary::TrackTotals;
    // Artists are found through each row's release (or track): summed per release (or
    // track) first, a label's year is its releases' rows, not twelve times its tracks'.
    let rows = if joins.is_empty() {
        "rows"
    } else if summary.has_releases() {
        "(SELECT release_id, sum(units) AS units, sum(amount) AS amount, \
         sum(priced) AS priced, sum(awaiting) AS awaiting FROM rows GROUP BY release_id) rows"
    } else {
        "(SELECT track_id, sum(units) AS units, sum(amount) AS amount, sum(priced) AS priced, \
         sum(awaiting) AS awaiting FROM rows GROUP BY track_id) rows"
    };
    if per_track && by == Dimension::Track {
        q.push(
            ", g AS (SELECT rows.track_id AS id, rows.units::bigint AS units, \
             rows.amount AS amount, rows.priced::bigint AS priced, \
             rows.awaiting::bigint AS awaiting FROM rows), ",
        );
    } else {
        q.push(format!(
            ", g AS (SELECT {id} AS id, sum(rows.units)::bigint AS units, \
             coalesce(sum(rows.amount), 0) AS amount, \
             coalesce(sum(rows.priced), 0)::bigint AS priced, \
             coalesce(sum(rows.awaiting), 0)::bigint AS awaiting \
             FROM {rows}{joins} GROUP BY 1), "
        ));
    }
    q.push("total AS (SELECT count(*) AS n FROM g) ");
    let by_name = matches!(state.sort.key, SortKey::Name) && by != Dimension::Month;
    let column = match state.sort.key {
        SortKey::Name if by_name => "2",
        SortKey::Name => "g.id",
        SortKey::Streams => "g.units",
        SortKey::Amount => "g.amount",
        SortKey::PerStream => "g.amount / nullif(g.priced, 0)",
    };
    let direction = if state.sort.descending { "DESC NULLS LAST" } else { "ASC NULLS LAST" };
    let size = i64::from(per_page(by));
    let skip = page.map(|page| i64::from(page.saturating_sub(1)) * size);
    // A page sorted by a number needs names only for its rows: the groups up to its
    // last, and any tied with that one (names break ties), rather than a name for each
    // of a label's 10,000 tracks.
    let from = match skip {
        Some(skip) if !by_name => {
            q.push(format!(", top AS (SELECT * FROM g ORDER BY {column} {direction} FETCH FIRST "));
            q.push_bind(skip + size).push(" ROWS WITH TIES) ");
            "top g"
        }
        _ => "g",
    };
    q.push(format!(
        "SELECT {key} AS key, coalesce({name}, '') AS name, g.units, g.priced, g.amount, \
         g.awaiting, (SELECT n FROM total) AS total FROM {from}{name_join} \
         ORDER BY {column} {direction}, 2, 1"
    ));
    if let Some(skip) = skip {
        q.push(" LIMIT ").push_bind(size).push(" OFFSET ").push_bind(skip);
    }
    let found = q.build().fetch_all(pool).await?;
    let total = found.first().map(|r| r.get::<i64, _>("total"));
    let total = match total {
        Some(total) => total,
        // Past the last page: say how many rows there are all the same.
        None if page.is_some_and(|p| p > 1) => {
            Box::pin(table(pool, source, filters, state, Some(1))).await?.1
        }
        None => 0,
    };
    let rows = found
        .into_iter()
        .map(|r| {
            let key: String = r.get("key");
            let name: String = r.get("name");
            let units = (r.get("units"), r.get("priced"));
            row(by, key, name, units, r.get("amount"), r.get("awaiting"))
        })
        .collect();
    Ok((rows, total))
}

/// `units` is (every stream, the streams whose money is known): per stream divides by
/// the second, since lines awaiting a rate have no money in the sum yet.
pub(super) fn row(
    by: Dimension,
    key: String,
    name: String,
    (units, priced): (i64, i64),
    amount: Decimal,
    awaiting: i64,
) -> Row {
    let label = match by {
        _ if key.is_empty() => SUSPENSE.to_string(),
        Dimension::Platform => Platform::name_of(&key).to_string(),
        Dimension::Usage => key.parse::<UsageType>().map(|u| u.label().to_string()).unwrap_or(name),
        _ => name,
    };
    Row {
        key,
        label,
        units,
        amount: amount.to_string(),
        per_stream: per_stream(amount, priced),
        awaiting,
    }
}

/// Money per stream to six decimals (a fraction of a cent is the point of the number).
pub fn per_stream(amount: Decimal, units: i64) -> Option<String> {
    (units > 0).then(|| (amount / Decimal::from(units)).round_dp(6).normalize().to_string())
}

/// Streams, money, the payees' part, held and lines awaiting a rate, within `months`
/// (or the filters' period).
pub async fn totals(
    pool: &PgPool,
    source: &Source,
    filters: &Filters,
    months: Option<(Month, Month)>,
) -> Result<Totals, AppError> {
    if let Source::Artist { artist, currency } = source {
        return Ok(earnings::of(pool, *artist, currency).await?.totals(filters, months));
    }
    let mut q = with_rows(source, filters, months, Needs::NOTHING);
    q.push(
        "SELECT coalesce(sum(units), 0)::bigint AS units, coalesce(sum(amount), 0) AS amount, \
         coalesce(sum(priced), 0)::bigint AS priced, sum(net) AS net, sum(held) AS held, \
         coalesce(sum(awaiting), 0)::bigint AS awaiting \
         FROM rows",
    );
    let r = q.build().fetch_one(pool).await?;
    let (units, amount) = (r.get("units"), r.get::<Decimal, _>("amount"));
    Ok(Totals {
        units,
        amount: amount.to_string(),
        per_stream: per_stream(amount, r.get("priced")),
        net: r.get::<Option<Decimal>, _>("net").map(|d| d.to_string()),
        held: r.get::<Option<Decimal>, _>("held").map(|d| d.to_string()),
        awaiting: r.get("awaiting"),
    })
}

/// Streams and money per month and platform, months in order: the charts, and the
/// span of months with data.
pub async fn month_platform(
    pool: &PgPool,
    source: &Source,
    filters: &Filters,
) -> Result<Vec<Cell>, AppError> {
    if let Source::Artist { artist, currency } = source {
        return Ok(earnings::of(pool, *artist, currency).await?.month_platform(filters));
    }
    let mut q = with_rows(source, filters, None, Needs::SLICES);
    q.push(
        "SELECT to_char(month, 'YYYY-MM') AS month, platform, sum(units)::bigint AS units, \
         coalesce(sum(amount), 0) AS amount FROM rows GROUP BY 1, 2 ORDER BY 1, 2",
    );
    let found = q.build().fetch_all(pool).await?;
    Ok(found
        .into_iter()
        .map(|r| Cell {
            month: r.get("month"),
            platform: r.get("platform"),
            units: r.get("units"),
            amount: r.get("amount"),
        })
        .collect())
}

/// One month of one platform.
pub struct Cell {
    pub month: String,
    pub platform: String,
    pub units: i64,
    pub amount: Decimal,
}

/// Tracks whose money changed most between `before` and `now` (two month ranges, the
/// first wholly earlier) within `filters` but their period (the page's: a label's
/// tracks are read once for its tables and its movers): (track id, title, money now,
/// money before). The ten (and any
/// tied with the tenth) are found before their titles: naming a label's 10,000 tracks
/// first took 176 ms, 36 ms so.
pub async fn movers(
    pool: &PgPool,
    source: &Source,
    filters: &Filters,
    before: (Month, Month),
    now: (Month, Month),
) -> Result<Vec<(i64, String, Decimal, Decimal)>, AppError> {
    match source {
        Source::Artist { artist, currency } => {
            let earnings = earnings::of(pool, *artist, currency).await?;
            return Ok(earnings.movers(filters, before, now));
        }
        Source::Label { label, .. } => {
            return label_totals::movers(pool, *label, filters, before, now).await;
        }
        Source::Everything { .. } => {}
    }
    let mut q = with_rows(source, filters, Some((before.0, now.1)), Needs::of(Dimension::Track));
    q.push(
        ", moved AS (SELECT track_id, \
         coalesce(sum(amount) FILTER (WHERE month >= ",
    );
    q.push_bind(now.0.first_day());
    q.push("), 0) AS now, coalesce(sum(amount) FILTER (WHERE month <= ");
    q.push_bind(before.1.first_day());
    q.push(
        "), 0) AS before FROM rows WHERE track_id IS NOT NULL GROUP BY track_id), \
         top AS (SELECT * FROM moved m WHERE m.now <> m.before \
                 ORDER BY abs(m.now - m.before) DESC FETCH FIRST 10 ROWS WITH TIES) \
         SELECT m.track_id, t.title, m.now, m.before FROM top m JOIN tracks t ON t.id = m.track_id \
         ORDER BY abs(m.now - m.before) DESC, t.title, m.track_id LIMIT 10",
    );
    let found = q.build().fetch_all(pool).await?;
    Ok(found
        .into_iter()
        .map(|r| (r.get("track_id"), r.get("title"), r.get("now"), r.get("before")))
        .collect())
}

/// What the filter menus offer within the source: months, platforms, territories and
/// usage types with data, and (but for everything at once, which could be a whole
/// distributor's catalog) the artists and releases: an artist's with data, a label's
/// whole catalog. A song's page has no menus of artists and releases (`catalog` false):
/// a label's are its 1,250 releases at a distributor's size, read and sent for nothing.
pub async fn options(
    pool: &PgPool,
    source: &Source,
    catalog: bool,
) -> Result<super::Options, AppError> {
    if let Source::Artist { artist, currency } = source {
        return Ok(earnings::of(pool, *artist, currency).await?.options());
    }
    let all = Filters::default();
    let mut q = with_rows(source, &all, None, Needs::SLICES);
    q.push(
        "SELECT GROUPING(month, platform, territory, usage_type) AS set, \
         to_char(month, 'YYYY-MM') AS month, platform, territory::text AS territory, usage_type \
         FROM rows GROUP BY GROUPING SETS ((month), (platform), (territory), (usage_type)) ",
    );
    let found = q.build().fetch_all(pool).await?;
    let mut o = super::Options::default();
    for r in found {
        let text = |column: &str| r.get::<Option<String>, _>(column).unwrap_or_default();
        match r.get::<i32, _>("set") {
            0b0111 => o.months.push(text("month")),
            0b1011 => {
                let code = text("platform");
                o.platforms.push((Platform::name_of(&code).to_string(), code));
            }
            0b1101 => o.territories.push(text("territory")),
            _ => {
                let code = text("usage_type");
                let label = code.parse::<UsageType>().map(|u| u.label().to_string());
                o.usages.push((label.unwrap_or_else(|_| code.clone()), code));
            }
        }
    }
    o.months.sort();
    o.platforms.sort();
    o.territories.sort();
    o.usages.sort();
    // A label's releases are its catalog's: reading which of them have rows would read
    // every month of the label's tracks (26,000 rows for three months of a label of
    // 10,000 tracks) on every page. Everything at once could be a whole distributor's
    // catalog: no menu of it.
    if let (Source::Label { label, .. }, true) = (source, catalog) {
        for (id, release) in label_totals::releases(pool, *label).await?.iter() {
            o.releases.push((release.title.clone(), id.to_string()));
            o.artists.push((release.artist_name.clone(), release.artist.to_string()));
        }
        o.releases.sort();
        o.artists.sort();
        o.artists.dedup();
    }
    Ok(o)
}
