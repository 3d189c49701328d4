//! The demo's revenue terms: payees for every label, a contract for every release
//! (and for every track with a featured artist), advances for three artists, a year of
//! exchange rates with one month of yen missing, and one track held in dispute. With
//! these the demo reports allocate into a year of revenue with every state in it.

use crate::generate::market::{MARKETS, per_usd};
use crate::ingest::loader::{Origin, Source, load_file};
use anyhow::{Context, Result};
use app::auth::SessionUser;
use app::conflicts::detect;
use app::domain::{Currency, Month, Role};
use app::payouts::ssr::{self as payouts, Action};
use app::revenue::ledger::{self, Scope};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::path::Path;

/// Each label's producer: one payee with a small share of every release.
const PRODUCERS: [(&str, &str); 3] = [
    ("Northern Lights Records", "Sam Okoro"),
    ("Harbor & Vine Music", "Ines Moreau"),
    ("Kestrel Audio", "Theo Lindqvist"),
];

/// The distributor's fee per label (its contracts all share it).
const FEES: [(&str, &str); 3] = [
    ("Northern Lights Records", "0.15"),
    ("Harbor & Vine Music", "0.12"),
    ("Kestrel Audio", "0.18"),
];

/// Demo contracts start long before the demo's first report.
const CONTRACTS_START: NaiveDate = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();

/// Advances, in each label's currency, paid in the first demo month.
const ADVANCES: [(&str, &str); 3] =
    [("Nova Reyes", "2500"), ("Tidewater", "1500"), ("Aurora Lind", "3000")];

/// Adds the terms unless payees exist already. `months` are the demo reports' months.
pub async fn add_once(pool: &PgPool, months: &[Month]) -> Result<()> {
    let payees: i64 =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM payees"#).fetch_one(pool).await?;
    if payees > 0 {
        println!("The database already has payees ({payees}); demo revenue terms not added.");
        return Ok(());
    }
    let (first, last) = (months[0], months[months.len() - 1]);
    let mut tx = pool.begin().await?;
    add_payees(&mut tx).await?;
    for (label, fee) in FEES {
        add_contracts(&mut tx, label, fee.parse()?).await?;
    }
    add_advances(&mut tx, first).await?;
    add_rates(&mut tx, months, last).await?;
    add_claims(&mut tx, first).await?;
    // Reports loaded before the terms existed are allocated under them now.
    let loaded: Vec<i64> =
        sqlx::query_scalar!("SELECT id FROM report_files WHERE status = 'loaded'")
            .fetch_all(&mut *tx)
            .await?;
    ledger::allocate(&mut tx, &Scope::Files(loaded)).await?;
    detect::detect(&mut tx, &detect::Scope::All).await?;
    tx.commit().await.context("saving the demo revenue terms")?;
    println!("Demo revenue terms added: payees, contracts, advances, exchange rates and claims.");
    Ok(())
}

/// The label itself, every artist on it, and its producer.
async fn add_payees(tx: &mut PgConnection) -> Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO payees (label_id, name, kind, currency, minimum_payout)
        SELECT id, name, 'label', accounting_currency, 0 FROM labels
        "#
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO payees (label_id, name, kind, artist_id, currency, minimum_payout)
        SELECT DISTINCT r.label_id, a.name, 'artist', a.id, l.accounting_currency, 25::numeric
        FROM releases r
        JOIN tracks t ON t.release_id = r.id
        JOIN track_artists ta ON ta.track_id = t.id
        JOIN artists a ON a.id = ta.artist_id
        JOIN labels l ON l.id = r.label_id
        "#
    )
    .execute(&mut *tx)
    .await?;
    for (label, producer) in PRODUCERS {
        sqlx::query!(
            r#"
            INSERT INTO payees (label_id, name, kind, currency, minimum_payout)
            SELECT id, $2, 'producer', accounting_currency, 10 FROM labels WHERE name = $1
            "#,
            label,
            producer
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// A contract per release (artist 70%, producer 5%, label 25%), and per track with a
/// featured artist (main 60%, featured 10%, producer 5%, label 25%), in force from
/// before the first report.
async fn add_contracts(tx: &mut PgConnection, label: &str, fee: Decimal) -> Result<()> {
    sqlx::query!(
        r#"
        WITH c AS (
            INSERT INTO contracts (release_id, distribution_fee, valid_from, note)
            SELECT r.id, $2, $3, 'Demo distribution agreement'
            FROM releases r JOIN labels l ON l.id = r.label_id
            WHERE l.name = $1
            RETURNING id, release_id
        )
        INSERT INTO contract_splits (contract_id, payee_id, share)
        SELECT c.id, p.id, s.share
        FROM c
        JOIN releases r ON r.id = c.release_id
        CROSS JOIN (VALUES ('artist', 0.70), ('producer', 0.05), ('label', 0.25)) s(kind, share)
        JOIN payees p ON p.label_id = r.label_id AND p.kind = s.kind
                     AND (s.kind <> 'artist' OR p.artist_id = r.artist_id)
        "#,
        label,
        fee,
        CONTRACTS_START as _
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        WITH featured AS (
            SELECT t.id AS track_id, r.label_id, r.artist_id AS main, min(ta.artist_id) AS guest
            FROM tracks t
            JOIN releases r ON r.id = t.release_id
            JOIN labels l ON l.id = r.label_id
            JOIN track_artists ta ON ta.track_id = t.id AND ta.role = 'featured'
            WHERE l.name = $1
            GROUP BY t.id, r.label_id, r.artist_id
        ),
        c AS (
            INSERT INTO contracts (track_id, distribution_fee, valid_from, note)
            SELECT track_id, $2, $3, 'Demo: with a featured artist' FROM featured
            RETURNING id, track_id
        )
        INSERT INTO contract_splits (contract_id, payee_id, share)
        SELECT c.id, p.id, s.share
        FROM c
        JOIN featured f ON f.track_id = c.track_id
        CROSS JOIN (VALUES ('main', 0.60), ('guest', 0.10), ('producer', 0.05), ('label', 0.25))
            s(part, share)
        JOIN payees p ON p.label_id = f.label_id AND CASE s.part
            WHEN 'main' THEN p.artist_id = f.main
            WHEN 'guest' THEN p.artist_id = f.guest
            ELSE p.kind = s.part END
        "#,
        label,
        fee,
        CONTRACTS_START as _
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn add_advances(tx: &mut PgConnection, first: Month) -> Result<()> {
    for (artist, amount) in ADVANCES {
        sqlx::query!(
            r#"
            INSERT INTO advances (payee_id, amount, paid_on, note)
            SELECT id, $2, $3, 'Demo: advance against royalties' FROM payees WHERE name = $1
            "#,
            artist,
            amount.parse::<Decimal>()?,
            first.first_day() as _
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Every month's rate from each market's currency into each label's currency and USD,
/// as a published rate would be: six decimals, moving a little from month to month.
/// Yen in the last month is left out, so staff have a missing rate to see and fill.
pub(crate) async fn add_rates(tx: &mut PgConnection, months: &[Month], last: Month) -> Result<()> {
    let targets = ["USD", "GBP", "EUR"];
    let mut sources: Vec<&str> = MARKETS.iter().map(|m| m.currency).collect();
    sources.sort_unstable();
    sources.dedup();
    let (mut dates, mut from, mut to, mut rates) = (vec![], vec![], vec![], vec![]);
    for &month in months {
        for &source in &sources {
            for target in targets.into_iter().filter(|&t| t != source) {
                if source == "JPY" && month == last {
                    continue;
                }
                dates.push(month.first_day());
                from.push(source.to_string());
                to.push(target.to_string());
                rates.push(rate(source, target, month));
            }
        }
    }
    sqlx::query!(
        r#"
        INSERT INTO exchange_rates (month, from_currency, to_currency, rate, source)
        SELECT m, f, t, r, 'demo' FROM UNNEST($1::date[], $2::text[], $3::text[], $4::numeric[])
            AS u(m, f, t, r)
        ON CONFLICT DO NOTHING
        "#,
        &dates as _,
        &from,
        &to,
        &rates
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Units of `to` per unit of `from` in `month`: the generator's fixed rates, moved by up
/// to 2% either way by a hash of the month, rounded as a central bank publishes them.
fn rate(from: &str, to: &str, month: Month) -> Decimal {
    let code = |c: &str| Currency::parse(c).expect("market currencies are ISO 4217");
    let base = per_usd(code(to)) / per_usd(code(from));
    let wobble = crate::generate::hash(format!("{month}/{from}").as_bytes()) % 41;
    let factor = Decimal::ONE + Decimal::new(wobble as i64 - 20, 3);
    (base * factor).round_dp(6)
}

/// Parties that claim some of the demo's recordings as well (the platforms' claim
/// reports name them).
const RIVALS: [&str; 4] = [
    "Harmony Rights Collective",
    "Blue Meridian Publishing",
    "Crestline Music Group",
    "Open Range Audio",
];

/// Our delivery claims every track, worldwide, from its release; one track in nine
/// is also claimed by a rival in one market, from a month of the demo year on, so its
/// revenue there is held: the overlapping claims the conflict queue shows.
pub(crate) async fn add_claims(tx: &mut PgConnection, first: Month) -> Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO ownership_claims (track_id, party, share, territories, valid_from, source)
        SELECT t.id, l.name, 1, '{WW}', coalesce(r.release_date, $1), 'delivery'
        FROM tracks t JOIN releases r ON r.id = t.release_id JOIN labels l ON l.id = r.label_id
        "#,
        CONTRACTS_START as _
    )
    .execute(&mut *tx)
    .await?;
    let markets = ["US", "GB", "DE", "FR", "BR", "JP", "MX", "SE"];
    let rivals: Vec<String> = RIVALS.iter().map(|r| r.to_string()).collect();
    sqlx::query!(
        r#"
        INSERT INTO ownership_claims (track_id, party, share, territories, valid_from, source)
        SELECT t.id, ($2::text[])[1 + t.id % cardinality($2::text[])],
               CASE WHEN t.id % 2 = 0 THEN 0.5 ELSE 1 END,
               ARRAY[($3::text[])[1 + t.id % cardinality($3::text[])]]::char(2)[],
               $1::date + make_interval(months => (t.id % 9)::int), 'platform_report'
        FROM tracks t
        WHERE t.id % 9 = 4
        "#,
        first.first_day() as _,
        &rivals,
        &markets.map(str::to_string)
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Months the demo's approved payout runs cover: the first three of the year.
const PAID_MONTHS: usize = 3;

/// Loads the demo reports of the first months now (the scheduler finds them loaded and
/// loads the rest), then makes, submits and approves a payout run for each label up to
/// the last of those months, and marks the first label's paid: a history to start from.
pub async fn approved_runs_once(pool: &PgPool, data_dir: &Path, months: &[Month]) -> Result<()> {
    let runs: i64 =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM payout_runs"#).fetch_one(pool).await?;
    if runs > 0 {
        println!("The database already has payout runs ({runs}); demo runs not made.");
        return Ok(());
    }
    let paid = &months[..PAID_MONTHS.min(months.len())];
    load_reports_of(pool, data_dir, paid).await?;
    let staff = demo_staff(pool).await?;
    let end = paid[paid.len() - 1];
    let labels = sqlx::query!("SELECT id, name FROM labels ORDER BY id").fetch_all(pool).await?;
    for (i, label) in labels.iter().enumerate() {
        let run = payouts::create(pool, &staff, label.id, end).await?;
        payouts::act(pool, &staff, run, Action::Submit).await?;
        payouts::act(pool, &staff, run, Action::Approve).await?;
        if i == 0 {
            payouts::act(pool, &staff, run, Action::MarkPaid).await?;
        }
    }
    println!("Demo payout runs approved for {} labels, up to {end}.", labels.len());
    Ok(())
}

/// Loads the drop folders' reports of `months`, as their jobs would.
async fn load_reports_of(pool: &PgPool, data_dir: &Path, months: &[Month]) -> Result<()> {
    let jobs = sqlx::query!(
        "SELECT id, folder FROM ingestion_jobs WHERE source = 'drop_folder' ORDER BY id"
    )
    .fetch_all(pool)
    .await?;
    let mut files = Vec::new();
    for job in &jobs {
        let Ok(entries) = std::fs::read_dir(data_dir.join(&job.folder)) else { continue };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let name =
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if months.iter().any(|m| name.contains(&m.to_string())) {
                files.push((job.id, path));
            }
        }
    }
    files.sort();
    let bar = ProgressBar::new(files.len() as u64).with_style(
        ProgressStyle::with_template("Loading the first demo months {bar:30} {pos}/{len}")
            .expect("a valid template"),
    );
    for (job_id, path) in files {
        let origin = Origin { source: Source::DropFolder, job_id: Some(job_id), run_id: None };
        load_file(pool, &path, &origin).await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}

/// The demo's staff login, as the one who approves the demo runs.
async fn demo_staff(pool: &PgPool) -> Result<SessionUser> {
    let email = "staff@backbeat.demo";
    let id = sqlx::query_scalar!("SELECT id FROM users WHERE email = $1", email)
        .fetch_one(pool)
        .await
        .context("the demo staff login is missing")?;
    Ok(SessionUser {
        id,
        email: email.into(),
        role: Role::Staff,
        artist_id: None,
        label_id: None,
        scope_name: "All labels".into(),
        must_change_password: false,
    })
}
