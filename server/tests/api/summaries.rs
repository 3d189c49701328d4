//! The summaries dashboards read say what the facts and the ledger say, after loads,
//! allocation (a new rate, a new contract), matching, and conflict decisions.

use crate::conflicts::{Fact, act, fact, load, overlap, staff, unmatched};
use crate::revenue::{assert_balanced, deal, month};
use app::conflicts::decide::{Action, Decision};
use sqlx::PgPool;

type Key = (chrono::NaiveDate, i64, String, String, String);
/// A key, its units and its reporting-currency gross.
type Row = (Key, i64, Option<String>);
type Flat = (chrono::NaiveDate, i64, String, String, String, i64, Option<String>);

/// Each fact priced by its terms, as the dashboards price it (`priced_terms` prices a
/// term the same way): in the label's currency, the payees' part, held, and in the
/// reporting currency.
const PRICED: &str = "priced_facts";

/// Units and reporting-currency gross per month, track (0: suspense), platform,
/// territory and usage type: from the facts, and from the facts priced by their terms.
async fn from_facts_and_summary(pool: &PgPool) -> (Vec<Row>, Vec<Row>) {
    let facts = sqlx::query_as::<_, Flat>(
        "SELECT accounting_month, coalesce(track_id, 0), platform, territory::text, usage_type,
                sum(units)::bigint, complete_sum(to_reporting(gross, currency, accounting_month))::text
         FROM stream_facts GROUP BY 1, 2, 3, 4, 5
         HAVING sum(units) <> 0 OR sum(gross) <> 0 ORDER BY 1, 2, 3, 4, 5",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let priced = sqlx::query_as::<_, Flat>(&format!(
        "SELECT accounting_month, coalesce(track_id, 0), platform, territory::text, usage_type,
                sum(units)::bigint, complete_sum(reporting_gross)::text
         FROM {PRICED} GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    let shape = |rows: Vec<Flat>| {
        rows.into_iter()
            .map(|(m, t, p, te, u, units, g)| ((m, t, p, te, u), units, g.map(normal)))
            .collect::<Vec<_>>()
    };
    (shape(facts), shape(priced))
}

/// A decimal as text without trailing zeros, so that 1.50 and 1.5 compare equal.
fn normal(text: String) -> String {
    text.parse::<rust_decimal::Decimal>().unwrap().normalize().to_string()
}

/// Label-currency money per key from the ledger's parts, and from the facts priced by
/// their terms (products of sums rather than sums of parts: the same values); each
/// payee's, from the ledger and from `payee_summary`'s priced rows.
async fn money(pool: &PgPool) -> (Vec<String>, Vec<String>) {
    let ledger = sqlx::query_scalar::<_, String>(
        "SELECT concat_ws(' ', accounting_month, track_id, platform, territory, usage_type,
                trim_scale(complete_sum(amount) FILTER (WHERE beneficiary <> 'other_party')),
                trim_scale(coalesce(sum(amount) FILTER (WHERE beneficiary = 'payee'), 0)),
                trim_scale(coalesce(sum(amount) FILTER (WHERE state = 'held'), 0)))
         FROM allocations WHERE track_id IS NOT NULL
         GROUP BY accounting_month, track_id, platform, territory, usage_type ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let priced = sqlx::query_scalar::<_, String>(&format!(
        "SELECT concat_ws(' ', accounting_month, track_id, platform, territory, usage_type,
                trim_scale(complete_sum(label_gross)), trim_scale(sum(net)),
                trim_scale(sum(held)))
         FROM {PRICED} WHERE track_id IS NOT NULL
         GROUP BY accounting_month, track_id, platform, territory, usage_type ORDER BY 1"
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    let payee = |from: &str, earned: &str, held: &str| {
        format!(
            "SELECT concat_ws(' ', payee_id, accounting_month, track_id, platform, territory,
                    trim_scale(coalesce(sum({earned}), 0)), trim_scale(coalesce(sum({held}), 0)),
                    sum(units))
             FROM {from}
             GROUP BY payee_id, accounting_month, track_id, platform, territory, usage_type
             ORDER BY 1"
        )
    };
    let read = |sql: String| async move {
        sqlx::query_scalar::<_, String>(&sql).fetch_all(pool).await.unwrap()
    };
    let payees_ledger = read(payee(
        "allocations WHERE payee_id IS NOT NULL",
        "amount) FILTER (WHERE state = 'allocated'",
        "amount) FILTER (WHERE state = 'held'",
    ))
    .await;
    // The ledger has a payee part once a term's rate is known; `payee_summary` also keeps
    // the parts still waiting for one, as unknown (migration 27).
    let priced_shares = "payee_summary WHERE earnings IS NOT NULL";
    let payees_summary = read(payee(priced_shares, "earnings", "held")).await;
    (
        ledger.into_iter().chain(payees_ledger).collect(),
        priced.into_iter().chain(payees_summary).collect(),
    )
}

/// Each roll-up's rows as text, as kept and as summed afresh from the priced facts.
async fn roll_ups(pool: &PgPool) -> Vec<(Vec<String>, Vec<String>)> {
    // What a roll-up keeps of the facts it rolls up, grouped by `by`.
    let sums = |by: &str| {
        format!(
            "SELECT concat_ws('|', {by}, sum(units), trim_scale(coalesce(sum(label_gross), 0)),
                    coalesce(sum(units) FILTER (WHERE label_gross IS NOT NULL), 0),
                    count(*) FILTER (WHERE label_gross IS NULL), trim_scale(sum(net)),
                    trim_scale(sum(held)), trim_scale(coalesce(sum(reporting_gross), 0)),
                    coalesce(sum(units) FILTER (WHERE reporting_gross IS NOT NULL), 0),
                    count(*) FILTER (WHERE reporting_gross IS NULL))"
        )
    };
    let kept = |by: &str| {
        format!(
            "SELECT concat_ws('|', {by}, sum(units), trim_scale(sum(gross)), sum(gross_units),
                    sum(gross_awaiting), trim_scale(sum(net)), trim_scale(sum(held)),
                    trim_scale(sum(reporting_gross)), sum(reporting_units),
                    sum(reporting_awaiting))"
        )
    };
    // A track's month on a platform is its terms priced, summed as the dashboards sum
    // them (`Summary::Tracks`): the lines awaiting a rate counted, not summed as 0.
    let terms = |by: &str| {
        format!(
            "SELECT concat_ws('|', {by}, sum(units), trim_scale(coalesce(sum(gross), 0)),
                    coalesce(sum(units) FILTER (WHERE gross IS NOT NULL), 0),
                    coalesce(sum(lines) FILTER (WHERE gross IS NULL), 0), trim_scale(sum(net)),
                    trim_scale(sum(held)), trim_scale(coalesce(sum(reporting_gross), 0)),
                    coalesce(sum(units) FILTER (WHERE reporting_gross IS NOT NULL), 0),
                    coalesce(sum(lines) FILTER (WHERE reporting_gross IS NULL), 0))"
        )
    };
    let slice = "accounting_month, coalesce(label_id, 0), platform, territory, usage_type";
    let track = "accounting_month, coalesce(track_id, 0), coalesce(label_id, 0), \
                 coalesce(release_id, 0), platform";
    let totals = "coalesce(track_id, 0), coalesce(label_id, 0), coalesce(release_id, 0)";
    let read = |sql: String| async move {
        sqlx::query_scalar::<_, String>(&sql).fetch_all(pool).await.unwrap()
    };
    let mut found = Vec::new();
    // Per roll-up: its key, as kept (label_summary per file as well) and from the facts.
    for (table, key, sum) in [
        ("label_summary", slice, kept(slice)),
        ("priced_terms", track, terms(track)),
        ("track_totals", totals, kept(totals)),
    ] {
        let fresh = format!("{} FROM {PRICED} GROUP BY {key} ORDER BY 1", sums(key));
        let rolled = format!("{sum} FROM {table} GROUP BY {key} ORDER BY 1");
        found.push((read(rolled).await, read(fresh).await));
    }
    // A label's tracks per month keep the label currency's sums alone.
    let month = "coalesce(label_id, 0), accounting_month, coalesce(track_id, 0)";
    let label_sums = format!(
        "SELECT concat_ws('|', {month}, sum(units), trim_scale(coalesce(sum(label_gross), 0)),
                coalesce(sum(units) FILTER (WHERE label_gross IS NOT NULL), 0),
                count(*) FILTER (WHERE label_gross IS NULL), trim_scale(sum(net)),
                trim_scale(sum(held)))
         FROM {PRICED} WHERE track_id IS NOT NULL GROUP BY {month} ORDER BY 1"
    );
    let kept_months = format!(
        "SELECT concat_ws('|', {month}, units, trim_scale(gross), gross_units, gross_awaiting,
                trim_scale(net), trim_scale(held))
         FROM track_months ORDER BY 1"
    );
    found.push((read(kept_months).await, read(label_sums).await));
    found
}

async fn assert_summaries_current(pool: &PgPool, when: &str) {
    let astray: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM stream_facts f
         LEFT JOIN tracks t ON t.id = f.track_id
         LEFT JOIN releases r ON r.id = t.release_id
         WHERE f.label_id IS DISTINCT FROM r.label_id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(astray, 0, "every fact carries its track's label {when}");
    let (facts, summary) = from_facts_and_summary(pool).await;
    assert!(!facts.is_empty());
    assert_eq!(facts, summary, "units and reporting gross {when}");
    let (ledger, summary) = money(pool).await;
    assert_eq!(ledger, summary, "label-currency money {when}");
    for (kept, fresh) in roll_ups(pool).await {
        assert!(!kept.is_empty());
        assert_eq!(kept, fresh, "roll-ups {when}");
    }
    assert_balanced(pool).await;
}

#[tokio::test]
async fn summaries_equal_the_facts_and_the_ledger_after_every_kind_of_change() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let user = staff(&pool).await;
    let (d, conflict) = overlap(&pool).await;
    assert_summaries_current(&pool, "after loads with a conflict held").await;

    // A euro label's lines wait for a rate; suspense lines match nothing.
    let euro = deal(&pool, "EUR", "0.2", &["1"], "2026-01").await;
    let lines = [
        fact(&pool, &euro, "DE", "4.00").await,
        Fact { currency: "EUR", ..fact(&pool, &euro, "FR", "2.00").await },
        unmatched(Some("QZZZZ2600001"), Some("sp-1"), "1.25"),
    ];
    load(&pool, month("2026-03"), &lines).await;
    assert_summaries_current(&pool, "with a missing rate").await;
    let rate_missing: Option<String> = sqlx::query_scalar(&format!(
        "SELECT label_gross::text FROM {PRICED} WHERE track_id = $1 AND territory = 'DE'"
    ))
    .bind(euro.track)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rate_missing, None, "not a total that leaves the unconverted part out");

    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO exchange_rates (month, from_currency, to_currency, rate, source)
         VALUES ('2026-03-01', 'USD', 'EUR', 0.9, 'test'), ('2026-03-01', 'EUR', 'USD', 1.1, 'test')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let months = vec![
        (month("2026-03").first_day(), "USD".to_string()),
        (month("2026-03").first_day(), "EUR".to_string()),
    ];
    app::revenue::ledger::allocate(&mut tx, &app::revenue::ledger::Scope::Rates(months))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_summaries_current(&pool, "after the rate arrived").await;
    // Another platform's report of the same month and tracks: its rows join theirs.
    let apple = [fact(&pool, &euro, "DE", "1.50").await, fact(&pool, &euro, "GB", "0.75").await];
    crate::conflicts::load_on(&pool, month("2026-03"), "apple_music", &apple).await;
    assert_summaries_current(&pool, "after another platform's report of the month").await;

    // The unmatched lines are matched to the euro track, then the conflict is decided.
    let isrc: String = sqlx::query_scalar("SELECT isrc::text FROM tracks WHERE id = $1")
        .bind(euro.track)
        .fetch_one(&pool)
        .await
        .unwrap();
    let suspense: i64 = sqlx::query_scalar("SELECT id FROM conflicts WHERE kind = 'unmatched'")
        .fetch_one(&pool)
        .await
        .unwrap();
    act(&pool, user, suspense, Action::parse("match", "", &isrc).unwrap()).await.unwrap();
    assert_summaries_current(&pool, "after matching").await;
    act(&pool, user, conflict, Action::Decide(Decision::Theirs)).await.unwrap();
    assert_summaries_current(&pool, "after a decision").await;
    let other: String = sqlx::query_scalar(
        "SELECT (sum(gross) - sum(net))::text FROM priced_terms WHERE track_id = $1",
    )
    .bind(d.track)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(normal(other), "0.3", "the 10% fee of our 3.00: nothing of theirs");
}
