//! Ownership conflicts against the real SQL: each kind found on crafted data and not on
//! its near miss, detection run twice changing nothing, causes that go away dismissing
//! their conflict, and every decision moving exactly what was held while the ledger
//! keeps balancing.

use crate::revenue::{Deal, assert_balanced, close_file, deal, dec, month, new_file};
use app::conflicts::decide::{self, Action, Decision};
use app::conflicts::detect::{self, Outcome, Scope};
use app::domain::{Isrc, Month};
use rust_decimal::Decimal;
use sqlx::PgPool;

/// A reported line as these tests write it: the catalog's ISRC, title and artist
/// unless told otherwise.
#[derive(Debug, Clone)]
pub struct Fact {
    pub track: Option<i64>,
    pub isrc: Option<String>,
    pub platform_id: Option<&'static str>,
    pub title: String,
    pub artist: String,
    pub territory: &'static str,
    pub gross: Decimal,
    pub currency: &'static str,
    pub collector: Option<&'static str>,
}

pub async fn fact(pool: &PgPool, d: &Deal, territory: &'static str, gross: &str) -> Fact {
    let (isrc, title, artist): (String, String, String) = sqlx::query_as(
        "SELECT t.isrc::text, t.title, a.name FROM tracks t JOIN releases r ON r.id = t.release_id
         JOIN artists a ON a.id = r.artist_id WHERE t.id = $1",
    )
    .bind(d.track)
    .fetch_one(pool)
    .await
    .unwrap();
    Fact {
        track: Some(d.track),
        isrc: Some(isrc),
        platform_id: None,
        title,
        artist,
        territory,
        gross: dec(gross),
        currency: "USD",
        collector: None,
    }
}

pub fn unmatched(isrc: Option<&str>, platform_id: Option<&'static str>, gross: &str) -> Fact {
    Fact {
        track: None,
        isrc: isrc.map(str::to_string),
        platform_id,
        title: "Someone Else's Song".into(),
        artist: "Nobody We Know".into(),
        territory: "US",
        gross: dec(gross),
        currency: "USD",
        collector: None,
    }
}

/// Loads a Spotify report of `facts` for `month` as the loader does: facts, then
/// allocation, then detection of what the file touched, in one transaction.
pub async fn load(pool: &PgPool, month: Month, facts: &[Fact]) -> i64 {
    load_on(pool, month, "spotify", facts).await
}

/// [`load`], the report being `platform`'s.
pub async fn load_on(pool: &PgPool, month: Month, platform: &str, facts: &[Fact]) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let file = new_file(&mut tx, month).await;
    sqlx::query("UPDATE report_files SET platform = $2 WHERE id = $1")
        .bind(file)
        .bind(platform)
        .execute(&mut *tx)
        .await
        .unwrap();
    for (number, f) in facts.iter().enumerate() {
        sqlx::query(
            "INSERT INTO stream_facts (report_file_id, line_number, accounting_month, period_start,
                 period_end, platform, territory, usage_type, isrc, platform_track_id, track_id,
                 title, artist, units, gross, currency, collector, label_id)
             VALUES ($1, $2, $3, $3, $4, $14, $5, 'premium', $6, $7, $8, $9, $10, 1000,
                     $11, $12, $13, (SELECT r.label_id FROM tracks t
                                     JOIN releases r ON r.id = t.release_id WHERE t.id = $8))",
        )
        .bind(file)
        .bind(number as i64 + 1)
        .bind(month.first_day())
        .bind(month.last_day())
        .bind(f.territory)
        .bind(&f.isrc)
        .bind(f.platform_id)
        .bind(f.track)
        .bind(&f.title)
        .bind(&f.artist)
        .bind(f.gross)
        .bind(f.currency)
        .bind(f.collector)
        .bind(platform)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    close_file(&mut tx, file).await;
    detect::detect(&mut tx, &Scope::Files(vec![file])).await.unwrap();
    tx.commit().await.unwrap();
    file
}

pub async fn claim(
    pool: &PgPool,
    track: i64,
    party: &str,
    share: &str,
    territories: &[&str],
    (from, to): (&str, Option<&str>),
    source: &str,
) {
    let territories: Vec<String> = territories.iter().map(|t| t.to_string()).collect();
    sqlx::query(
        "INSERT INTO ownership_claims (track_id, party, share, territories, valid_from, valid_to, source)
         VALUES ($1, $2, $3, $4, $5::date, $6::date, $7)",
    )
    .bind(track)
    .bind(party)
    .bind(dec(share))
    .bind(&territories)
    .bind(from)
    .bind(to)
    .bind(source)
    .execute(pool)
    .await
    .unwrap();
    // As every change of claims in the app is (imports, edits, decisions): a file's
    // detection takes the claims as already looked at.
    detect_tracks(pool, &[track]).await;
}

async fn detect_tracks(pool: &PgPool, tracks: &[i64]) -> Outcome {
    let mut tx = pool.begin().await.unwrap();
    let outcome = detect::detect(&mut tx, &Scope::Tracks(tracks.to_vec())).await.unwrap();
    tx.commit().await.unwrap();
    outcome
}

/// (kind, status, held) of every conflict on `track`.
async fn conflicts_of(pool: &PgPool, track: i64) -> Vec<(i64, String, String, Option<Decimal>)> {
    sqlx::query_as("SELECT id, kind, status, held FROM conflicts WHERE track_id = $1 ORDER BY id")
        .bind(track)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The track's ledger in the label's currency: (state, beneficiary) -> amount.
async fn ledger_of(pool: &PgPool, track: i64) -> Vec<(String, String, Decimal)> {
    sqlx::query_as(
        "SELECT state, beneficiary, sum(gross) FROM allocations WHERE track_id = $1
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(track)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn amount(pool: &PgPool, track: i64, state: &str, beneficiary: &str) -> Decimal {
    ledger_of(pool, track)
        .await
        .into_iter()
        .filter(|(s, b, _)| s == state && b == beneficiary)
        .map(|(_, _, a)| a)
        .sum()
}

pub async fn staff(pool: &PgPool) -> i64 {
    crate::helpers::user(
        pool,
        &format!("staff{}@x.test", rand::random::<u32>()),
        app::domain::Role::Staff,
        app::users::Link::None,
    )
    .await
}

pub async fn act(
    pool: &PgPool,
    user: i64,
    id: i64,
    action: Action,
) -> Result<String, app::error::AppError> {
    decide::act_on_all(pool, user, &[id], &action, "decided in a test").await
}

/// Two claims on one track: ours worldwide and another party's in the US from March,
/// which add up to 150% in the US from March; US and GB lines for February and March.
pub async fn overlap(pool: &PgPool) -> (Deal, i64) {
    let d = deal(pool, "USD", "0.1", &["0.6", "0.4"], "2026-01").await;
    claim(pool, d.track, "Our Label", "1", &["WW"], ("2026-01-01", None), "delivery").await;
    claim(pool, d.track, "Harmony Rights", "0.5", &["US"], ("2026-03-01", None), "platform_report")
        .await;
    let feb = [fact(pool, &d, "US", "2.00").await];
    load(pool, month("2026-02"), &feb).await;
    let mar = [fact(pool, &d, "US", "3.00").await, fact(pool, &d, "GB", "1.00").await];
    load(pool, month("2026-03"), &mar).await;
    let conflicts = conflicts_of(pool, d.track).await;
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let (id, kind, status, held) = conflicts[0].clone();
    assert_eq!((kind.as_str(), status.as_str()), ("overlapping_claims", "open"));
    assert_eq!(held, Some(dec("3.00")), "only the US from March is held");
    assert_eq!(
        amount(pool, d.track, "held", "payee").await
            + amount(pool, d.track, "held", "distributor").await,
        dec("3.00")
    );
    assert_balanced(pool).await;
    (d, id)
}

#[tokio::test]
async fn overlapping_claims_are_held_where_they_overlap_and_near_misses_are_not_flagged() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let (d, _) = overlap(&pool).await;

    // Running detection again opens nothing and changes nothing.
    assert_eq!(detect_tracks(&pool, &[d.track]).await, Outcome::default());
    let mut tx = pool.begin().await.unwrap();
    detect::detect(&mut tx, &Scope::All).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(conflicts_of(&pool, d.track).await.len(), 1);

    // Near misses: exactly 100%, and back-to-back claims that never overlap.
    let exact = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    claim(&pool, exact.track, "Our Label", "0.6", &["WW"], ("2026-01-01", None), "delivery").await;
    claim(&pool, exact.track, "Co-owner", "0.4", &["US"], ("2026-01-01", None), "manual").await;
    let adjacent = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    claim(
        &pool,
        adjacent.track,
        "Old Owner",
        "1",
        &["US"],
        ("2025-01-01", Some("2026-02-28")),
        "manual",
    )
    .await;
    claim(&pool, adjacent.track, "Our Label", "1", &["WW"], ("2026-03-01", None), "delivery").await;
    assert_eq!(detect_tracks(&pool, &[exact.track, adjacent.track]).await, Outcome::default());
    assert!(conflicts_of(&pool, exact.track).await.is_empty());
    assert!(conflicts_of(&pool, adjacent.track).await.is_empty());

    // The other party's claim is withdrawn: the conflict is dismissed, saying why, and
    // what it held is allocated again.
    sqlx::query("UPDATE ownership_claims SET withdrawn_at = now() WHERE party = 'Harmony Rights'")
        .execute(&pool)
        .await
        .unwrap();
    let outcome = detect_tracks(&pool, &[d.track]).await;
    assert_eq!(outcome.dismissed, 1);
    let (id, _, status, held) = conflicts_of(&pool, d.track).await[0].clone();
    assert_eq!((status.as_str(), held), ("dismissed", Some(Decimal::ZERO)));
    let why: String = sqlx::query_scalar(
        "SELECT note FROM conflict_events WHERE conflict_id = $1 AND action = 'dismissed'",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(why.contains("no longer finds its cause"), "{why}");
    assert_eq!(amount(&pool, d.track, "held", "payee").await, Decimal::ZERO);
    assert_balanced(&pool).await;
}

#[tokio::test]
async fn each_decision_moves_exactly_what_was_held_and_the_ledger_balances() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let user = staff(&pool).await;
    // Ours: the held 3.00 is allocated to our payees and the fee, as if never held.
    let (d, id) = overlap(&pool).await;
    let before = amount(&pool, d.track, "allocated", "payee").await
        + amount(&pool, d.track, "allocated", "distributor").await;
    let said = act(&pool, user, id, Action::Decide(Decision::Ours)).await.unwrap();
    assert!(said.contains("released"), "{said}");
    let after = amount(&pool, d.track, "allocated", "payee").await
        + amount(&pool, d.track, "allocated", "distributor").await;
    assert_eq!(after - before, dec("3.00"));
    let withdrawn: Option<String> = sqlx::query_scalar(
        "SELECT party FROM ownership_claims WHERE track_id = $1 AND withdrawn_at IS NOT NULL",
    )
    .bind(d.track)
    .fetch_optional(&pool)
    .await
    .unwrap();
    assert_eq!(withdrawn.as_deref(), Some("Harmony Rights"), "their claim is ended");
    assert_balanced(&pool).await;

    // Theirs: the held 3.00 is allocated to the other party, never to our payees, and
    // so is their revenue of later months there.
    let (d, id) = overlap(&pool).await;
    let payees = amount(&pool, d.track, "allocated", "payee").await;
    act(&pool, user, id, Action::Decide(Decision::Theirs)).await.unwrap();
    assert_eq!(amount(&pool, d.track, "allocated", "other_party").await, dec("3.00"));
    assert_eq!(amount(&pool, d.track, "allocated", "payee").await, payees);
    load(&pool, month("2026-04"), &[fact(&pool, &d, "US", "5.00").await]).await;
    assert_eq!(amount(&pool, d.track, "allocated", "other_party").await, dec("8.00"));
    assert!(conflicts_of(&pool, d.track).await.iter().all(|c| c.2 == "resolved"));
    assert_balanced(&pool).await;

    // Split: a quarter of the held 3.00 is ours.
    let (d, id) = overlap(&pool).await;
    act(&pool, user, id, Action::parse("split", "25", "").unwrap()).await.unwrap();
    assert_eq!(amount(&pool, d.track, "allocated", "other_party").await, dec("2.25"));
    assert_eq!(amount(&pool, d.track, "held", "payee").await, Decimal::ZERO);
    let shares: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT party, share FROM ownership_claims
         WHERE track_id = $1 AND withdrawn_at IS NULL ORDER BY share",
    )
    .bind(d.track)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(shares.iter().map(|s| s.1).collect::<Vec<_>>(), [dec("0.25"), dec("0.75")]);
    assert!(detect_tracks(&pool, &[d.track]).await.opened == 0, "the split claims add up");
    assert_balanced(&pool).await;

    // A decided conflict cannot be decided again.
    let err = act(&pool, user, id, Action::Decide(Decision::Ours)).await.unwrap_err();
    assert!(err.to_string().contains("already resolved as split"), "{err}");
    assert!(Action::parse("split", "100", "").is_err());
    assert!(Action::parse("split", "x", "").is_err());
}

#[tokio::test]
async fn of_two_people_deciding_one_conflict_at_once_one_wins() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let (d, id) = overlap(&pool).await;
    let (a, b) = (staff(&pool).await, staff(&pool).await);
    let (first, second) = tokio::join!(
        act(&pool, a, id, Action::Decide(Decision::Ours)),
        act(&pool, b, id, Action::Decide(Decision::Theirs)),
    );
    let results = [first, second];
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(loser.to_string().contains("was already resolved"), "{loser}");
    let decided: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM conflict_events WHERE conflict_id = $1 AND action = 'resolved'",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(decided, 1);
    let moved = amount(&pool, d.track, "allocated", "other_party").await;
    assert!(moved == Decimal::ZERO || moved == dec("3.00"));
    assert_balanced(&pool).await;
}

#[tokio::test]
async fn another_party_collecting_on_our_track_is_a_foreign_claim_unless_it_is_us() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let user = staff(&pool).await;
    let d = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    let label: String = sqlx::query_scalar("SELECT name FROM labels WHERE id = $1")
        .bind(d.label)
        .fetch_one(&pool)
        .await
        .unwrap();
    let ours = Box::leak(label.to_uppercase().into_boxed_str());
    let facts = [
        Fact {
            collector: Some("Harmony Rights Collective"),
            ..fact(&pool, &d, "DE", "0.40").await
        },
        Fact { collector: Some(ours), ..fact(&pool, &d, "US", "1.00").await },
        Fact { collector: Some("backbeat distribution"), ..fact(&pool, &d, "GB", "1.00").await },
        fact(&pool, &d, "DE", "0.60").await,
    ];
    load(&pool, month("2026-03"), &facts).await;
    let conflicts = conflicts_of(&pool, d.track).await;
    assert_eq!(conflicts.len(), 1, "our label's and our own name are not foreign: {conflicts:?}");
    let (id, kind, _, held) = conflicts[0].clone();
    assert_eq!(kind, "foreign_claim");
    assert_eq!(held, Some(dec("1.00")), "the track's German revenue is held");
    let at_stake: Decimal = sqlx::query_scalar("SELECT at_stake FROM conflicts WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(at_stake, dec("0.40"), "what the other party collected");
    act(&pool, user, id, Action::Decide(Decision::Ours)).await.unwrap();
    assert_eq!(amount(&pool, d.track, "held", "payee").await, Decimal::ZERO);
    // The same collector in the same territory next month does not reopen it.
    let more = [Fact {
        collector: Some("Harmony Rights Collective"),
        ..fact(&pool, &d, "DE", "0.50").await
    }];
    load(&pool, month("2026-04"), &more).await;
    assert_eq!(conflicts_of(&pool, d.track).await.len(), 1);
    assert_balanced(&pool).await;
}

#[tokio::test]
async fn other_titles_are_flagged_but_featured_artists_and_punctuation_are_not() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let user = staff(&pool).await;
    let d = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    sqlx::query("UPDATE tracks SET title = 'Midnight Drive' WHERE id = $1")
        .bind(d.track)
        .execute(&pool)
        .await
        .unwrap();
    let base = fact(&pool, &d, "US", "1.00").await;
    let same = [
        Fact { title: "MIDNIGHT DRIVE (feat. Someone)".into(), ..base.clone() },
        Fact {
            title: "Midnight Drive!".into(),
            artist: format!("{} ft. Someone", base.artist),
            ..base.clone()
        },
        Fact { artist: format!("{}, Someone Else", base.artist), ..base.clone() },
    ];
    load(&pool, month("2026-03"), &same).await;
    assert!(conflicts_of(&pool, d.track).await.is_empty());

    let other = [Fact { title: "Midnight Ride".into(), ..base.clone() }];
    load(&pool, month("2026-04"), &other).await;
    let conflicts = conflicts_of(&pool, d.track).await;
    assert_eq!(conflicts.len(), 1);
    let (id, kind, _, held) = conflicts[0].clone();
    assert_eq!((kind.as_str(), held), ("metadata_mismatch", Some(Decimal::ZERO)));
    let err = act(&pool, user, id, Action::Decide(Decision::Ours)).await.unwrap_err();
    assert!(err.to_string().contains("cannot be decided that way"), "{err}");
    act(&pool, user, id, Action::Decide(Decision::NotAConflict)).await.unwrap();
    // Decided for this spelling: detection does not open it again.
    assert_eq!(detect_tracks(&pool, &[d.track]).await, Outcome::default());

    // Staff credit the release to another artist: every report now names someone else,
    // a new cause, found as the release is saved.
    let upc: String = sqlx::query_scalar("SELECT upc::text FROM releases WHERE id = $1")
        .bind(d.release)
        .fetch_one(&pool)
        .await
        .unwrap();
    let form =
        app::catalog::edit::ReleaseForm::parse(d.label, &upc, "R", "Somebody New", "").unwrap();
    app::catalog::edit::save_release(&pool, d.release, &form).await.unwrap();
    let kinds: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, status FROM conflicts WHERE track_id = $1 ORDER BY id")
            .bind(d.track)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        kinds,
        [
            ("metadata_mismatch".to_string(), "resolved".to_string()),
            ("metadata_mismatch".to_string(), "open".to_string())
        ]
    );
    assert_balanced(&pool).await;
}

#[tokio::test]
async fn unmatched_lines_are_one_conflict_per_identifier_and_matching_moves_their_suspense() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let user = staff(&pool).await;
    let d = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    let facts = [
        unmatched(Some("QZZZZ2600001"), Some("sp-1"), "1.00"),
        unmatched(Some("QZZZZ2600001"), Some("sp-1"), "2.00"),
        unmatched(None, Some("sp-9"), "0.50"),
        // No EUR rate for the month: what is at stake cannot be said, and is not understated.
        Fact { currency: "EUR", ..unmatched(Some("QZZZZ2600777"), None, "9.00") },
        Fact { currency: "USD", ..unmatched(Some("QZZZZ2600777"), None, "1.00") },
    ];
    load(&pool, month("2026-03"), &facts).await;
    let rows: Vec<(i64, String, Option<Decimal>)> = sqlx::query_as(
        "SELECT id, subject, at_stake FROM conflicts WHERE kind = 'unmatched' ORDER BY subject",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows.iter().map(|r| (r.1.as_str(), r.2)).collect::<Vec<_>>(),
        [
            ("isrc:QZZZZ2600001", Some(dec("3.00"))),
            ("isrc:QZZZZ2600777", None),
            ("spotify:sp-9", Some(dec("0.50")))
        ]
    );
    let isrc: String = sqlx::query_scalar("SELECT isrc::text FROM tracks WHERE id = $1")
        .bind(d.track)
        .fetch_one(&pool)
        .await
        .unwrap();
    act(&pool, user, rows[0].0, Action::Decide(Decision::Match(Isrc::parse(&isrc).unwrap())))
        .await
        .unwrap();
    assert_eq!(amount(&pool, d.track, "allocated", "payee").await, dec("3.00"));
    let suspense: Decimal = sqlx::query_scalar(
        "SELECT sum(gross) FROM allocations WHERE state = 'suspense' AND currency = 'USD'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(suspense, dec("1.50"), "sp-9's and QZZZZ2600777's dollars");
    // Its platform id is now the track's, so later files match it as they load.
    let registered: i64 = sqlx::query_scalar(
        "SELECT track_id FROM track_platform_ids WHERE platform = 'spotify' AND platform_track_id = 'sp-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(registered, d.track);
    // Registering sp-9 for the track matches the rest and dismisses its conflict.
    let mut tx = pool.begin().await.unwrap();
    app::catalog::edit::set_platform_id(&mut tx, app::domain::Platform::Spotify, "sp-9", d.track)
        .await
        .unwrap();
    app::revenue::matching::rematch(&mut tx, &[d.track]).await.unwrap();
    let outcome = detect::detect(&mut tx, &Scope::Tracks(vec![d.track])).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(outcome.dismissed, 1);
    assert_balanced(&pool).await;
}

#[tokio::test]
async fn a_bulk_action_applies_to_every_selected_conflict_or_to_none() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let user = staff(&pool).await;
    let (first, a) = overlap(&pool).await;
    let (second, b) = overlap(&pool).await;
    decide::act_on_all(&pool, user, &[a, b], &Action::Assign, "").await.unwrap();
    let assigned: i64 = sqlx::query_scalar("SELECT count(*) FROM conflicts WHERE assigned_to = $1")
        .bind(user)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(assigned, 2);

    act(&pool, user, b, Action::Decide(Decision::Theirs)).await.unwrap();
    let ledger = ledger_of(&pool, first.track).await;
    let err = decide::act_on_all(&pool, user, &[a, b], &Action::Decide(Decision::Ours), "")
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&format!("Conflict #{b} was already resolved")), "{err}");
    assert_eq!(conflicts_of(&pool, first.track).await[0].2, "open", "nothing was decided");
    assert_eq!(ledger_of(&pool, first.track).await, ledger);
    assert_eq!(amount(&pool, second.track, "allocated", "other_party").await, dec("3.00"));
    assert!(decide::act_on_all(&pool, user, &[], &Action::Assign, "").await.is_err());
    assert_balanced(&pool).await;
}

/// A line of `d` on which `who` says it collects.
async fn collected(
    pool: &PgPool,
    d: &Deal,
    territory: &'static str,
    gross: &str,
    who: &'static str,
) -> Fact {
    Fact { collector: Some(who), ..fact(pool, d, territory, gross).await }
}

/// Every conflict as detection leaves it, and the revenue it holds.
async fn every_conflict(conn: &mut sqlx::PgConnection) -> Vec<String> {
    let mut all: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' | ', kind, subject, status, cause, at_stake, held, summary,
                platforms::text, territories::text, variants::text, first_month, last_month)
         FROM conflicts ORDER BY kind, subject",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let holds: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' ', 'hold', track_id, territory, from_month, to_month)
         FROM revenue_holds WHERE released_at IS NULL ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    all.extend(holds);
    all
}

/// Each conflict's row version (`xmin`: the transaction that last wrote it).
async fn row_versions(conn: &mut sqlx::PgConnection) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT id, xmin::text FROM conflicts ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

/// Detection over everything, rolled back, changes nothing the files' detection left,
/// and finding each conflict as it was, writes none of them again.
async fn as_everything_finds(pool: &PgPool, when: &str) {
    let mut tx = pool.begin().await.unwrap();
    let incremental = every_conflict(&mut tx).await;
    let versions = row_versions(&mut tx).await;
    let outcome = detect::detect(&mut tx, &Scope::All).await.unwrap();
    let full = every_conflict(&mut tx).await;
    assert_eq!(versions, row_versions(&mut tx).await, "{when}: conflicts written again");
    tx.rollback().await.unwrap();
    assert_eq!(outcome, Outcome::default(), "{when}");
    assert_eq!(incremental, full, "{when}");
    // Held amounts are kept from the terms; the ledger (the facts times their terms,
    // which a conflict's page breaks down) must say the same.
    let differ: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' ', c.subject, c.held, l.held)
         FROM conflicts c
         LEFT JOIN (SELECT conflict_id, sum(reporting) AS held FROM conflict_held
                    GROUP BY conflict_id) l ON l.conflict_id = c.id
         WHERE c.status IN ('open', 'investigating') AND c.held <> coalesce(l.held, 0)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(differ.is_empty(), "{when}: {differ:?}");
}

/// Detection after a file looks only at what the file's lines can change (see
/// `detect::of_files`); this holds it to what looking at everything finds, file after
/// file, a withdrawal included.
#[tokio::test]
async fn detection_after_each_file_finds_what_detection_over_everything_finds() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let staff = staff(&pool).await;
    // An overlap holding the US from March (two files), then more US revenue for it.
    let (overlap, _) = overlap(&pool).await;
    let foreign = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    let renamed = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    let quiet = deal(&pool, "USD", "0", &["1"], "2026-01").await;
    let april = [
        fact(&pool, &overlap, "US", "4.00").await,
        collected(&pool, &foreign, "DE", "0.40", "Harmony Rights Collective").await,
        Fact {
            title: "A Title Nobody Gave It".into(),
            ..fact(&pool, &renamed, "US", "1.00").await
        },
        fact(&pool, &quiet, "US", "1.00").await,
        unmatched(Some("QZZZZ2600009"), None, "0.70"),
    ];
    load(&pool, month("2026-04"), &april).await;
    as_everything_finds(&pool, "after April").await;

    // More of each: the same collector again and a new one, another spelling, the same
    // unmatched ISRC; lines that raise nothing.
    let may = [
        fact(&pool, &overlap, "US", "5.00").await,
        collected(&pool, &foreign, "DE", "0.10", "Harmony Rights Collective").await,
        collected(&pool, &foreign, "FR", "0.20", "Elsewhere Publishing").await,
        fact(&pool, &foreign, "DE", "3.00").await,
        Fact { title: "Yet Another Title".into(), ..fact(&pool, &renamed, "GB", "1.00").await },
        fact(&pool, &quiet, "US", "1.00").await,
        unmatched(Some("QZZZZ2600009"), None, "0.30"),
    ];
    let may_file = load(&pool, month("2026-05"), &may).await;
    as_everything_finds(&pool, "after May").await;
    let held: Option<Decimal> =
        sqlx::query_scalar("SELECT held FROM conflicts WHERE kind = 'overlapping_claims'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(held, Some(dec("12.00")), "the overlap holds its track's US revenue of May too");

    // May withdrawn: its new collector's conflict goes, the others are as in April.
    app::ingestion::ssr::withdraw(&pool, may_file, staff).await.unwrap();
    as_everything_finds(&pool, "after May was withdrawn").await;
    let dismissed: Vec<String> =
        sqlx::query_scalar("SELECT subject FROM conflicts WHERE status = 'dismissed'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(dismissed.len(), 1, "{dismissed:?}");
    assert!(dismissed[0].contains("elsewhere"), "{dismissed:?}");
    assert_balanced(&pool).await;
}

/// A generated report of `platform` for `month` over the catalog in `pool`, loaded
/// with its allocation left for later. Returns the file's id.
async fn load_generated(
    pool: &PgPool,
    dir: &std::path::Path,
    platform: app::domain::Platform,
    month: &str,
    seed: u64,
) -> i64 {
    use server::generate::{Report, Spec, command};
    use server::ingest::loader::{Origin, Outcome, load_only};
    let tracks = command::catalog(pool).await.unwrap();
    let spec = Spec { platform, month: month.parse().unwrap(), rows: 4000, seed };
    let path = command::write_file(&Report::plan(spec, &tracks), dir, || {}).unwrap();
    match load_only(pool, &path, &Origin::COMMAND_LINE).await.unwrap() {
        Outcome::Loaded { file_id, .. } => file_id,
        other => panic!("the generated file should load: {other:?}"),
    }
}

/// (tracks with another party collecting, tracks named otherwise) in `file`, as the
/// loader noticed them and as the facts say, each sorted.
async fn noticed_and_read(pool: &PgPool, file: i64) -> [Vec<i64>; 4] {
    let (a, b, c, d) = sqlx::query_as(
        "SELECT array(SELECT unnest(collector_tracks) ORDER BY 1),
                array(SELECT unnest(renamed_tracks) ORDER BY 1),
                array(SELECT DISTINCT f.track_id FROM stream_facts f
                      JOIN tracks t ON t.id = f.track_id JOIN releases r ON r.id = t.release_id
                      JOIN labels l ON l.id = r.label_id CROSS JOIN settings s
                      WHERE f.report_file_id = $1 AND f.collector IS NOT NULL
                        AND lower(f.collector) NOT IN (lower(l.name), lower(s.distributor_name))
                      ORDER BY 1),
                array(SELECT DISTINCT f.track_id FROM stream_facts f
                      JOIN tracks t ON t.id = f.track_id JOIN releases r ON r.id = t.release_id
                      JOIN artists a ON a.id = r.artist_id
                      WHERE f.report_file_id = $1
                        AND (f.title IS DISTINCT FROM t.title OR f.artist IS DISTINCT FROM a.name)
                      ORDER BY 1)
         FROM report_files WHERE id = $1",
    )
    .bind(file)
    .fetch_one(pool)
    .await
    .unwrap();
    [a, b, c, d]
}

/// The loader notices, as it matches lines, the tracks that detection after the file
/// looks at (migration 29), exactly those the facts would show; and when the catalog
/// changes before the file's allocation, detection reads the facts instead.
#[tokio::test]
async fn the_loader_notices_what_detection_after_a_file_looks_at_unless_the_catalog_moved() {
    use app::domain::Platform;
    let (url, pool) = crate::helpers::fresh_database().await;
    let args = server::generate::catalog::Args {
        tracks: 1000,
        artist_logins: 0,
        month: month("2026-01"),
        through: month("2026-03"),
    };
    server::generate::catalog::run(&pool, args).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Amazon's reports misspell one title in 13 and carry foreign collectors.
    let file = load_generated(&pool, dir.path(), Platform::AmazonMusic, "2026-02", 3).await;
    let [collectors, renamed, read_collectors, read_renamed] = noticed_and_read(&pool, file).await;
    assert!(!collectors.is_empty() && !renamed.is_empty(), "{collectors:?} {renamed:?}");
    assert_eq!((collectors, renamed), (read_collectors, read_renamed));
    server::ingest::loader::allocate_waiting(&pool).await.unwrap();
    as_everything_finds(&pool, "after a generated file").await;

    // A track the next file names as the catalog does is renamed in the catalog before
    // that file is allocated (by hand, so nothing detects it then).
    let file = load_generated(&pool, dir.path(), Platform::Spotify, "2026-03", 4).await;
    let track: i64 = sqlx::query_scalar(
        "SELECT f.track_id FROM stream_facts f JOIN report_files r ON r.id = f.report_file_id
         WHERE f.report_file_id = $1 AND f.track_id IS NOT NULL
           AND NOT f.track_id = ANY (r.renamed_tracks)
           AND f.track_id NOT IN (SELECT track_id FROM conflicts WHERE track_id IS NOT NULL)
         LIMIT 1",
    )
    .bind(file)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE tracks SET title = 'A Title No Report Gave It' WHERE id = $1")
        .bind(track)
        .execute(&pool)
        .await
        .unwrap();
    server::ingest::loader::allocate_waiting(&pool).await.unwrap();
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM conflicts WHERE track_id = $1 AND status = 'open'")
            .bind(track)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(kinds, ["metadata_mismatch"], "the renamed track's lines are looked at");
    as_everything_finds(&pool, "after a file whose catalog moved").await;

    // `backbeat detect` finds what a change made outside Backbeat caused.
    sqlx::query(
        "UPDATE tracks SET title = 'Another Title No Report Gave It'
         WHERE id = (SELECT track_id FROM stream_facts WHERE track_id IS NOT NULL
                       AND track_id NOT IN (SELECT track_id FROM conflicts
                                            WHERE track_id IS NOT NULL)
                     LIMIT 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let detect = std::process::Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .arg("detect")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&detect.stdout);
    assert!(detect.status.success(), "{}", String::from_utf8_lossy(&detect.stderr));
    assert!(said.starts_with("Conflicts: 1 opened, 0 updated, 0 dismissed"), "{said}");
    as_everything_finds(&pool, "after backbeat detect").await;
    assert_balanced(&pool).await;
}

/// `complete_sum` (the amount at stake of foreign claims and suspense) is parallel safe
/// (migration 30): summed in parts by parallel workers and combined, it is the exact
/// sum, and NULL as soon as one amount is.
#[tokio::test]
async fn complete_sum_summed_in_parallel_parts_is_the_exact_sum_or_null() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let mut conn = pool.acquire().await.unwrap();
    for setting in [
        "SET max_parallel_workers_per_gather = 2",
        "SET parallel_setup_cost = 0",
        "SET parallel_tuple_cost = 0",
        "SET min_parallel_table_scan_size = 0",
        // Only workers sum: every part is combined.
        "SET parallel_leader_participation = off",
        "CREATE TABLE amounts AS
         SELECT (g % 997)::numeric / 1000 AS amount FROM generate_series(1, 100000) g",
        "ANALYZE amounts",
    ] {
        sqlx::query(setting).execute(&mut *conn).await.unwrap();
    }
    let plan: Vec<String> = sqlx::query_scalar("EXPLAIN SELECT complete_sum(amount) FROM amounts")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert!(plan.iter().any(|l| l.contains("Partial Aggregate")), "{plan:#?}");
    let sums: (Option<Decimal>, Decimal) =
        sqlx::query_as("SELECT complete_sum(amount), sum(amount) FROM amounts")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(sums.0, Some(sums.1));
    sqlx::query("UPDATE amounts SET amount = NULL WHERE amount = 0.5")
        .execute(&mut *conn)
        .await
        .unwrap();
    let sum: Option<Decimal> = sqlx::query_scalar("SELECT complete_sum(amount) FROM amounts")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(sum, None);
}
