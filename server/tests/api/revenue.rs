//! The allocation ledger against the real SQL: hand-computed answers for each rule, and
//! properties over random facts, contracts, rates and holds.

use crate::helpers::fresh_database;
use app::domain::{Month, Territory, Upc};
use app::revenue::holds::{self, NewHold};
use app::revenue::ledger::{self, Scope};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng};
use rust_decimal::Decimal;
use server::import::{Imported, exchange_rates::ExchangeRates, import_file};
use sqlx::PgPool;
use std::sync::atomic::{AtomicU32, Ordering};

/// One reported line, as a test writes it.
#[derive(Debug, Clone)]
pub struct Line {
    pub track: Option<i64>,
    pub territory: &'static str,
    pub usage: &'static str,
    pub units: i64,
    pub gross: Decimal,
    pub currency: &'static str,
}

pub fn line(track: Option<i64>, gross: &str, currency: &'static str) -> Line {
    Line { track, territory: "US", usage: "premium", units: 1000, gross: dec(gross), currency }
}

pub fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

pub fn month(text: &str) -> Month {
    text.parse().unwrap()
}

/// A label with one release of one track, a payee per share and a release contract
/// from `from` (none when `shares` is empty).
pub struct Deal {
    pub label: i64,
    pub release: i64,
    pub track: i64,
    pub payees: Vec<i64>,
}

pub async fn deal(pool: &PgPool, currency: &str, fee: &str, shares: &[&str], from: &str) -> Deal {
    let tag = rand::random::<u32>();
    let label: i64 = sqlx::query_scalar(
        "INSERT INTO labels (name, accounting_currency) VALUES ($1, $2) RETURNING id",
    )
    .bind(format!("Label {tag}"))
    .bind(currency)
    .fetch_one(pool)
    .await
    .unwrap();
    let artist: i64 = sqlx::query_scalar("INSERT INTO artists (name) VALUES ($1) RETURNING id")
        .bind(format!("Artist {tag}"))
        .fetch_one(pool)
        .await
        .unwrap();
    let upc =
        Upc::with_check_digit(&format!("{:011}", rand::random::<u64>() % 100_000_000_000)).unwrap();
    let release: i64 = sqlx::query_scalar(
        "INSERT INTO releases (label_id, artist_id, upc, title) VALUES ($1, $2, $3, 'R') RETURNING id",
    )
    .bind(label)
    .bind(artist)
    .bind(upc.gtin13())
    .fetch_one(pool)
    .await
    .unwrap();
    let track: i64 = sqlx::query_scalar(
        "INSERT INTO tracks (release_id, isrc, title, track_number) VALUES ($1, $2, 'T', 1) RETURNING id",
    )
    .bind(release)
    .bind(format!("QZ{:010}", rand::random::<u64>() % 10_000_000_000))
    .fetch_one(pool)
    .await
    .unwrap();
    let mut payees = Vec::new();
    for (i, _) in shares.iter().enumerate() {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO payees (label_id, name, kind, currency) VALUES ($1, $2, 'artist', $3) RETURNING id",
        )
        .bind(label)
        .bind(format!("Payee {i}"))
        .bind(currency)
        .fetch_one(pool)
        .await
        .unwrap();
        payees.push(id);
    }
    let deal = Deal { label, release, track, payees };
    if !shares.is_empty() {
        contract(pool, &deal, Subject::Release, fee, shares, from, None).await;
    }
    deal
}

pub enum Subject {
    Release,
    Track,
}

pub async fn contract(
    pool: &PgPool,
    deal: &Deal,
    subject: Subject,
    fee: &str,
    shares: &[&str],
    from: &str,
    to: Option<&str>,
) -> i64 {
    let (release, track) = match subject {
        Subject::Release => (Some(deal.release), None),
        Subject::Track => (None, Some(deal.track)),
    };
    let mut tx = pool.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO contracts (release_id, track_id, distribution_fee, valid_from, valid_to)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(release)
    .bind(track)
    .bind(dec(fee))
    .bind(month(from).first_day())
    .bind(to.map(|m| month(m).first_day()))
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    for (payee, share) in deal.payees.iter().zip(shares) {
        sqlx::query(
            "INSERT INTO contract_splits (contract_id, payee_id, share) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(payee)
        .bind(dec(share))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    ledger::allocate(&mut tx, &Scope::Tracks(vec![deal.track])).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Writes a loaded report file of `lines` for `month` and allocates it, as the loader
/// does after its COPY.
pub async fn report(pool: &PgPool, month: Month, lines: &[Line]) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let file = new_file(&mut tx, month).await;
    for (number, l) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO stream_facts (report_file_id, line_number, accounting_month, period_start,
                 period_end, platform, territory, usage_type, track_id, title, artist, units,
                 gross, currency, label_id)
             VALUES ($1, $2, $3, $3, $4, 'spotify', $5, $6, $7, 'T', 'A', $8, $9, $10,
                     (SELECT r.label_id FROM tracks t JOIN releases r ON r.id = t.release_id
                      WHERE t.id = $7))",
        )
        .bind(file)
        .bind(number as i64 + 1)
        .bind(month.first_day())
        .bind(month.last_day())
        .bind(l.territory)
        .bind(l.usage)
        .bind(l.track)
        .bind(l.units)
        .bind(l.gross)
        .bind(l.currency)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    close_file(&mut tx, file).await;
    tx.commit().await.unwrap();
    file
}

/// A loaded Spotify report file for `month`, with no lines yet (the test writes them).
pub async fn new_file(tx: &mut sqlx::PgConnection, month: Month) -> i64 {
    server::ingest::loader::ensure_partition(tx, month).await.unwrap();
    sqlx::query_scalar(
        "INSERT INTO report_files (sha256, file_name, size_bytes, source, status, platform,
                                   sender, period_start, period_end, accounting_month)
         VALUES (encode(sha256(random()::text::bytea), 'hex'), 'spotify.tsv', 0, 'command_line',
                 'loaded', 'spotify', 'Spotify', $1, $2, $1)
         RETURNING id",
    )
    .bind(month.first_day())
    .bind(month.last_day())
    .fetch_one(&mut *tx)
    .await
    .unwrap()
}

/// What the loader and the allocation stage do after a file's lines are written: its
/// totals, then allocation.
pub async fn close_file(tx: &mut sqlx::PgConnection, file: i64) {
    sqlx::query(
        "INSERT INTO report_file_totals (report_file_id, currency, gross)
         SELECT report_file_id, currency, sum(gross) FROM stream_facts
         WHERE report_file_id = $1 GROUP BY 1, 2",
    )
    .bind(file)
    .execute(&mut *tx)
    .await
    .unwrap();
    ledger::allocate(tx, &Scope::Files(vec![file])).await.unwrap();
    sqlx::query("UPDATE report_files SET allocated_at = now() WHERE id = $1")
        .bind(file)
        .execute(&mut *tx)
        .await
        .unwrap();
}

/// gross = allocated + held + suspense for every file with facts, each term from its
/// own rows.
pub async fn assert_balanced(pool: &PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    let balances = ledger::balances(&mut conn, None).await.unwrap();
    for b in &balances {
        assert!(b.balances, "file {} does not balance: {b:?}", b.report_file_id);
    }
    assert_each_fact_under_one_term(pool).await;
}

/// Every fact of an allocated file is under exactly one of its terms (the `ledger` view
/// is the facts times them: a fact under none would be lost from it, under two counted
/// twice). The lines of a file that is not allocated yet have none, and so have a
/// reversed file's (they cancel their reversals: nothing to allocate).
async fn assert_each_fact_under_one_term(pool: &PgPool) {
    let astray: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' ', f.report_file_id, f.line_number, f.reversal, f.track_id,
                          f.territory, n.terms)
         FROM stream_facts f
         JOIN report_files r ON r.id = f.report_file_id AND r.allocated_at IS NOT NULL
         CROSS JOIN LATERAL (
             SELECT count(*) AS terms FROM terms t
             WHERE t.report_file_id = f.report_file_id
               AND coalesce(t.track_id, 0) = coalesce(f.track_id, 0)
               AND t.accounting_month = f.accounting_month AND t.currency = f.currency
               AND (t.territory = f.territory OR (t.territory IS NULL
                    AND NOT f.territory = ANY (coalesce(t.exceptions, '{}'))))
         ) n
         WHERE n.terms <> CASE WHEN EXISTS (
                   SELECT 1 FROM stream_facts x
                   WHERE x.report_file_id = f.report_file_id AND x.reversal) THEN 0 ELSE 1 END
         LIMIT 5",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        astray.is_empty(),
        "facts not under exactly one term (file line ... terms): {astray:?}"
    );
}

/// A file's ledger as (state, reason, beneficiary, payee, label amount), sorted.
type Part = (String, Option<String>, String, Option<i64>, Option<Decimal>);

async fn parts(pool: &PgPool, file: i64) -> Vec<Part> {
    sqlx::query_as(
        "SELECT state, hold_reason, beneficiary, payee_id, amount FROM allocations
         WHERE report_file_id = $1 ORDER BY state, beneficiary, payee_id, amount",
    )
    .bind(file)
    .fetch_all(pool)
    .await
    .unwrap()
}

fn allocated(beneficiary: &str, payee: Option<i64>, amount: &str) -> Part {
    ("allocated".into(), None, beneficiary.into(), payee, Some(dec(amount)))
}

#[tokio::test]
async fn the_fee_comes_off_first_and_the_rest_is_split() {
    let (_, pool) = fresh_database().await;
    let d = deal(&pool, "USD", "0.15", &["0.7", "0.3"], "2026-01").await;
    let file = report(&pool, month("2026-03"), &[line(Some(d.track), "10.00", "USD")]).await;
    assert_eq!(
        parts(&pool, file).await,
        [
            allocated("distributor", None, "1.50"),
            allocated("payee", Some(d.payees[0]), "5.95"),
            allocated("payee", Some(d.payees[1]), "2.55"),
        ]
    );
    assert_balanced(&pool).await;
}

#[tokio::test]
async fn gross_is_converted_at_the_months_rate_and_waits_for_a_missing_one() {
    let (_, pool) = fresh_database().await;
    let d = deal(&pool, "EUR", "0.2", &["1"], "2026-01").await;
    let file = report(&pool, month("2026-03"), &[line(Some(d.track), "10", "USD")]).await;
    assert_eq!(
        parts(&pool, file).await,
        [("held".into(), Some("missing_rate".into()), "undivided".into(), None, None)],
        "no USD to EUR rate for March yet"
    );
    assert_balanced(&pool).await;

    // The import of the rate re-allocates what waited for it.
    let dir = tempfile::tempdir().unwrap();
    let rates = dir.path().join("rates.csv");
    std::fs::write(&rates, "month,from_currency,to_currency,rate\n2026-03,USD,EUR,0.9\n").unwrap();
    let imported = import_file::<ExchangeRates>(&pool, &rates).await.unwrap();
    assert!(matches!(imported, Imported::Written(1)));
    assert_eq!(
        parts(&pool, file).await,
        [allocated("distributor", None, "1.80"), allocated("payee", Some(d.payees[0]), "7.20")]
    );
    assert_balanced(&pool).await;
}

#[tokio::test]
async fn without_a_contract_in_force_revenue_is_held_and_a_tracks_contract_wins() {
    let (_, pool) = fresh_database().await;
    let d = deal(&pool, "USD", "0.1", &["0.5", "0.5"], "2026-04").await;
    let march = report(&pool, month("2026-03"), &[line(Some(d.track), "4", "USD")]).await;
    let april = report(&pool, month("2026-04"), &[line(Some(d.track), "4", "USD")]).await;
    assert_eq!(
        parts(&pool, march).await,
        [("held".into(), Some("no_contract".into()), "undivided".into(), None, Some(dec("4")))],
        "the release's contract starts in April"
    );
    assert_eq!(parts(&pool, april).await.len(), 3);

    // A contract for the track itself, for April only, overrides the release's.
    contract(&pool, &d, Subject::Track, "0.25", &["1"], "2026-04", Some("2026-04")).await;
    assert_eq!(
        parts(&pool, april).await,
        [allocated("distributor", None, "1.00"), allocated("payee", Some(d.payees[0]), "3.00")]
    );
    assert_eq!(parts(&pool, march).await[0].1.as_deref(), Some("no_contract"));
    assert_balanced(&pool).await;
}

#[tokio::test]
async fn held_revenue_is_released_as_if_never_held() {
    let (_, pool) = fresh_database().await;
    let d = deal(&pool, "USD", "0.15", &["0.6", "0.4"], "2026-01").await;
    let lines = [
        line(Some(d.track), "3.00", "USD"),
        Line { territory: "GB", ..line(Some(d.track), "1.00", "USD") },
    ];
    let file = report(&pool, month("2026-03"), &lines).await;
    let before = parts(&pool, file).await;

    let hold = NewHold {
        track_id: d.track,
        territory: Territory::parse("US").unwrap(),
        from: month("2026-02"),
        to: None,
        reason: "two owners claim it".into(),
    };
    let mut tx = pool.begin().await.unwrap();
    let hold_id = holds::place(&mut tx, &hold, None).await.unwrap();
    tx.commit().await.unwrap();
    let held: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT territory::text, sum(gross) FROM allocations
         WHERE report_file_id = $1 AND state = 'held' GROUP BY 1",
    )
    .bind(file)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(held, [("US".to_string(), dec("3.00"))], "only the territory on hold");
    assert_balanced(&pool).await;

    let mut tx = pool.begin().await.unwrap();
    holds::release(&mut tx, hold_id, None, "ours after all").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(parts(&pool, file).await, before);
    assert_balanced(&pool).await;
}

#[tokio::test]
async fn unmatched_lines_go_to_suspense_and_corrections_may_be_negative() {
    let (_, pool) = fresh_database().await;
    let d = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    let lines = [
        line(Some(d.track), "2.00", "USD"),
        line(Some(d.track), "-0.50", "USD"),
        line(None, "0.0003", "USD"),
    ];
    let file = report(&pool, month("2026-03"), &lines).await;
    assert_eq!(
        parts(&pool, file).await,
        [
            allocated("payee", Some(d.payees[0]), "1.50"),
            ("suspense".into(), None, "undivided".into(), None, None),
        ],
        "no fee row at a zero fee; the correction nets within its group"
    );
    let mut conn = pool.acquire().await.unwrap();
    let balance = &ledger::balances(&mut conn, Some(&[file])).await.unwrap()[0];
    assert_eq!(
        (balance.gross.as_str(), balance.allocated.as_str(), balance.suspense.as_str()),
        ("1.5003", "1.50", "0.0003")
    );
}

// Properties over random cases, each on its own label and files in one database.

#[derive(Debug, Clone)]
struct Case {
    label_currency: &'static str,
    fee: Decimal,
    /// Empty: no contract.
    shares: Vec<Decimal>,
    /// Rates into the label's currency for the month, by reported currency (None: missing).
    rates: Vec<(&'static str, Option<Decimal>)>,
    hold: Option<&'static str>,
    lines: Vec<Line>,
    replacement: Vec<Line>,
}

static NEXT_MONTH: AtomicU32 = AtomicU32::new(0);

const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];
const TERRITORIES: [&str; 3] = ["US", "GB", "DE"];
const USAGES: [&str; 4] = ["ad_supported", "premium", "ugc", "download"];

/// Shares in millionths that sum to exactly one.
fn shares() -> impl Strategy<Value = Vec<Decimal>> {
    prop::collection::vec(1u32..1_000_000, 0..4).prop_map(|mut cuts| {
        cuts.sort_unstable();
        cuts.dedup();
        let mut edges = vec![0];
        edges.extend(cuts);
        edges.push(1_000_000);
        edges.windows(2).map(|w| Decimal::new(i64::from(w[1] - w[0]), 6)).collect()
    })
}

/// Lines with a placeholder track (`Some(0)`), filled in once the deal exists.
fn lines() -> impl Strategy<Value = Vec<Line>> {
    let one = (
        prop::bool::weighted(0.85),
        0..TERRITORIES.len(),
        0..USAGES.len(),
        -5i64..5000,
        -1_000_000_000i64..100_000_000_000,
        0..CURRENCIES.len(),
    )
        .prop_map(|(matched, territory, usage, units, gross, currency)| Line {
            track: matched.then_some(0),
            territory: TERRITORIES[territory],
            usage: USAGES[usage],
            units,
            gross: Decimal::new(gross, 10),
            currency: CURRENCIES[currency],
        });
    prop::collection::vec(one, 1..25)
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..CURRENCIES.len(),
        0u32..5000,
        prop::option::weighted(0.85, shares()),
        prop::collection::vec(prop::option::weighted(0.8, 1i64..300_000), 3),
        prop::option::weighted(0.3, 0..TERRITORIES.len()),
        lines(),
        lines(),
    )
        .prop_map(|(label, fee, shares, rates, hold, lines, replacement)| Case {
            label_currency: CURRENCIES[label],
            fee: Decimal::new(i64::from(fee), 4),
            shares: shares.unwrap_or_default(),
            rates: CURRENCIES
                .iter()
                .zip(rates)
                .map(|(c, r)| (*c, r.map(|r| Decimal::new(r, 5))))
                .collect(),
            hold: hold.map(|t| TERRITORIES[t]),
            lines,
            replacement,
        })
}

/// The whole ledger of `files`, without file ids, as comparable text.
async fn ledger_of(pool: &PgPool, files: &[i64]) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT concat_ws('|', accounting_month, track_id, platform, territory, usage_type,
                currency, state, hold_reason, beneficiary, payee_id, contract_id, label_id,
                units, gross, label_currency, rate, amount)
         FROM allocations WHERE report_file_id = ANY($1) ORDER BY 1",
    )
    .bind(files)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn check(pool: &PgPool, case: Case) -> Result<(), TestCaseError> {
    let shares: Vec<String> = case.shares.iter().map(ToString::to_string).collect();
    let shares: Vec<&str> = shares.iter().map(String::as_str).collect();
    let fee = case.fee.to_string();
    let d = deal(pool, case.label_currency, &fee, &shares, "2000-01").await;
    // A month of its own, so that its exchange rates are this case's alone.
    let may = month("2000-01");
    let may = (0..NEXT_MONTH.fetch_add(1, Ordering::Relaxed)).fold(may, |m, _| m.next());
    for (currency, rate) in &case.rates {
        if let (Some(rate), true) = (rate, *currency != case.label_currency) {
            sqlx::query(
                "INSERT INTO exchange_rates (month, from_currency, to_currency, rate, source)
                 VALUES ($1, $2, $3, $4, 'test') ON CONFLICT DO NOTHING",
            )
            .bind(may.first_day())
            .bind(currency)
            .bind(case.label_currency)
            .bind(rate)
            .execute(pool)
            .await
            .unwrap();
        }
    }
    if let Some(territory) = case.hold {
        let hold = NewHold {
            track_id: d.track,
            territory: Territory::parse(territory).unwrap(),
            from: may,
            to: Some(may),
            reason: "test".into(),
        };
        let mut tx = pool.begin().await.unwrap();
        holds::place(&mut tx, &hold, None).await.unwrap();
        tx.commit().await.unwrap();
    }
    let ours = |lines: &[Line]| -> Vec<Line> {
        lines.iter().map(|l| Line { track: l.track.map(|_| d.track), ..l.clone() }).collect()
    };
    let old = report(pool, may, &ours(&case.lines)).await;
    let once = ledger_of(pool, &[old]).await;
    let mut tx = pool.begin().await.unwrap();
    ledger::allocate(&mut tx, &Scope::Files(vec![old])).await.unwrap();
    ledger::allocate(&mut tx, &Scope::Tracks(vec![d.track])).await.unwrap();
    tx.commit().await.unwrap();
    prop_assert_eq!(&ledger_of(pool, &[old]).await, &once, "allocating again changed the ledger");

    // Supersede: the old file is reversed and the new one loaded.
    let mut tx = pool.begin().await.unwrap();
    app::ingestion::ssr::reverse_file(&mut tx, old, "superseded", None).await.unwrap();
    tx.commit().await.unwrap();
    let new = report(pool, may, &ours(&case.replacement)).await;
    let alone = report(pool, may, &ours(&case.replacement)).await;
    prop_assert_eq!(ledger_of(pool, &[old, new]).await, ledger_of(pool, &[alone]).await);

    let mut conn = pool.acquire().await.unwrap();
    for b in ledger::balances(&mut conn, Some(&[old, new, alone])).await.unwrap() {
        prop_assert!(b.balances, "file {} does not balance: {:?}", b.report_file_id, b);
    }
    let label_rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM allocations WHERE label_id <> $1 AND track_id = $2",
    )
    .bind(d.label)
    .bind(d.track)
    .fetch_one(pool)
    .await
    .unwrap();
    prop_assert_eq!(label_rows, 0);
    Ok(())
}

#[test]
fn the_ledger_balances_repeats_and_supersedes_cleanly_for_random_cases() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_, pool) = runtime.block_on(fresh_database());
    let config = ProptestConfig { cases: 64, failure_persistence: None, ..Default::default() };
    // A fixed seed: the same cases each run, so the check below that they reached every
    // state is stable. Change the seed to explore others.
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(config, rng);
    runner.run(&case(), |case| runtime.block_on(check(&pool, case))).unwrap();

    // The cases reached every state, so the properties were tested on each.
    let reached: Vec<String> = runtime
        .block_on(
            sqlx::query_scalar(
                "SELECT DISTINCT concat_ws(' ', state, hold_reason, beneficiary) FROM allocations
                 ORDER BY 1",
            )
            .fetch_all(&pool),
        )
        .unwrap();
    assert_eq!(
        reached,
        [
            "allocated distributor",
            "allocated payee",
            "held conflict distributor",
            "held conflict payee",
            "held conflict undivided",
            "held missing_rate undivided",
            "held no_contract undivided",
            "suspense undivided"
        ]
    );
}

#[tokio::test]
async fn an_amount_leads_back_to_its_files_and_lines_and_its_rate_per_stream() {
    use app::domain::{Platform, Territory};
    let (_, pool) = fresh_database().await;
    let d = deal(&pool, "USD", "0.15", &["1"], "2025-01").await;
    let lines =
        [line(Some(d.track), "3", "USD"), line(None, "9", "USD"), line(Some(d.track), "2", "USD")];
    let file = report(&pool, month("2025-03"), &lines).await;
    let us = Territory::parse("US").unwrap();
    let found = app::revenue::ssr::lineage(&pool, d.track, Platform::Spotify, us, month("2025-03"))
        .await
        .unwrap();
    assert_eq!(found.files.len(), 1);
    assert_eq!((found.files[0].id, found.files[0].lines.clone()), (file, vec![1, 3]));
    assert_eq!(found.per_stream[0].said, "0.002500 USD per stream, Spotify premium, US, 2025-03");
}

/// Allocation changes settings for single statements (more memory for the terms, no
/// hashing for the months' roll-up, parallel workers and no sorting for the label
/// roll-up: `db::LocalSettings`); the rest of the caller's transaction runs with what
/// allocation set for all of it, and otherwise as the pool's readers do.
#[tokio::test]
async fn allocation_sets_back_what_it_raised_for_one_statement() {
    let (_, pool) = fresh_database().await;
    let mut tx = pool.begin().await.unwrap();
    let file = new_file(&mut tx, month("2026-03")).await;
    close_file(&mut tx, file).await;
    let settings: Vec<String> = sqlx::query_scalar(
        "SELECT current_setting(name) FROM UNNEST($1::text[]) WITH ORDINALITY AS s(name, n)
         ORDER BY n",
    )
    .bind(["work_mem", "max_parallel_workers_per_gather", "enable_hashagg", "enable_sort"])
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    assert_eq!(settings, ["256MB", "0", "on", "on"]);
}
