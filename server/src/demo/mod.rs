//! `backbeat demo`: a realistic catalog and demo logins for an empty database.
//!
//! Deterministic (a fixed seed), so every demo shows the same catalog: 3 labels,
//! 15 artists, 42 releases and about 320 tracks with valid ISRCs and UPCs.

pub(crate) mod revenue;

use crate::cli::{find_artist, find_label};
use crate::generate;
use crate::ingest::{
    loader::Source,
    scheduler::{NewJob, create_job},
};
use anyhow::{Context, Result};
use app::{
    domain::{Email, Isrc, Month, Password, Platform, Role, Upc},
    users::{
        Link,
        ssr::{NewUser, insert},
    },
};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use sqlx::{PgPool, Postgres, Transaction};
use std::path::Path;

/// A demo login, printed by `make run` and listed in the README.
pub struct DemoLogin {
    pub email: &'static str,
    pub password: &'static str,
    pub role: Role,
    /// The artist or label name the login is tied to.
    pub tied_to: Option<&'static str>,
}

pub const DEMO_LOGINS: [DemoLogin; 5] = [
    DemoLogin {
        email: "staff@backbeat.demo",
        password: "backbeat-staff",
        role: Role::Staff,
        tied_to: None,
    },
    DemoLogin {
        email: "label@backbeat.demo",
        password: "backbeat-label",
        role: Role::LabelManager,
        tied_to: Some("Northern Lights Records"),
    },
    DemoLogin {
        email: "artist@backbeat.demo",
        password: "backbeat-artist",
        role: Role::Artist,
        tied_to: Some("Nova Reyes"),
    },
    DemoLogin {
        email: "label2@backbeat.demo",
        password: "backbeat-label2",
        role: Role::LabelManager,
        tied_to: Some("Harbor & Vine Music"),
    },
    DemoLogin {
        email: "artist2@backbeat.demo",
        password: "backbeat-artist2",
        role: Role::Artist,
        tied_to: Some("Lina Okafor"),
    },
];

struct LabelSpec {
    name: &'static str,
    currency: &'static str,
    /// ISRC country and registrant code, and the UPC company digit.
    country: &'static str,
    registrant: &'static str,
    upc_digit: u8,
    artists: [&'static str; 5],
}

const LABELS: [LabelSpec; 3] = [
    LabelSpec {
        name: "Northern Lights Records",
        currency: "USD",
        country: "US",
        registrant: "NLR",
        upc_digit: 1,
        artists: ["Nova Reyes", "The Quiet Hours", "Marlowe Kane", "DJ Okapi", "Juniper Fields"],
    },
    LabelSpec {
        name: "Harbor & Vine Music",
        currency: "GBP",
        country: "GB",
        registrant: "HVM",
        upc_digit: 2,
        artists: ["Lina Okafor", "Tidewater", "Sable & Stone", "Ezra Vale", "Paper Moons"],
    },
    LabelSpec {
        name: "Kestrel Audio",
        currency: "EUR",
        country: "DE",
        registrant: "KS7",
        upc_digit: 3,
        artists: ["Kofi Mensah", "Aurora Lind", "Static Bloom", "Mateo Cruz", "Hollow Pines"],
    },
];

const ADJECTIVES: [&str; 24] = [
    "Midnight", "Golden", "Paper", "Electric", "Quiet", "Neon", "Velvet", "Broken", "Silver",
    "Wild", "Northern", "Slow", "Hollow", "Bright", "Lonely", "Sacred", "Restless", "Violet",
    "Distant", "Burning", "Gentle", "Crystal", "Summer", "Faded",
];
const NOUNS: [&str; 24] = [
    "Harbor",
    "Satellites",
    "Rivers",
    "Motel",
    "Echoes",
    "Heartbeat",
    "Skyline",
    "Gardens",
    "Static",
    "Lanterns",
    "Tides",
    "Highway",
    "Letters",
    "Mirrors",
    "Orchard",
    "Signals",
    "Canyon",
    "Weather",
    "Parade",
    "Fever",
    "Horizon",
    "Islands",
    "Ghosts",
    "Daylight",
];

#[derive(Clone, Copy)]
enum Format {
    Album,
    Ep,
    Single,
}

impl Format {
    fn track_count(self, rng: &mut StdRng) -> i32 {
        match self {
            Format::Album => rng.gen_range(12..=16),
            Format::Ep => rng.gen_range(4..=6),
            Format::Single => rng.gen_range(1..=2),
        }
    }
}

/// Loads the demo catalog and logins into a database without a catalog, revenue terms
/// into one without payees, the demo's drop-folder jobs and a year of reports into one
/// without such jobs, and approved payout runs for the first months into one without
/// runs (so a database from an older demo gets the newer parts too). A step whose part
/// is already there is skipped, and says so.
pub async fn run(pool: &PgPool, data_dir: &Path) -> Result<()> {
    load_catalog_once(pool).await?;
    let months = report_months()?;
    revenue::add_once(pool, &months).await?;
    add_drop_folders_once(pool, data_dir).await?;
    revenue::approved_runs_once(pool, data_dir, &months).await
}

/// The demo reports' months: the twelve before this one.
fn report_months() -> Result<Vec<Month>> {
    let this_month = Month::of_period_end(chrono::Utc::now().date_naive());
    let mut first = this_month;
    for _ in 0..12 {
        first = first.previous();
    }
    generate::command::months(first, Some(this_month.previous()))
}

async fn load_catalog_once(pool: &PgPool) -> Result<()> {
    let labels: i64 =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM labels"#).fetch_one(pool).await?;
    if labels > 0 {
        println!("The database already has a catalog ({labels} labels); demo catalog not loaded.");
        return Ok(());
    }
    println!("Loading the demo catalog and logins...");
    let mut tx = pool.begin().await?;
    let counts = load_catalog(&mut tx).await?;
    load_logins(&mut tx).await?;
    tx.commit().await.context("saving the demo data")?;
    println!(
        "Demo data loaded: {} labels, {} artists, {} releases, {} tracks, {} logins.",
        counts.labels,
        counts.artists,
        counts.releases,
        counts.tracks,
        DEMO_LOGINS.len()
    );
    Ok(())
}

async fn add_drop_folders_once(pool: &PgPool, data_dir: &Path) -> Result<()> {
    let jobs: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM ingestion_jobs WHERE source = 'drop_folder'"#
    )
    .fetch_one(pool)
    .await?;
    if jobs > 0 {
        println!("The database already has drop-folder jobs ({jobs}); demo reports not written.");
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    register_platform_ids(&mut tx).await?;
    load_jobs(&mut tx).await?;
    tx.commit().await.context("saving the demo jobs")?;
    write_reports(pool, data_dir).await
}

#[derive(Default)]
struct Counts {
    labels: usize,
    artists: usize,
    releases: usize,
    tracks: usize,
}

async fn load_catalog(tx: &mut Transaction<'_, Postgres>) -> Result<Counts> {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut counts = Counts::default();
    for spec in &LABELS {
        let label_id = sqlx::query_scalar!(
            "INSERT INTO labels (name, accounting_currency) VALUES ($1, $2) RETURNING id",
            spec.name,
            spec.currency
        )
        .fetch_one(&mut **tx)
        .await?;
        counts.labels += 1;
        let mut artist_ids = Vec::new();
        for name in spec.artists {
            let id =
                sqlx::query_scalar!("INSERT INTO artists (name) VALUES ($1) RETURNING id", name)
                    .fetch_one(&mut **tx)
                    .await?;
            artist_ids.push(id);
            counts.artists += 1;
        }
        let mut numbers = Numbers { label: spec, next_isrc: 1, next_upc: 1 };
        for (artist_index, &artist_id) in artist_ids.iter().enumerate() {
            let formats = release_formats(artist_index);
            for &format in formats {
                let peers: Vec<i64> =
                    artist_ids.iter().copied().filter(|&id| id != artist_id).collect();
                let release = ReleasePlan::new(&mut rng, format, artist_id, peers);
                counts.tracks +=
                    insert_release(tx, &mut rng, &mut numbers, label_id, &release).await?;
                counts.releases += 1;
            }
        }
    }
    Ok(counts)
}

/// A daily job per platform watching its drop folder, run once at start so the demo
/// reports load as soon as the server is up. (The upload job comes with the schema.)
async fn load_jobs(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
    for platform in Platform::ALL {
        let name = format!("{} drop folder", platform.name());
        let folder = format!("drop/{}", platform.code());
        let job = NewJob {
            name: &name,
            platform: Some(platform),
            folder: &folder,
            schedule: Some("0 6 * * *"),
            source: Source::DropFolder,
            freshness_days: freshness_days(platform),
            run_at_once: true,
        };
        create_job(&mut **tx, &job).await?;
    }
    Ok(())
}

/// How many days after a month ends its report is due. TIDAL's demo reports stop two
/// months short (`write_reports`); with 28 days the first of them is overdue whatever
/// the day of the month (a month ends at most 28 days before the next one does), where
/// 45 days would flag it only from the middle of the month.
fn freshness_days(platform: Platform) -> i32 {
    if platform == Platform::Tidal { 28 } else { 45 }
}

/// A year of monthly reports for every platform into the drop folders: the twelve
/// months before this one. TIDAL's last two are "late", so the staff page has a missed
/// freshness target to show.
async fn write_reports(pool: &PgPool, data_dir: &Path) -> Result<()> {
    let months = report_months()?;
    let tracks = generate::command::catalog(pool).await?;
    std::fs::create_dir_all(data_dir.join(crate::ingest::upload::FOLDER))?;
    let bar = ProgressBar::new((months.len() * Platform::ALL.len()) as u64).with_style(
        ProgressStyle::with_template("Writing demo reports {bar:30} {pos}/{len}  {msg}")
            .expect("a valid template"),
    );
    for platform in Platform::ALL {
        let late = if platform == Platform::Tidal { 2 } else { 0 };
        for &month in &months[..months.len() - late] {
            let spec = generate::Spec { platform, month, rows: DEMO_REPORT_ROWS, seed: 1 };
            let report = generate::Report::plan(spec, &tracks);
            bar.set_message(report.file_name());
            let folder = data_dir.join("drop").join(platform.code());
            generate::command::write_file(&report, &folder, || {})?;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    println!(
        "Demo reports written to {} ({} to {}); the server's scheduler loads them.",
        data_dir.join("drop").display(),
        months[0],
        months[months.len() - 1]
    );
    Ok(())
}

/// Lines per demo report: enough for charts with texture, quick to load.
const DEMO_REPORT_ROWS: usize = 2000;

/// The ids each platform gives the demo tracks (as `backbeat generate` writes them),
/// so report lines that carry no ISRC still find their track.
async fn register_platform_ids(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
    let tracks = sqlx::query!("SELECT id, isrc FROM tracks").fetch_all(&mut **tx).await?;
    let (mut platforms, mut ids, mut track_ids) = (Vec::new(), Vec::new(), Vec::new());
    for track in tracks {
        let isrc = Isrc::parse(&track.isrc).context("a demo ISRC")?;
        for platform in Platform::ALL {
            platforms.push(platform.code().to_string());
            ids.push(generate::platform_track_id(platform, &isrc));
            track_ids.push(track.id);
        }
    }
    sqlx::query!(
        r#"
        INSERT INTO track_platform_ids (platform, platform_track_id, track_id)
        SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[])
        ON CONFLICT DO NOTHING
        "#,
        &platforms,
        &ids,
        &track_ids
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Each label's lead artist has a long catalog, newcomers a short one: 14 releases a
/// label, 42 in all, about 320 tracks.
fn release_formats(artist_index: usize) -> &'static [Format] {
    match artist_index {
        0 => &[Format::Album, Format::Album, Format::Ep, Format::Single],
        1 | 2 => &[Format::Album, Format::Ep, Format::Single],
        _ => &[Format::Album, Format::Single],
    }
}

/// Hands out each label's ISRC designations and UPC item numbers in sequence.
struct Numbers<'a> {
    label: &'a LabelSpec,
    next_isrc: u32,
    next_upc: u32,
}

impl Numbers<'_> {
    fn isrc(&mut self, year: i32) -> Isrc {
        let code = format!(
            "{}{}{:02}{:05}",
            self.label.country,
            self.label.registrant,
            year % 100,
            self.next_isrc
        );
        self.next_isrc += 1;
        Isrc::parse(&code).expect("demo ISRCs follow the standard layout")
    }

    fn upc(&mut self) -> Upc {
        // 11 digits: a made-up company prefix, the label, and an item number.
        let body = format!("1984{}{:06}", self.label.upc_digit, self.next_upc);
        self.next_upc += 1;
        Upc::with_check_digit(&body).expect("11 digits make a UPC-A")
    }
}

struct ReleasePlan {
    title: String,
    format: Format,
    artist_id: i64,
    date: NaiveDate,
    /// Label-mates who may be featured.
    peers: Vec<i64>,
}

impl ReleasePlan {
    fn new(rng: &mut StdRng, format: Format, artist_id: i64, peers: Vec<i64>) -> Self {
        let date = NaiveDate::from_ymd_opt(2019, 1, 4).expect("valid date")
            + chrono::Duration::weeks(rng.gen_range(0..400));
        ReleasePlan { title: title(rng), format, artist_id, date, peers }
    }
}

fn title(rng: &mut StdRng) -> String {
    let adjective = ADJECTIVES.choose(rng).expect("non-empty");
    let noun = NOUNS.choose(rng).expect("non-empty");
    match rng.gen_range(0..4) {
        0 => format!("{noun} of {}", NOUNS.choose(rng).expect("non-empty")),
        1 => format!("The {adjective} {noun}"),
        _ => format!("{adjective} {noun}"),
    }
}

async fn insert_release(
    tx: &mut Transaction<'_, Postgres>,
    rng: &mut StdRng,
    numbers: &mut Numbers<'_>,
    label_id: i64,
    plan: &ReleasePlan,
) -> Result<usize> {
    let upc = numbers.upc();
    let release_id = sqlx::query_scalar!(
        r#"
        INSERT INTO releases (label_id, artist_id, upc, title, release_date)
        VALUES ($1, $2, $3, $4, $5) RETURNING id
        "#,
        label_id,
        plan.artist_id,
        upc.gtin13(),
        plan.title,
        plan.date as _
    )
    .fetch_one(&mut **tx)
    .await?;
    let track_count = plan.format.track_count(rng);
    let year = plan.date.format("%Y").to_string().parse::<i32>().expect("a year is a number");
    for number in 1..=track_count {
        // A single's title track carries the release's name.
        let track_title = if number == 1 && !matches!(plan.format, Format::Album) {
            plan.title.clone()
        } else {
            title(rng)
        };
        let isrc = numbers.isrc(year);
        let track_id = sqlx::query_scalar!(
            r#"
            INSERT INTO tracks (release_id, isrc, title, track_number, duration_seconds)
            VALUES ($1, $2, $3, $4, $5) RETURNING id
            "#,
            release_id,
            isrc.as_str(),
            track_title,
            number,
            rng.gen_range(128..=330)
        )
        .fetch_one(&mut **tx)
        .await?;
        credit(tx, track_id, plan.artist_id, "main").await?;
        if rng.gen_bool(0.18) {
            let featured = *plan.peers.choose(rng).expect("every label has five artists");
            credit(tx, track_id, featured, "featured").await?;
        }
    }
    Ok(track_count as usize)
}

async fn credit(
    tx: &mut Transaction<'_, Postgres>,
    track_id: i64,
    artist_id: i64,
    role: &str,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO track_artists (track_id, artist_id, role) VALUES ($1, $2, $3)",
        track_id,
        artist_id,
        role
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn load_logins(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
    for login in &DEMO_LOGINS {
        let link = match (login.role, login.tied_to) {
            (Role::Artist, Some(name)) => Link::Artist(find_artist(&mut **tx, name).await?),
            (Role::LabelManager, Some(name)) => Link::Label(find_label(&mut **tx, name).await?),
            _ => Link::None,
        };
        let new = NewUser {
            email: Email::parse(login.email)?,
            role: login.role,
            link,
            password: Password::parse(login.password)?,
            must_change_password: false,
        };
        insert(&mut **tx, &new).await?;
    }
    Ok(())
}

/// The demo logins as lines for a terminal.
pub fn logins_table() -> String {
    DEMO_LOGINS
        .iter()
        .map(|l| {
            let scope = l.tied_to.unwrap_or("everything");
            format!("  {:<24} {:<18} {} ({})", l.email, l.password, l.role.label(), scope)
        })
        .collect::<Vec<_>>()
        .join("\n")
}
