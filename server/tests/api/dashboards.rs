//! Dashboards: their numbers for a crafted dataset, worked out by hand, with filters,
//! sorting, paging and the CSV export; their scope; and proof that they read the
//! summaries only.

use crate::conflicts::{fact, load, load_on};
use crate::helpers::{Browser, PASSWORD, TestApp, user};
use crate::revenue::{deal, dec, month};
use app::dashboards::query::{self, Source};
use app::dashboards::{Dimension, Filters, Sort, SortKey, TableState, ssr};
use app::{domain::Role, users::Link};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row as _};

/// A label whose release artist is the first payee (60% after a 10% fee): Spotify in
/// February (US 2.00) and March (US 3.00, GB 1.00), Apple Music in March (US 4.00),
/// 1,000 streams each. Returns (artist, label, track).
async fn artist_and_label(pool: &PgPool) -> (i64, i64, i64) {
    let d = deal(pool, "USD", "0.1", &["0.6", "0.4"], "2026-01").await;
    let artist: i64 = sqlx::query_scalar("SELECT artist_id FROM releases WHERE id = $1")
        .bind(d.release)
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE payees SET artist_id = $1 WHERE id = $2")
        .bind(artist)
        .bind(d.payees[0])
        .execute(pool)
        .await
        .unwrap();
    load(pool, month("2026-02"), &[fact(pool, &d, "US", "2.00").await]).await;
    let march = [fact(pool, &d, "US", "3.00").await, fact(pool, &d, "GB", "1.00").await];
    load(pool, month("2026-03"), &march).await;
    load_on(pool, month("2026-03"), "apple_music", &[fact(pool, &d, "US", "4.00").await]).await;
    (artist, d.label, d.track)
}

fn artist_source(artist: i64) -> Source {
    Source::Artist { artist, currency: "USD".into() }
}

fn label_source(label: i64) -> Source {
    Source::Label { label, currency: "USD".into() }
}

fn filters(pairs: &[(&str, &str)]) -> Filters {
    Filters::parse(|k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string())).unwrap()
}

async fn rows(
    pool: &PgPool,
    source: &Source,
    f: &Filters,
    by: Dimension,
) -> Vec<(String, i64, Decimal)> {
    let state = TableState { by, sort: by.default_sort(), page: 1 };
    let (rows, _) = query::table(pool, source, f, state, None).await.unwrap();
    rows.into_iter().map(|r| (r.label, r.units, dec(&r.amount))).collect()
}

#[tokio::test]
async fn an_artists_overview_and_tables_add_up_by_hand() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let (artist, label, _) = artist_and_label(&pool).await;
    // Someone else's earnings on the same platforms must not show.
    artist_and_label(&pool).await;
    let source = artist_source(artist);
    let all = Filters::default();
    let o = ssr::overview(&pool, &source, &all).await.unwrap();
    assert_eq!((o.currency.as_str(), o.money.as_str()), ("USD", "Earnings"));
    // 0.6 x 0.9 = 0.54 of every dollar of 10.00.
    assert_eq!(dec(&o.totals.amount), dec("5.40"));
    assert_eq!(o.totals.units, 4000);
    assert_eq!(o.totals.per_stream.as_deref(), Some("0.00135"));
    assert_eq!(o.totals.held.as_deref().map(dec), Some(dec("0")));
    assert_eq!(o.span, Some(("2026-02".into(), "2026-03".into())));
    assert_eq!(o.next_statement.as_deref().map(dec), Some(dec("5.40")), "no run approved yet");
    // A run approved through February: the next statement holds March's alone.
    sqlx::query(
        "INSERT INTO payout_runs
             (label_id, period_start, period_end, currency, minor_digits, status, approved_at)
         VALUES ($1, '2026-01-01', '2026-02-01', 'USD', 2, 'approved', now())",
    )
    .bind(label)
    .execute(&pool)
    .await
    .unwrap();
    let after_run = ssr::overview(&pool, &source, &all).await.unwrap();
    assert_eq!(after_run.next_statement.as_deref().map(dec), Some(dec("4.32")));
    assert_eq!(
        rows(&pool, &source, &all, Dimension::Month).await,
        [("2026-03".into(), 3000, dec("4.32")), ("2026-02".into(), 1000, dec("1.08"))],
        "newest first"
    );
    assert_eq!(
        rows(&pool, &source, &all, Dimension::Platform).await,
        [("Spotify".into(), 3000, dec("3.24")), ("Apple Music".into(), 1000, dec("2.16"))],
        "largest first"
    );
    assert_eq!(
        rows(&pool, &source, &all, Dimension::Territory).await,
        [("US".into(), 3000, dec("4.86")), ("GB".into(), 1000, dec("0.54"))]
    );
    assert_eq!(
        rows(&pool, &source, &all, Dimension::Usage).await,
        [("premium".into(), 4000, dec("5.40"))]
    );
    // The latest month against the one before, and the track that moved.
    let c = o.comparison.unwrap();
    assert_eq!((c.now_label.as_str(), c.before_label.as_str()), ("2026-03", "2026-02"));
    assert_eq!((dec(&c.now.amount), dec(&c.before.amount)), (dec("4.32"), dec("1.08")));
    assert_eq!(c.movers.len(), 1);
    assert_eq!((dec(&c.movers[0].now), dec(&c.movers[0].before)), (dec("4.32"), dec("1.08")));
    assert!(o.months_chart.starts_with("<svg") && o.months_chart.contains("<text"));
    assert!(o.months_chart.contains("Earnings (USD)"), "the axis says its unit");
    assert!(o.months_chart.contains("Apple Music"), "the legend names the platforms");
    assert!(o.streams_chart.contains("Streams"));
    assert!(o.platforms_chart.contains("Spotify"));
    assert_eq!(o.options.months, ["2026-02", "2026-03"]);
    assert_eq!(o.options.platforms.len(), 2);
    assert_eq!(o.options.currencies, ["USD"]);
    assert_eq!(o.freshness.len(), 2);
}

/// A label's tracks, releases and artists over every month come from each track's
/// all-time totals (`track_totals`), over a period from its terms (`priced_terms`):
/// the two agree, and a period is only its months.
#[tokio::test]
async fn a_labels_all_time_tables_equal_the_sum_of_its_months() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let (_, label, _) = artist_and_label(&pool).await;
    let other = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    sqlx::query("UPDATE releases SET label_id = $1 WHERE id = $2")
        .bind(label)
        .bind(other.release)
        .execute(&pool)
        .await
        .unwrap();
    load(&pool, month("2026-03"), &[fact(&pool, &other, "US", "7.00").await]).await;
    let source = Source::Label { label, currency: "USD".into() };
    let every_month = filters(&[("from", "2026-01"), ("to", "2026-12")]);
    for by in [Dimension::Track, Dimension::Release, Dimension::Artist] {
        let all_time = rows(&pool, &source, &Filters::default(), by).await;
        assert_eq!(all_time.len(), 2, "{by:?}: {all_time:?}");
        assert_eq!(all_time[0].2, dec("10.00"), "{by:?}: the first deal's 2 + 3 + 1 + 4");
        assert_eq!(all_time, rows(&pool, &source, &every_month, by).await, "{by:?}");
    }
    let march = filters(&[("from", "2026-03"), ("to", "2026-03")]);
    let tracks = rows(&pool, &source, &march, Dimension::Track).await;
    assert_eq!(tracks.iter().map(|r| r.2).collect::<Vec<_>>(), [dec("8.00"), dec("7.00")]);
}

/// A label's tables by track, release and artist are drawn in memory from its tracks'
/// sums read once (`label_totals`) when a page is asked for, and by SQL for a CSV
/// export of every row: each page is the same slice of SQL's order, for every sort and
/// kind of filter, with ties in money, streams and names (every title here is the same).
#[tokio::test]
async fn a_labels_pages_by_track_release_and_artist_are_slices_of_the_whole_table() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let mut deals = Vec::new();
    for _ in 0..14 {
        deals.push(deal(&pool, "USD", "0", &["1"], "2026-01").await);
    }
    let first = &deals[0];
    let mut facts = Vec::new();
    for (i, d) in deals.iter().enumerate() {
        sqlx::query("UPDATE releases SET label_id = $1 WHERE id = $2")
            .bind(first.label)
            .bind(d.release)
            .execute(&pool)
            .await
            .unwrap();
        // Every third release is by the first's artist: artists of several releases.
        if i % 3 == 0 {
            sqlx::query(
                "UPDATE releases SET artist_id = (SELECT artist_id FROM releases WHERE id = $1)
                 WHERE id = $2",
            )
            .bind(first.release)
            .bind(d.release)
            .execute(&pool)
            .await
            .unwrap();
        }
        facts.push(fact(&pool, d, "US", &format!("{}.00", i % 4 + 1)).await);
    }
    load(&pool, month("2026-03"), &facts).await;
    // Every other track in another month and territory, for the filtered tables.
    let mut april = Vec::new();
    for (i, d) in deals.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        april.push(fact(&pool, d, "GB", &format!("{}.50", i % 3)).await);
    }
    load(&pool, month("2026-04"), &april).await;
    let source = Source::Label { label: first.label, currency: "USD".into() };
    let artist: i64 = sqlx::query_scalar("SELECT artist_id FROM releases WHERE id = $1")
        .bind(first.release)
        .fetch_one(&pool)
        .await
        .unwrap();
    // Over every month (`track_totals`), a period or a platform (the terms), and a
    // territory (the facts times their terms).
    let every = [
        Filters::default(),
        filters(&[("artist", &artist.to_string())]),
        filters(&[("from", "2026-04"), ("to", "2026-04")]),
        filters(&[("platform", "spotify")]),
        filters(&[("territory", "GB")]),
        // A period within a territory: read with the period before it (the movers').
        filters(&[("from", "2026-04"), ("to", "2026-04"), ("territory", "GB")]),
    ];
    for f in every {
        for by in [Dimension::Track, Dimension::Release, Dimension::Artist] {
            for key in [SortKey::Name, SortKey::Streams, SortKey::Amount, SortKey::PerStream] {
                for descending in [false, true] {
                    let sort = Sort { key, descending };
                    let state = TableState { by, sort, page: 1 };
                    let (whole, total) =
                        query::table(&pool, &source, &f, state, None).await.unwrap();
                    assert_eq!(total, whole.len() as i64);
                    assert!(total > 0, "{by:?} {f:?}");
                    for page in 1..=3 {
                        let (rows, count) =
                            query::table(&pool, &source, &f, state, Some(page)).await.unwrap();
                        let slice = whole.iter().skip(10 * (page as usize - 1)).take(10);
                        assert_eq!(
                            rows,
                            slice.cloned().collect::<Vec<_>>(),
                            "{by:?} {sort:?} {page}"
                        );
                        assert_eq!(count, total, "{by:?} {sort:?} page {page}");
                    }
                }
            }
        }
    }
}

/// `n` deals, all of one label's (the first's): each track earns 1.00 in February and
/// `march(i)` in March.
async fn one_labels_deals(
    pool: &PgPool,
    n: usize,
    march: impl Fn(usize) -> String,
) -> (i64, Vec<crate::revenue::Deal>) {
    let mut deals = Vec::new();
    for _ in 0..n {
        deals.push(deal(pool, "USD", "0", &["1"], "2026-01").await);
    }
    let label = deals[0].label;
    for (i, d) in deals.iter().enumerate() {
        sqlx::query("UPDATE releases SET label_id = $1 WHERE id = $2")
            .bind(label)
            .bind(d.release)
            .execute(pool)
            .await
            .unwrap();
        load(pool, month("2026-02"), &[fact(pool, d, "US", "1.00").await]).await;
        load(pool, month("2026-03"), &[fact(pool, d, "US", &march(i)).await]).await;
    }
    (label, deals)
}

/// A label's movers: the ten tracks whose money changed most between two months, most
/// first, a track that did not change left out.
#[tokio::test]
async fn a_labels_movers_are_the_ten_biggest_changes() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let (label, deals) = one_labels_deals(&pool, 12, |i| format!("{}.00", 1 + i)).await;
    let tracks: Vec<i64> = deals.iter().map(|d| d.track).collect();
    let source = Source::Label { label, currency: "USD".into() };
    let (feb, mar) = (month("2026-02"), month("2026-03"));
    let movers =
        query::movers(&pool, &source, &Filters::default(), (feb, feb), (mar, mar)).await.unwrap();
    let ids: Vec<i64> = movers.iter().map(|m| m.0).collect();
    let biggest: Vec<i64> = tracks.iter().rev().take(10).copied().collect();
    assert_eq!(ids, biggest, "changes 11 down to 2; the unchanged track is not a mover");
    assert_eq!(
        (dec(&movers[0].2.to_string()), dec(&movers[0].3.to_string())),
        (dec("12"), dec("1"))
    );
}

/// Ties at the tenth mover are broken by title, as staff's movers (one statement) break
/// them: a label's are summed per period in the server.
#[tokio::test]
async fn a_labels_movers_break_ties_by_title_as_staffs_do() {
    let (_, pool) = crate::helpers::fresh_database().await;
    // Changes 1, 1, 1, 2, 2, 2, ... 5, 5: the tenth is one of three changes of 2.
    let (label, deals) = one_labels_deals(&pool, 14, |i| format!("{}.00", 2 + i / 3)).await;
    for (i, d) in deals.iter().enumerate() {
        // Titles against the order of ids, two alike: ties go by title, then by id.
        sqlx::query("UPDATE tracks SET title = $1 WHERE id = $2")
            .bind(format!("Song {}", (b'N' - i as u8 / 2 * 2) as char))
            .bind(d.track)
            .execute(&pool)
            .await
            .unwrap();
    }
    let (feb, mar) = (month("2026-02"), month("2026-03"));
    let movers = |source: Source, filters: Filters| {
        let pool = pool.clone();
        async move { query::movers(&pool, &source, &filters, (feb, feb), (mar, mar)).await.unwrap() }
    };
    let labels = movers(Source::Label { label, currency: "USD".into() }, Filters::default()).await;
    let staffs = movers(
        Source::Everything { currency: "USD".into() },
        Filters { label: Some(label), ..Filters::default() },
    )
    .await;
    assert_eq!(labels.len(), 10);
    assert_eq!(labels, staffs);
    // From the page's own read of its tracks (its period and the one before, or every
    // month within a territory), the same ten.
    let label_source = || Source::Label { label, currency: "USD".into() };
    let march = filters(&[("from", "2026-03"), ("to", "2026-03")]);
    assert_eq!(movers(label_source(), march).await, labels);
    assert_eq!(movers(label_source(), filters(&[("territory", "US")])).await, labels);
    let last = &labels[9];
    assert_eq!(last.2 - last.3, dec("2"), "the tenth is one of the tied changes of 2");
    let tied: Vec<&str> =
        labels.iter().filter(|m| m.2 - m.3 == dec("2")).map(|m| m.1.as_str()).collect();
    assert!(tied.is_sorted(), "ties in title order: {tied:?}");
    let ids: Vec<i64> = labels.iter().map(|m| m.0).collect();
    assert!(!ids.is_sorted(), "not merely in the order of ids: {ids:?}");
}

/// A label with more releases than a menu lists: its overview lists only the chosen
/// one (none until one is picked from a table) and says so.
#[tokio::test]
async fn a_labels_menus_too_long_to_pick_from_list_only_the_chosen_release() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let (artist, label, _) = artist_and_label(&pool).await;
    let first = ssr::overview(&pool, &label_source(label), &Filters::default()).await.unwrap();
    assert!(!first.options.shortened);
    assert_eq!(first.options.releases.len(), 1, "a label's one release is listed");
    sqlx::query(
        "INSERT INTO releases (label_id, artist_id, upc, title)
         SELECT $1, $2, '8' || lpad(n::text, 12, '0'), 'Catalog ' || n
         FROM generate_series(1, $3) n",
    )
    .bind(label)
    .bind(artist)
    .bind(ssr::MENU_LIMIT as i64)
    .execute(&pool)
    .await
    .unwrap();
    let some: i64 = sqlx::query_scalar("SELECT id FROM releases WHERE title = 'Catalog 7'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let all = ssr::overview(&pool, &label_source(label), &Filters::default()).await.unwrap();
    assert!(all.options.shortened);
    assert!(all.options.releases.is_empty());
    assert_eq!(all.options.artists.len(), 1, "one artist: still a menu");
    let chosen = Filters { release: Some(some), ..Filters::default() };
    let one = ssr::overview(&pool, &label_source(label), &chosen).await.unwrap();
    assert_eq!(one.options.releases, [("Catalog 7".to_string(), some.to_string())]);
}

#[tokio::test]
async fn filters_change_the_numbers() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let (artist, label, track) = artist_and_label(&pool).await;
    let source = artist_source(artist);
    let amount = |f: Filters| {
        let (pool, source) = (pool.clone(), source.clone());
        async move {
            let t = query::totals(&pool, &source, &f, None).await.unwrap();
            (t.units, dec(&t.amount))
        }
    };
    assert_eq!(amount(filters(&[("platform", "apple_music")])).await, (1000, dec("2.16")));
    assert_eq!(
        amount(filters(&[("from", "2026-03"), ("to", "2026-03")])).await,
        (3000, dec("4.32"))
    );
    assert_eq!(amount(filters(&[("to", "2026-02")])).await, (1000, dec("1.08")));
    assert_eq!(amount(filters(&[("territory", "gb")])).await, (1000, dec("0.54")));
    assert_eq!(amount(filters(&[("usage", "ad_supported")])).await, (0, dec("0")));
    assert_eq!(amount(filters(&[("track", &track.to_string())])).await, (4000, dec("5.40")));
    let release: i64 = sqlx::query_scalar("SELECT release_id FROM tracks WHERE id = $1")
        .bind(track)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(amount(filters(&[("release", &release.to_string())])).await, (4000, dec("5.40")));
    assert_eq!(amount(filters(&[("artist", &(artist + 1000).to_string())])).await, (0, dec("0")));
    // A label's revenue: before the fee; to payees after it.
    let label_source = Source::Label { label, currency: "USD".into() };
    let t = query::totals(&pool, &label_source, &filters(&[("platform", "spotify")]), None)
        .await
        .unwrap();
    assert_eq!((dec(&t.amount), t.net.as_deref().map(dec)), (dec("6.00"), Some(dec("5.40"))));
    // A chosen period is compared with the same number of months before it.
    let o =
        ssr::overview(&pool, &label_source, &filters(&[("from", "2026-02"), ("to", "2026-03")]))
            .await
            .unwrap();
    let c = o.comparison.unwrap();
    assert_eq!(
        (c.now_label.as_str(), c.before_label.as_str()),
        ("2026-02 – 2026-03", "2025-12 – 2026-01")
    );
    assert_eq!((dec(&c.now.amount), dec(&c.before.amount)), (dec("10.00"), dec("0")));
}

#[tokio::test]
async fn tables_sort_and_page_on_the_server() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let d = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    let territories = ["US", "GB", "DE", "FR", "SE", "NO", "DK", "FI", "NL", "BE", "ES", "IT"];
    let mut facts = Vec::new();
    for (i, t) in territories.iter().enumerate() {
        facts.push(fact(&pool, &d, t, &format!("{}.00", i + 1)).await);
    }
    load(&pool, month("2026-04"), &facts).await;
    let source = Source::Label { label: d.label, currency: "USD".into() };
    let all = Filters::default();
    let page = |sort: Sort, page: u32| {
        let (pool, source, all) = (pool.clone(), source.clone(), all.clone());
        async move {
            let state = TableState { by: Dimension::Territory, sort, page };
            let p = ssr::table_page(&pool, &source, &all, state).await.unwrap();
            (p.rows.iter().map(|r| r.label.clone()).collect::<Vec<_>>(), p.total_rows)
        }
    };
    let by_amount = Sort { key: SortKey::Amount, descending: true };
    let (first, total) = page(by_amount, 1).await;
    assert_eq!(total, 12);
    assert_eq!(first.len(), 10);
    assert_eq!(&first[..2], ["IT", "ES"]);
    assert_eq!(page(by_amount, 2).await, (vec!["GB".to_string(), "US".to_string()], 12));
    assert_eq!(page(by_amount, 3).await, (vec![], 12), "past the end: no rows, still the count");
    let by_name = Sort { key: SortKey::Name, descending: false };
    assert_eq!(&page(by_name, 1).await.0[..3], ["BE", "DE", "DK"]);
    let by_streams = Sort { key: SortKey::Streams, descending: true };
    assert_eq!(page(by_streams, 1).await.0.len(), 10, "all equal: sorted by name after");
    let per_stream_up = Sort { key: SortKey::PerStream, descending: false };
    assert_eq!(page(per_stream_up, 1).await.0[0], "US", "1.00 over 1,000 streams");
}

/// An artist's tables are summed in Rust (`earnings`), a label's in SQL: with the artist
/// the only payee, no fee and a whole share, the two must be the same rows in the same
/// order, page by page, for every sort.
#[tokio::test]
async fn an_artists_tables_sort_and_page_as_a_labels_do() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let d = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    sqlx::query("UPDATE payees SET artist_id = (SELECT artist_id FROM releases WHERE id = $1)")
        .bind(d.release)
        .execute(&pool)
        .await
        .unwrap();
    let artist: i64 = sqlx::query_scalar("SELECT artist_id FROM releases WHERE id = $1")
        .bind(d.release)
        .fetch_one(&pool)
        .await
        .unwrap();
    let territories = ["US", "GB", "DE", "FR", "SE", "NO", "DK", "FI", "NL", "BE", "ES", "IT"];
    for (i, m) in ["2026-02", "2026-03"].iter().enumerate() {
        let mut facts = Vec::new();
        for (j, t) in territories.iter().enumerate() {
            // Some amounts tie (names break them); one month's streams differ.
            facts.push(fact(&pool, &d, t, &format!("{}.00", (j % 5) + i + 1)).await);
        }
        load(&pool, month(m), &facts).await;
    }
    let label = Source::Label { label: d.label, currency: "USD".into() };
    let artist = artist_source(artist);
    let march = filters(&[("from", "2026-03"), ("to", "2026-03")]);
    for f in [Filters::default(), march] {
        for by in [Dimension::Territory, Dimension::Month, Dimension::Track, Dimension::Platform] {
            for key in [SortKey::Name, SortKey::Streams, SortKey::Amount, SortKey::PerStream] {
                for descending in [false, true] {
                    for page in [1, 2] {
                        let sort = Sort { key, descending };
                        let state = TableState { by, sort, page };
                        let of = |source: &Source| {
                            let (pool, source, f) = (pool.clone(), source.clone(), f.clone());
                            async move { ssr::table_page(&pool, &source, &f, state).await.unwrap() }
                        };
                        let (l, a) = (of(&label).await, of(&artist).await);
                        // The payees' shares are trimmed of trailing zeros: compare values.
                        let values = |rows: &[app::dashboards::Row]| -> Vec<_> {
                            rows.iter()
                                .map(|r| {
                                    (
                                        r.key.clone(),
                                        r.label.clone(),
                                        r.units,
                                        dec(&r.amount),
                                        r.per_stream.clone(),
                                    )
                                })
                                .collect()
                        };
                        assert_eq!(values(&a.rows), values(&l.rows), "{by:?} {sort:?} page {page}");
                        assert_eq!(a.total_rows, l.total_rows, "{by:?} {sort:?}");
                    }
                }
            }
        }
        let l = query::totals(&pool, &label, &f, None).await.unwrap();
        let a = query::totals(&pool, &artist, &f, None).await.unwrap();
        assert_eq!((a.units, dec(&a.amount)), (l.units, dec(&l.amount)));
        assert_eq!(a.per_stream, l.per_stream);
    }
}

/// A logged-in browser for a new user of `role` linked to `link`.
async fn login(app: &TestApp, email: &str, role: Role, link: Link) -> Browser {
    user(&app.pool, email, role, link).await;
    let browser = app.browser();
    browser.login_ok(email, PASSWORD).await;
    browser
}

fn table_fields<'a>(by: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("table[by]", by),
        ("table[sort][key]", "amount"),
        ("table[sort][descending]", "true"),
        ("table[page]", "1"),
    ];
    fields.extend_from_slice(extra);
    fields
}

#[tokio::test]
async fn the_csv_export_matches_the_page() {
    let app = TestApp::spawn().await;
    let (artist, _, _) = artist_and_label(&app.pool).await;
    let browser = login(&app, "ar@x.test", Role::Artist, Link::Artist(artist)).await;
    let page = browser
        .call("dashboard_table", &table_fields("territory", &[("filters[from]", "2026-03")]))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let page: serde_json::Value = page.json().await.unwrap();
    let on_page: Vec<(String, String, String)> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["label"].as_str().unwrap().into(),
                r["units"].to_string(),
                r["amount"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(on_page.len(), 2);
    let csv = browser.get("/exports/territory.csv?from=2026-03&sort=-amount").await;
    assert_eq!(csv.status(), StatusCode::OK);
    let disposition = csv.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.contains("by-territory-2026-03-latest.csv"), "{disposition}");
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        ["territory", "name", "streams", "earnings", "per_stream", "awaiting_rate", "currency"]
    );
    let in_file: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].to_string(), r[2].to_string(), r[3].to_string())
        })
        .collect();
    assert_eq!(in_file, on_page);
    assert_eq!(dec(&in_file[0].2), dec("3.78"), "US in March: (3.00 + 4.00) x 0.54");

    let bad = browser.get("/exports/territory.csv?platform=myspace").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("'myspace' is not a platform"));
    let anonymous = app.browser().get("/exports/territory.csv").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn no_one_sees_anothers_numbers_by_editing_the_url() {
    let app = TestApp::spawn().await;
    let (artist, label, _) = artist_and_label(&app.pool).await;
    let (_, other_label, other_track) = artist_and_label(&app.pool).await;
    let (other_label, other_track) = (other_label.to_string(), other_track.to_string());

    let artist = login(&app, "ar@x.test", Role::Artist, Link::Artist(artist)).await;
    let own: serde_json::Value = artist.call("dashboard", &[]).await.json().await.unwrap();
    assert_eq!(own["totals"]["amount"].as_str().map(dec), Some(dec("5.40")));
    let theirs = artist.call("dashboard", &[("filters[track]", other_track.as_str())]).await;
    let theirs: serde_json::Value = theirs.json().await.unwrap();
    assert_eq!(
        theirs["totals"]["amount"].as_str().map(dec),
        Some(dec("0")),
        "their track: nothing of ours"
    );
    let label_asked = artist.call("dashboard", &[("filters[label]", other_label.as_str())]).await;
    assert_eq!(label_asked.status(), StatusCode::NOT_FOUND);
    let csv = artist.get(&format!("/exports/track.csv?label={other_label}")).await;
    assert_eq!(csv.status(), StatusCode::NOT_FOUND);
    let csv =
        artist.get(&format!("/exports/track.csv?track={other_track}")).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1, "the header only: {csv}");

    let manager = login(&app, "lm@x.test", Role::LabelManager, Link::Label(label)).await;
    let own: serde_json::Value = manager.call("dashboard", &[]).await.json().await.unwrap();
    assert_eq!(own["totals"]["amount"].as_str().map(dec), Some(dec("10.00")));
    assert_eq!(own["view"], "Label");
    let label = label.to_string();
    let named = manager.call("dashboard", &[("filters[label]", label.as_str())]).await;
    let named: serde_json::Value = named.json().await.unwrap();
    assert_eq!(
        named["options"]["labels"],
        serde_json::json!([]),
        "other labels' names are staff's"
    );
    let other = manager.call("dashboard", &[("filters[label]", other_label.as_str())]).await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let other = manager
        .call(
            "dashboard_table",
            &table_fields("track", &[("filters[label]", other_label.as_str())]),
        )
        .await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let csv = manager.get(&format!("/exports/artist.csv?label={other_label}")).await;
    assert_eq!(csv.status(), StatusCode::NOT_FOUND);

    let staff = login(&app, "st@x.test", Role::Staff, Link::None).await;
    let any = staff.call("dashboard", &[("filters[label]", other_label.as_str())]).await;
    assert_eq!(any.status(), StatusCode::OK);
    let any: serde_json::Value = any.json().await.unwrap();
    assert_eq!(any["totals"]["amount"].as_str().map(dec), Some(dec("10.00")));
}

#[tokio::test]
async fn staff_see_every_label_suspense_and_conflicts() {
    use crate::conflicts::unmatched;
    let (_, pool) = crate::helpers::fresh_database().await;
    artist_and_label(&pool).await;
    artist_and_label(&pool).await;
    load(&pool, month("2026-03"), &[unmatched(Some("QZZZZ2600001"), None, "0.75")]).await;
    let everything = Source::Everything { currency: "USD".into() };
    let labels = rows(&pool, &everything, &Filters::default(), Dimension::Label).await;
    let amounts: Vec<Decimal> = labels.iter().map(|l| l.2).collect();
    assert_eq!(amounts, [dec("10.00"), dec("10.00"), dec("0.75")]);
    assert_eq!(labels[2].0, "Suspense (matches no track)");
    let o = ssr::overview(&pool, &everything, &Filters::default()).await.unwrap();
    assert_eq!(dec(&o.totals.amount), dec("20.75"));
    assert_eq!(o.totals.held, None, "held is per label currency: not summed across them");
    let watch = ssr::staff(&pool).await.unwrap();
    assert_eq!(watch.open_conflicts, 1, "the unmatched ISRC");
    assert_eq!(watch.recent_files.len(), 7);
}

/// Grants `role` reading every table and view but `hidden` (names or LIKE patterns).
async fn hide(pool: &PgPool, role: &str, hidden: &[&str]) -> Vec<String> {
    let patterns: Vec<String> = hidden.iter().map(|h| h.to_string()).collect();
    let hidden: Vec<String> = sqlx::query_scalar(
        "SELECT relname::text FROM pg_class
         WHERE relkind IN ('r', 'p', 'v') AND relname LIKE ANY ($1)",
    )
    .bind(&patterns)
    .fetch_all(pool)
    .await
    .unwrap();
    for table in &hidden {
        sqlx::query(&format!("REVOKE SELECT ON {table} FROM {role}")).execute(pool).await.unwrap();
    }
    hidden
}

/// Pages read the summaries, and the facts priced by their terms only for what needs a
/// track's territories or usage types (and an artist's few tracks): never the ledger,
/// which groups every fact at reading time.
#[tokio::test]
async fn dashboards_read_no_ledger_and_facts_only_where_summaries_have_nothing() {
    let (url, pool) = crate::helpers::fresh_database().await;
    let (artist, label, track) = artist_and_label(&pool).await;
    let role = format!("dashboards_{}", rand::random::<u32>());
    sqlx::query(&format!("CREATE ROLE {role} LOGIN")).execute(&pool).await.unwrap();
    sqlx::query(&format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        .execute(&pool)
        .await
        .unwrap();
    let hidden = hide(&pool, &role, &["ledger", "allocations"]).await;
    assert_eq!(hidden.len(), 2, "{hidden:?}");
    let reader_url = url.replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    let reader = PgPoolOptions::new().max_connections(1).connect(&reader_url).await.unwrap();
    let refused = sqlx::query("SELECT 1 FROM ledger LIMIT 1").execute(&reader).await;
    assert!(refused.is_err(), "the role really cannot read the ledger");

    let sources = [
        artist_source(artist),
        Source::Label { label, currency: "USD".into() },
        Source::Everything { currency: "USD".into() },
    ];
    let every_filter = filters(&[
        ("from", "2026-01"),
        ("to", "2026-12"),
        ("platform", "spotify"),
        ("territory", "US"),
        ("usage", "premium"),
        ("track", &track.to_string()),
    ]);
    for source in &sources {
        for f in [Filters::default(), every_filter.clone()] {
            let o = ssr::overview(&reader, source, &f).await.unwrap();
            assert!(o.totals.units > 0, "{source:?}");
            for by in Dimension::ALL {
                let state = TableState { by, sort: by.default_sort(), page: 1 };
                ssr::table_page(&reader, source, &f, state).await.unwrap();
            }
        }
    }
    // Over a period without a platform, a label's pages need no term either: its tracks
    // per month are kept (`track_months`).
    let terms = hide(&pool, &role, &["terms", "priced_terms"]).await;
    assert_eq!(terms.len(), 2, "{terms:?}");
    let period = filters(&[("from", "2026-01"), ("to", "2026-12")]);
    for f in [Filters::default(), period] {
        let label = Source::Label { label, currency: "USD".into() };
        let o = ssr::overview(&reader, &label, &f).await.unwrap();
        assert!(o.totals.units > 0 && o.comparison.is_some());
        for by in Dimension::ALL {
            let state = TableState { by, sort: by.default_sort(), page: 1 };
            ssr::table_page(&reader, &label, &f, state).await.unwrap();
        }
    }
    for table in ["terms", "priced_terms"] {
        sqlx::query(&format!("GRANT SELECT ON {table} TO {role}")).execute(&pool).await.unwrap();
    }
    // Without a track's places, a label's and everything's pages need no fact.
    // A view reads with its owner's rights: each view over the facts is hidden too.
    let over_facts = ["stream\\_facts%", "fact_terms", "priced_facts", "payee_summary", "ledger"];
    let hidden = hide(&pool, &role, &over_facts).await;
    assert!(hidden.len() >= 5, "the facts, their partitions and views: {hidden:?}");
    let refused = sqlx::query("SELECT 1 FROM stream_facts LIMIT 1").execute(&reader).await;
    assert!(refused.is_err(), "the role really cannot read the facts");
    let some_filters = filters(&[("from", "2026-01"), ("to", "2026-12"), ("platform", "spotify")]);
    for source in &sources[1..] {
        for f in [Filters::default(), some_filters.clone()] {
            let o = ssr::overview(&reader, source, &f).await.unwrap();
            assert!(o.totals.units > 0, "{source:?}");
            for by in Dimension::ALL {
                let state = TableState { by, sort: by.default_sort(), page: 1 };
                ssr::table_page(&reader, source, &f, state).await.unwrap();
            }
        }
    }
    let o = ssr::overview(&pool, &sources[0], &Filters::default()).await.unwrap();
    assert_eq!(dec(&o.totals.amount), dec("5.40"));
    assert!(!ssr::freshness(&reader).await.unwrap().is_empty());
    ssr::staff(&reader).await.unwrap();
    reader.close().await;
    sqlx::query(&format!("DROP OWNED BY {role}")).execute(&pool).await.unwrap();
    pool.close().await;
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url.rsplit_once('/').map(|(base, _)| format!("{base}/postgres")).unwrap())
        .await
        .unwrap();
    // Other test databases may hold grants to no one of this name: dropping may wait.
    let _ = sqlx::query(&format!("DROP ROLE IF EXISTS {role}")).execute(&admin).await;
}

/// `artist_and_label`'s artist, paid in dollars there, and also the one payee of a
/// second label's deal, in euros (no fee): (artist, the euro deal).
async fn artist_paid_in_euros(pool: &PgPool) -> (i64, crate::revenue::Deal) {
    let (artist, _, _) = artist_and_label(pool).await;
    let eur = deal(pool, "EUR", "0", &["1"], "2026-01").await;
    sqlx::query("UPDATE payees SET artist_id = $1 WHERE id = $2")
        .bind(artist)
        .bind(eur.payees[0])
        .execute(pool)
        .await
        .unwrap();
    (artist, eur)
}

#[tokio::test]
async fn an_artist_paid_in_two_currencies_sees_each_apart() {
    let app = TestApp::spawn().await;
    // The euro label pays the artist all of a line of 20.00 USD at 0.5.
    let (artist, eur) = artist_paid_in_euros(&app.pool).await;
    sqlx::query(
        "INSERT INTO exchange_rates (month, from_currency, to_currency, rate, source)
         VALUES ('2026-03-01', 'USD', 'EUR', 0.5, 'test')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    load(&app.pool, month("2026-03"), &[fact(&app.pool, &eur, "FR", "20.00").await]).await;

    let browser = login(&app, "ar@x.test", Role::Artist, Link::Artist(artist)).await;
    let main: serde_json::Value = browser.call("dashboard", &[]).await.json().await.unwrap();
    assert_eq!(main["currency"], "EUR", "the currency earned most in");
    assert_eq!(main["totals"]["amount"].as_str().map(dec), Some(dec("10.00")));
    assert_eq!(main["options"]["currencies"], serde_json::json!(["EUR", "USD"]));
    let usd = browser.call("dashboard", &[("filters[currency]", "USD")]).await;
    let usd: serde_json::Value = usd.json().await.unwrap();
    assert_eq!(usd["currency"], "USD");
    assert_eq!(
        usd["totals"]["amount"].as_str().map(dec),
        Some(dec("5.40")),
        "never added to the euros"
    );
    let csv = browser.get("/exports/platform.csv?currency=USD").await.text().await.unwrap();
    assert!(csv.lines().skip(1).all(|l| l.ends_with(",USD")), "{csv}");
}

/// Earnings waiting for an exchange rate are shown as waiting, in their own currency
/// (migration 27), and do not make that currency the one an artist's page opens on.
#[tokio::test]
async fn an_artists_earnings_awaiting_a_rate_are_counted_not_left_out() {
    let app = TestApp::spawn().await;
    let (artist, eur) = artist_paid_in_euros(&app.pool).await;
    // No USD -> EUR rate for March: the euro label's line waits for one.
    load(&app.pool, month("2026-03"), &[fact(&app.pool, &eur, "FR", "20.00").await]).await;

    let browser = login(&app, "ar@x.test", Role::Artist, Link::Artist(artist)).await;
    let main: serde_json::Value = browser.call("dashboard", &[]).await.json().await.unwrap();
    assert_eq!(main["options"]["currencies"], serde_json::json!(["USD", "EUR"]));
    assert_eq!(main["currency"], "USD", "the currency earned most in");
    assert_eq!(main["totals"]["amount"].as_str().map(dec), Some(dec("5.40")));
    assert_eq!(main["totals"]["awaiting"], 0);
    let eur = browser.call("dashboard", &[("filters[currency]", "EUR")]).await;
    let eur: serde_json::Value = eur.json().await.unwrap();
    assert_eq!(eur["totals"]["awaiting"], 1, "{eur}");
    assert_eq!(eur["totals"]["net"], serde_json::Value::Null, "unknown, not zero");
}

/// Within a territory a label's or everything's tracks are the facts priced by their
/// terms (`Summary::Facts`): a line waiting for a rate into the label's currency (or
/// staff's reporting currency) is counted as waiting, not priced and not left out; one
/// in that currency is priced.
#[tokio::test]
async fn lines_awaiting_a_rate_within_a_territory_are_counted() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let eur = deal(&pool, "EUR", "0", &["1"], "2026-01").await;
    let usd = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    // No USD -> EUR rate for March: the euro label's line waits for one. Nor EUR -> USD:
    // a line reported in euros waits for staff's dollars.
    let euros =
        crate::conflicts::Fact { currency: "EUR", ..fact(&pool, &usd, "DE", "10.00").await };
    let lines =
        [fact(&pool, &eur, "FR", "20.00").await, fact(&pool, &usd, "FR", "20.00").await, euros];
    load(&pool, month("2026-03"), &lines).await;
    let everything = Source::Everything { currency: "USD".into() };
    let by_track =
        TableState { by: Dimension::Track, sort: Dimension::Track.default_sort(), page: 1 };
    for (territory, awaiting, amount) in [("DE", 1, "0"), ("FR", 0, "40.00")] {
        let within = filters(&[("territory", territory)]);
        let page = ssr::table_page(&pool, &everything, &within, by_track).await.unwrap();
        let awaited: i64 = page.rows.iter().map(|r| r.awaiting).sum();
        let amounts: Decimal = page.rows.iter().map(|r| dec(&r.amount)).sum();
        assert_eq!((awaited, amounts), (awaiting, dec(amount)), "staff, {territory}");
    }
    let within = filters(&[("territory", "FR")]);
    let by_track =
        TableState { by: Dimension::Track, sort: Dimension::Track.default_sort(), page: 1 };
    for (deal, currency, awaiting, amount) in [(&eur, "EUR", 1, "0"), (&usd, "USD", 0, "20.00")] {
        let source = Source::Label { label: deal.label, currency: currency.into() };
        let page = ssr::table_page(&pool, &source, &within, by_track).await.unwrap();
        let [row] = page.rows.as_slice() else { panic!("{currency}: {:?}", page.rows) };
        assert_eq!((row.awaiting, dec(&row.amount)), (awaiting, dec(amount)), "{currency}");
        assert_eq!(row.units, 1000, "{currency}: the streams are counted either way");
    }
}

#[tokio::test]
async fn an_artist_with_two_payees_on_a_track_counts_its_streams_once() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let d = deal(&pool, "USD", "0.1", &["0.6", "0.4"], "2026-01").await;
    let artist: i64 = sqlx::query_scalar("SELECT artist_id FROM releases WHERE id = $1")
        .bind(d.release)
        .fetch_one(&pool)
        .await
        .unwrap();
    // Both payees of the track are this artist (under their name and their company's).
    sqlx::query("UPDATE payees SET artist_id = $1 WHERE id = ANY($2)")
        .bind(artist)
        .bind(&d.payees)
        .execute(&pool)
        .await
        .unwrap();
    load(&pool, month("2026-02"), &[fact(&pool, &d, "US", "2.00").await]).await;
    let source = artist_source(artist);
    let t = query::totals(&pool, &source, &Filters::default(), None).await.unwrap();
    assert_eq!((t.units, dec(&t.amount)), (1000, dec("1.80")), "0.9 of 2.00, 1,000 streams once");
    assert_eq!(t.per_stream.as_deref(), Some("0.0018"));
    let territories = rows(&pool, &source, &Filters::default(), Dimension::Territory).await;
    assert_eq!(territories, [("US".to_string(), 1000, dec("1.80"))]);
}

/// A label's sums are read with `db::Numeric` rather than sqlx's `Decimal` conversion:
/// the two must agree, value and scale, for every shape a sum of money takes, and for
/// those `Numeric` hands back to sqlx (more than 28 places, more than 96 bits).
#[tokio::test]
async fn numerics_read_fast_are_sqlxs_decimals() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let values = [
        "0",
        "0.00",
        "1",
        "1.50",
        "-1.5",
        "10000",
        "1e20",
        "-0.000123",
        "99999999.99990000",
        "123456789.123456789",
        "12345678901234567890.12345678",
        "0.0000000000000000000000000001",
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "1.0000000000000000000000000000001",
        "0.1234567890123456789012345678901",
    ];
    let rows = sqlx::query("SELECT s::numeric, s::numeric FROM unnest($1::text[]) AS s")
        .bind(values)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), values.len());
    let mut read = 0;
    for (row, text) in rows.iter().zip(values) {
        let fast = row.try_get::<app::db::Numeric, _>(0).map(|n| n.0);
        let sqlxs = row.try_get::<Decimal, _>(1);
        // What sqlx cannot read (past 28 places) is refused alike.
        assert_eq!(fast.is_ok(), sqlxs.is_ok(), "{text}");
        if let (Ok(fast), Ok(sqlxs)) = (fast, sqlxs) {
            assert_eq!((fast, fast.to_string()), (sqlxs, sqlxs.to_string()), "{text}");
            read += 1;
        }
    }
    assert!(read >= values.len() - 2, "only the last two are beyond a Decimal");
}
