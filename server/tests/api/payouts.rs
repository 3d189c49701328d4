//! Payout runs and statements against the real SQL: hand-computed cases for minimum
//! payouts, recoupment, rounding, late corrections and holds; a property that rounding
//! and carrying never lose or create money; and who may do what.

use crate::helpers::{fresh_database, user};
use crate::revenue::{Line, deal, dec, line, month, report};
use app::auth::SessionUser;
use app::domain::{Month, Role, Territory};
use app::payouts::ssr::{self as payouts, Action};
use app::revenue::holds::{self, NewHold};
use app::users::Link;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng};
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::sync::atomic::{AtomicU32, Ordering};

async fn staff(pool: &PgPool) -> SessionUser {
    let email = format!("staff{}@distro.test", rand::random::<u32>());
    let id = user(pool, &email, Role::Staff, Link::None).await;
    SessionUser {
        id,
        email,
        role: Role::Staff,
        artist_id: None,
        label_id: None,
        scope_name: "All labels".into(),
        must_change_password: false,
    }
}

/// Creates, submits and approves a run up to `end`; returns its id.
async fn approved_run(pool: &PgPool, by: &SessionUser, label: i64, end: &str) -> i64 {
    let run = payouts::create(pool, by, label, month(end)).await.unwrap();
    payouts::act(pool, by, run, Action::Submit).await.unwrap();
    payouts::act(pool, by, run, Action::Approve).await.unwrap();
    run
}

/// A payee's statement in a run: (opening, earnings, held, recouped, closing, payable,
/// carried, advance balance).
type Figures = (Decimal, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal);

async fn figures(pool: &PgPool, run: i64, payee: i64) -> Figures {
    sqlx::query_as(
        "SELECT opening, earnings, held, recouped, closing, payable, carried, advance_balance
         FROM payout_statements WHERE run_id = $1 AND payee_id = $2",
    )
    .bind(run)
    .bind(payee)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn fig(values: [&str; 8]) -> Figures {
    let d = values.map(dec);
    (d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7])
}

async fn set_minimum(pool: &PgPool, payee: i64, minimum: &str) {
    sqlx::query("UPDATE payees SET minimum_payout = $2 WHERE id = $1")
        .bind(payee)
        .bind(dec(minimum))
        .execute(pool)
        .await
        .unwrap();
}

async fn advance(pool: &PgPool, payee: i64, amount: &str, paid_on: &str) {
    sqlx::query("INSERT INTO advances (payee_id, amount, paid_on) VALUES ($1, $2, $3)")
        .bind(payee)
        .bind(dec(amount))
        .bind(month(paid_on).first_day())
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn below_the_minimum_nothing_is_paid_and_everything_is_carried() {
    let (_, pool) = fresh_database().await;
    let by = staff(&pool).await;
    let d = deal(&pool, "USD", "0", &["1"], "2025-01").await;
    set_minimum(&pool, d.payees[0], "25").await;
    report(&pool, month("2025-03"), &[line(Some(d.track), "10.004", "USD")]).await;
    let first = approved_run(&pool, &by, d.label, "2025-03").await;
    assert_eq!(
        figures(&pool, first, d.payees[0]).await,
        fig(["0", "10.004", "0", "0", "10.004", "0", "10.004", "0"])
    );

    report(&pool, month("2025-04"), &[line(Some(d.track), "20", "USD")]).await;
    let second = approved_run(&pool, &by, d.label, "2025-04").await;
    assert_eq!(
        figures(&pool, second, d.payees[0]).await,
        fig(["10.004", "20", "0", "0", "30.004", "30.00", "0.004", "0"]),
        "paid down to the cent; the fraction of a cent carried"
    );
}

#[tokio::test]
async fn advances_are_recouped_across_months_before_anything_is_payable() {
    let (_, pool) = fresh_database().await;
    let by = staff(&pool).await;
    let d = deal(&pool, "EUR", "0.2", &["0.75", "0.25"], "2025-01").await;
    advance(&pool, d.payees[0], "100", "2025-01").await;
    // 100 EUR gross: 20 fee, 60 to the artist, 20 to the other payee.
    report(&pool, month("2025-02"), &[line(Some(d.track), "100", "EUR")]).await;
    let first = approved_run(&pool, &by, d.label, "2025-02").await;
    assert_eq!(
        figures(&pool, first, d.payees[0]).await,
        fig(["0", "60", "0", "60", "0", "0", "0", "40"])
    );
    assert_eq!(figures(&pool, first, d.payees[1]).await.5, dec("20"), "no advance, paid");

    report(&pool, month("2025-03"), &[line(Some(d.track), "100", "EUR")]).await;
    let second = approved_run(&pool, &by, d.label, "2025-03").await;
    assert_eq!(
        figures(&pool, second, d.payees[0]).await,
        fig(["0", "60", "0", "40", "20", "20", "0", "0"])
    );
}

#[tokio::test]
async fn a_late_file_for_a_paid_month_is_stated_on_the_next_run() {
    let (_, pool) = fresh_database().await;
    let by = staff(&pool).await;
    let d = deal(&pool, "USD", "0", &["1"], "2025-01").await;
    report(&pool, month("2025-03"), &[line(Some(d.track), "5", "USD")]).await;
    approved_run(&pool, &by, d.label, "2025-03").await;
    // A platform's correction for March arrives in May.
    report(&pool, month("2025-03"), &[line(Some(d.track), "-1.25", "USD")]).await;
    report(&pool, month("2025-04"), &[line(Some(d.track), "3", "USD")]).await;
    let next = approved_run(&pool, &by, d.label, "2025-04").await;
    assert_eq!(figures(&pool, next, d.payees[0]).await.1, dec("1.75"));
    let lines: Vec<(chrono::NaiveDate, Decimal)> = sqlx::query_as(
        "SELECT accounting_month, earnings FROM statement_lines WHERE run_id = $1 ORDER BY 1",
    )
    .bind(next)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        lines,
        [(month("2025-03").first_day(), dec("-1.25")), (month("2025-04").first_day(), dec("3"))]
    );
}

#[tokio::test]
async fn held_revenue_is_not_payable_until_released() {
    let (_, pool) = fresh_database().await;
    let by = staff(&pool).await;
    let d = deal(&pool, "USD", "0", &["1"], "2025-01").await;
    let hold = NewHold {
        track_id: d.track,
        territory: Territory::WORLDWIDE,
        from: month("2025-02"),
        to: None,
        reason: "disputed".into(),
    };
    let mut tx = pool.begin().await.unwrap();
    let hold_id = holds::place(&mut tx, &hold, None).await.unwrap();
    tx.commit().await.unwrap();
    report(&pool, month("2025-02"), &[line(Some(d.track), "8", "USD")]).await;
    let first = approved_run(&pool, &by, d.label, "2025-02").await;
    assert_eq!(
        figures(&pool, first, d.payees[0]).await,
        fig(["0", "8", "8", "0", "0", "0", "0", "0"]),
        "earned, and held back"
    );

    let mut tx = pool.begin().await.unwrap();
    holds::release(&mut tx, hold_id, None, "ours").await.unwrap();
    tx.commit().await.unwrap();
    let second = approved_run(&pool, &by, d.label, "2025-03").await;
    assert_eq!(
        figures(&pool, second, d.payees[0]).await,
        fig(["0", "0", "-8", "0", "8", "8", "0", "0"]),
        "released: the hold comes off, the money is paid"
    );
}

#[tokio::test]
async fn an_approved_run_is_final_and_one_run_is_made_at_a_time() {
    let (_, pool) = fresh_database().await;
    let by = staff(&pool).await;
    let d = deal(&pool, "USD", "0", &["1"], "2025-01").await;
    report(&pool, month("2025-03"), &[line(Some(d.track), "5", "USD")]).await;
    let draft = payouts::create(&pool, &by, d.label, month("2025-03")).await.unwrap();
    let again = payouts::create(&pool, &by, d.label, month("2025-04")).await.unwrap_err();
    assert!(again.to_string().contains("still in the making"), "{again}");
    payouts::act(&pool, &by, draft, Action::Submit).await.unwrap();
    payouts::act(&pool, &by, draft, Action::Approve).await.unwrap();

    let error = payouts::act(&pool, &by, draft, Action::Recalculate).await.unwrap_err();
    assert!(error.to_string().contains("cannot be recalculated"), "{error}");
    let changed = sqlx::query("UPDATE payout_statements SET payable = 0 WHERE run_id = $1")
        .bind(draft)
        .execute(&pool)
        .await;
    assert!(changed.is_err(), "the database refuses to change an approved statement");
    // Its lines are checked per statement: each kind of write is refused, and one that
    // touches no approved line still passes.
    let copy = "INSERT INTO statement_lines SELECT run_id, payee_id, track_id, 'deezer', \
                territory, accounting_month, units, earnings, held, earnings_rounded \
                FROM statement_lines WHERE run_id = $1";
    for write in [
        "UPDATE statement_lines SET held = held + 1 WHERE run_id = $1",
        "DELETE FROM statement_lines WHERE run_id = $1",
        copy,
    ] {
        let refused = sqlx::query(write).bind(draft).execute(&pool).await.unwrap_err();
        assert!(refused.to_string().contains("is final"), "{write}: {refused}");
    }
    let none = sqlx::query("DELETE FROM statement_lines WHERE run_id = $1")
        .bind(draft + 1)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(none.rows_affected(), 0);
    let earlier = payouts::create(&pool, &by, d.label, month("2025-03")).await.unwrap_err();
    assert!(earlier.to_string().contains("already cover up to 2025-03"), "{earlier}");
    payouts::act(&pool, &by, draft, Action::MarkPaid).await.unwrap();
}

#[tokio::test]
async fn a_statement_page_shows_a_page_of_lines_and_its_csv_has_them_all() {
    let (_, pool) = fresh_database().await;
    let by = staff(&pool).await;
    let d = deal(&pool, "USD", "0", &["1"], "2024-01").await;
    let markets = ["US", "GB", "DE", "FR", "BR", "JP", "MX", "SE", "CA", "AU", "ES", "IT"];
    let mut months = Vec::new();
    let mut m = month("2024-01");
    for _ in 0..17 {
        let lines: Vec<Line> = markets
            .iter()
            .map(|&territory| Line { territory, ..line(Some(d.track), "1.01", "USD") })
            .collect();
        report(&pool, m, &lines).await;
        months.push(m);
        m = m.next();
    }
    let last = *months.last().unwrap();
    let run = payouts::create(&pool, &by, d.label, last).await.unwrap();
    let payee = d.payees[0];
    let count = (markets.len() * months.len()) as i64;
    assert!(count > app::payouts::LINES_PER_PAGE, "more lines than a page");

    let first = payouts::statement(&pool, by.scope(), run, payee, Some(1)).await.unwrap();
    let second = payouts::statement(&pool, by.scope(), run, payee, Some(2)).await.unwrap();
    let all = payouts::statement(&pool, by.scope(), run, payee, None).await.unwrap();
    let past = payouts::statement(&pool, by.scope(), run, payee, Some(9)).await.unwrap();
    assert_eq!(
        (past.page, past.lines.clone()),
        (2, second.lines.clone()),
        "past the end: the last"
    );
    assert_eq!(first.lines.len() as i64, app::payouts::LINES_PER_PAGE);
    assert_eq!(second.lines.len() as i64, count - app::payouts::LINES_PER_PAGE);
    assert_eq!((first.line_count, first.pages(), second.page), (count, 2, 2));
    assert_eq!(all.lines.len() as i64, count);
    let paged: Vec<_> = first.lines.iter().chain(&second.lines).cloned().collect();
    assert_eq!(paged, all.lines, "the pages are the whole statement, in order, once");
    let sum: Decimal = all.lines.iter().map(|l| dec(&l.earnings)).sum();
    assert_eq!(sum.to_string(), first.summary.earnings.shown, "the lines add up");
}

// Rounding and carrying never lose or create money, over random sequences of runs.

static NEXT_YEAR: AtomicU32 = AtomicU32::new(0);

#[derive(Debug, Clone)]
struct Case {
    currency: &'static str,
    shares: Vec<Decimal>,
    minimum: Decimal,
    advance: Option<Decimal>,
    /// Per month: lines (track placeholder `Some(0)`), whether a run is approved after it.
    months: Vec<(Vec<Line>, bool)>,
}

fn case() -> impl Strategy<Value = Case> {
    let line = (-20_000_000i64..900_000_000, 0..3usize).prop_map(|(gross, territory)| Line {
        territory: ["US", "GB", "JP"][territory],
        gross: Decimal::new(gross, 8),
        ..line(Some(0), "0", "USD")
    });
    let month = (prop::collection::vec(line, 1..6), prop::bool::weighted(0.7));
    (
        0..3usize,
        prop::collection::vec(1u32..1000, 1..4),
        0i64..3000,
        prop::option::weighted(0.4, 1i64..5000),
        prop::collection::vec(month, 1..5),
    )
        .prop_map(|(currency, weights, minimum, advance, months)| {
            let currency = ["USD", "JPY", "KWD"][currency];
            Case {
                currency,
                shares: shares_of(&weights),
                minimum: Decimal::new(minimum, 2),
                advance: advance.map(|a| Decimal::new(a, 1)),
                months: months
                    .into_iter()
                    .map(|(lines, approve)| {
                        let lines = lines.into_iter().map(|l| Line { currency, ..l }).collect();
                        (lines, approve)
                    })
                    .collect(),
            }
        })
}

/// Weights as shares in millionths, the last taking the remainder so they sum to one.
fn shares_of(weights: &[u32]) -> Vec<Decimal> {
    let total: u32 = weights.iter().sum();
    let mut shares: Vec<i64> = weights.iter().map(|w| i64::from(w * 1_000_000 / total)).collect();
    let last = shares.len() - 1;
    shares[last] += 1_000_000 - shares.iter().sum::<i64>();
    shares.into_iter().map(|s| Decimal::new(s, 6)).collect()
}

async fn check(pool: &PgPool, by: &SessionUser, case: Case) -> Result<(), TestCaseError> {
    let shares: Vec<String> = case.shares.iter().map(ToString::to_string).collect();
    let shares: Vec<&str> = shares.iter().map(String::as_str).collect();
    let d = deal(pool, case.currency, "0.1", &shares, "1900-01").await;
    for &payee in &d.payees {
        set_minimum(pool, payee, &case.minimum.to_string()).await;
    }
    let mut current = Month::new(1901 + NEXT_YEAR.fetch_add(1, Ordering::Relaxed) as i32, 1)
        .expect("a valid month");
    if let Some(amount) = case.advance {
        advance(pool, d.payees[0], &amount.to_string(), &current.to_string()).await;
    }
    for (lines, approve) in &case.months {
        let lines: Vec<Line> =
            lines.iter().map(|l| Line { track: Some(d.track), ..l.clone() }).collect();
        report(pool, current, &lines).await;
        if *approve {
            approved_run(pool, by, d.label, &current.to_string()).await;
        }
        current = current.next();
    }
    // Rounded lines add up to each statement's rounded earnings.
    let off: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (
             SELECT s.run_id, s.payee_id FROM payout_statements s
             JOIN payout_runs r ON r.id = s.run_id
             LEFT JOIN statement_lines l ON l.run_id = s.run_id AND l.payee_id = s.payee_id
             WHERE r.label_id = $1
             GROUP BY s.run_id, s.payee_id, s.earnings, r.minor_digits
             HAVING coalesce(sum(l.earnings_rounded), 0) <> round(s.earnings, r.minor_digits)
         ) x",
    )
    .bind(d.label)
    .fetch_one(pool)
    .await
    .unwrap();
    prop_assert_eq!(off, 0, "rounded lines that do not add up");
    // Paid + recouped + last carried + still held = everything stated, to the last digit;
    // and what approved runs stated is what the ledger holds for those months.
    let (stated, accounted): (Decimal, Decimal) = sqlx::query_as(
        "WITH s AS (
             SELECT s.*, row_number() OVER (PARTITION BY s.payee_id
                                            ORDER BY r.period_end DESC) AS newest
             FROM payout_statements s JOIN payout_runs r ON r.id = s.run_id
             WHERE r.label_id = $1)
         SELECT coalesce(sum(earnings), 0),
                coalesce(sum(payable + recouped + held), 0)
                  + coalesce(sum(carried) FILTER (WHERE newest = 1), 0)
         FROM s",
    )
    .bind(d.label)
    .fetch_one(pool)
    .await
    .unwrap();
    prop_assert_eq!(stated, accounted);
    let unstated: i64 = sqlx::query_scalar(
        "WITH last AS (SELECT max(period_end) AS m FROM payout_runs WHERE label_id = $1)
         SELECT count(*) FROM (
             SELECT a.payee_id, sum(a.amount) AS ledger,
                    (SELECT coalesce(sum(l.earnings), 0) FROM statement_lines l
                     WHERE l.payee_id = a.payee_id) AS stated
             FROM allocations a, last
             WHERE a.label_id = $1 AND a.payee_id IS NOT NULL AND a.accounting_month <= last.m
             GROUP BY a.payee_id) x
         WHERE ledger <> stated",
    )
    .bind(d.label)
    .fetch_one(pool)
    .await
    .unwrap();
    prop_assert_eq!(unstated, 0, "ledger amounts missing from the statements");
    let negative: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM payout_statements s JOIN payout_runs r ON r.id = s.run_id
         WHERE r.label_id = $1 AND (s.payable < 0 OR s.payable <> trunc(s.payable, r.minor_digits)
                                    OR (s.payable > 0 AND s.closing < (SELECT minimum_payout
                                        FROM payees WHERE id = s.payee_id)))",
    )
    .bind(d.label)
    .fetch_one(pool)
    .await
    .unwrap();
    prop_assert_eq!(negative, 0, "a payable amount that breaks the rules");
    Ok(())
}

#[test]
fn rounding_and_carrying_never_lose_or_create_money() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_, pool) = runtime.block_on(fresh_database());
    let by = runtime.block_on(staff(&pool));
    let config = ProptestConfig { cases: 32, failure_persistence: None, ..Default::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]);
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(config, rng);
    runner.run(&case(), |case| runtime.block_on(check(&pool, &by, case))).unwrap();
    // The cases reached payments, carried fractions and recoupment.
    let (paid, carried, recouped): (i64, i64, i64) = runtime
        .block_on(
            sqlx::query_as(
                "SELECT count(*) FILTER (WHERE payable > 0), count(*) FILTER (WHERE carried <> 0),
                        count(*) FILTER (WHERE recouped > 0)
                 FROM payout_statements",
            )
            .fetch_one(&pool),
        )
        .unwrap();
    assert!(paid > 0 && carried > 0 && recouped > 0, "{paid} {carried} {recouped}");
}

// Who may do what, through the server functions and the CSV download.

/// A payee of `label` (linked to `artist` when given) with a contract for `track`.
async fn payee_for(pool: &PgPool, label: i64, artist: Option<i64>, track: i64) -> i64 {
    let payee: i64 = sqlx::query_scalar(
        "INSERT INTO payees (label_id, name, kind, artist_id, currency)
         VALUES ($1, $2, 'artist', $3, 'USD') RETURNING id",
    )
    .bind(label)
    .bind(format!("Payee of track {track}"))
    .bind(artist)
    .fetch_one(pool)
    .await
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let contract: i64 = sqlx::query_scalar(
        "INSERT INTO contracts (track_id, distribution_fee, valid_from)
         VALUES ($1, 0.1, '2020-01-01') RETURNING id",
    )
    .bind(track)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query("INSERT INTO contract_splits (contract_id, payee_id, share) VALUES ($1, $2, 1)")
        .bind(contract)
        .bind(payee)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    payee
}

async fn ok_json(response: reqwest::Response) -> serde_json::Value {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn each_role_sees_and_does_only_its_part_of_payouts() {
    use crate::helpers::{Catalog, PASSWORD, TestApp, error_of};
    use reqwest::StatusCode;
    let app = TestApp::spawn().await;
    let catalog = Catalog::create(&app.pool).await;
    let payee_a =
        payee_for(&app.pool, catalog.label_a, Some(catalog.artist_a), catalog.track_a).await;
    let payee_b = payee_for(&app.pool, catalog.label_b, None, catalog.track_b).await;
    let lines =
        [line(Some(catalog.track_a), "12.5", "USD"), line(Some(catalog.track_b), "7", "USD")];
    report(&app.pool, month("2025-03"), &lines).await;
    user(&app.pool, "artist@a.test", Role::Artist, Link::Artist(catalog.artist_a)).await;
    user(&app.pool, "manager@a.test", Role::LabelManager, Link::Label(catalog.label_a)).await;
    user(&app.pool, "manager@b.test", Role::LabelManager, Link::Label(catalog.label_b)).await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let [artist, manager_a, manager_b, staff] = [(); 4].map(|_| app.browser());
    artist.login_ok("artist@a.test", PASSWORD).await;
    manager_a.login_ok("manager@a.test", PASSWORD).await;
    manager_b.login_ok("manager@b.test", PASSWORD).await;
    staff.login_ok("staff@distro.test", PASSWORD).await;
    let (label_a, label_b) = (catalog.label_a.to_string(), catalog.label_b.to_string());

    let other_label = [("label_id", label_b.as_str()), ("period_end", "2025-03")];
    let refused = manager_a.call("create_payout_run", &other_label).await;
    assert_eq!(error_of(refused).await.0, StatusCode::NOT_FOUND);
    let run = ok_json(
        manager_a
            .call("create_payout_run", &[("label_id", &label_a), ("period_end", "2025-03")])
            .await,
    )
    .await
    .as_i64()
    .unwrap()
    .to_string();
    let runs_b = ok_json(manager_b.call("payout_runs", &[]).await).await;
    assert_eq!(runs_b["runs"], serde_json::json!([]), "another label's runs are not listed");
    for (name, fields) in [
        ("payout_run", vec![("run_id", run.as_str())]),
        ("payout_run_action", vec![("run_id", run.as_str()), ("action", "submit")]),
    ] {
        let (status, _) = error_of(manager_b.call(name, &fields).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name} by another label's manager");
    }
    let approve = [("run_id", run.as_str()), ("action", "approve")];
    assert_eq!(
        error_of(manager_a.call("payout_run_action", &approve).await).await.0,
        StatusCode::FORBIDDEN
    );
    ok_json(manager_a.call("payout_run_action", &[("run_id", &run), ("action", "submit")]).await)
        .await;

    let payee_a = payee_a.to_string();
    let own = [("run_id", run.as_str()), ("payee_id", payee_a.as_str())];
    let early = artist.call("payout_statement", &own).await;
    assert_eq!(error_of(early).await.0, StatusCode::NOT_FOUND, "not before approval");
    ok_json(staff.call("payout_run_action", &approve).await).await;

    let statement = ok_json(artist.call("payout_statement", &own).await).await;
    assert_eq!(statement["summary"]["payable"]["shown"], "11.25", "12.5 less a 10% fee");
    let listed = ok_json(artist.call("payout_statements", &[]).await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let csv = artist.get(&format!("/statements/{run}/{payee_a}/statement.csv")).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("summary,,,Payable,,,,11.25"), "{csv}");

    // Label B's run: its statement is not the artist's, nor manager A's.
    let run_b = ok_json(
        staff.call("create_payout_run", &[("label_id", &label_b), ("period_end", "2025-03")]).await,
    )
    .await
    .as_i64()
    .unwrap()
    .to_string();
    for action in ["submit", "approve"] {
        ok_json(staff.call("payout_run_action", &[("run_id", &run_b), ("action", action)]).await)
            .await;
    }
    let payee_b = payee_b.to_string();
    let theirs = [("run_id", run_b.as_str()), ("payee_id", payee_b.as_str())];
    for browser in [&artist, &manager_a] {
        assert_eq!(
            error_of(browser.call("payout_statement", &theirs).await).await.0,
            StatusCode::NOT_FOUND
        );
        let csv = browser.get(&format!("/statements/{run_b}/{payee_b}/statement.csv")).await;
        assert_eq!(csv.status(), StatusCode::NOT_FOUND);
    }
    ok_json(manager_b.call("payout_statement", &theirs).await).await;
}
