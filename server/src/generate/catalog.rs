//! `backbeat generate-catalog`: a large synthetic catalog, for the benchmarks.
//!
//! The demo's catalog is a few hundred tracks; a distributor's is a million. This makes
//! one of any size in the demo's shape, in a few set-based statements: labels of about
//! ten thousand tracks each, artists of about twenty tracks, releases of one to sixteen
//! tracks, one featured artist in six tracks; a payee per label and per artist, a
//! contract per release (artist 70%, label 30%), the demo's exchange rates and
//! ownership claims (so some revenue is held in conflict), and logins: a label manager
//! per label, staff, and the first artists. Every login has the same password.

use crate::demo::revenue::{add_claims, add_rates};
use anyhow::{Context, Result, bail};
use app::auth::password;
use app::conflicts::detect;
use app::domain::{Isrc, Month, Password, Upc};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::{PgConnection, PgPool};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// How many tracks.
    #[arg(long)]
    pub tracks: usize,
    /// How many artists get a login (`artist<N>@bench.backbeat`, N from 1).
    #[arg(long, default_value_t = 500)]
    pub artist_logins: usize,
    /// Exchange rates are made for every month from this one through --through.
    #[arg(long)]
    pub month: Month,
    #[arg(long)]
    pub through: Month,
}

/// The password of every generated login.
pub const PASSWORD: &str = "bench-password";
pub const STAFF_EMAIL: &str = "staff@bench.backbeat";

pub fn artist_email(n: usize) -> String {
    format!("artist{n}@bench.backbeat")
}

pub fn label_email(n: usize) -> String {
    format!("label{n}@bench.backbeat")
}

const TRACKS_PER_LABEL: usize = 10_000;
const TRACKS_PER_ARTIST: usize = 20;
const CURRENCIES: [&str; 3] = ["USD", "GBP", "EUR"];
/// Release sizes in turn: albums, EPs and singles, about eight tracks a release.
const RELEASE_SIZES: [usize; 8] = [12, 1, 5, 16, 2, 1, 14, 13];

pub async fn run(pool: &PgPool, args: Args) -> Result<()> {
    let labels: i64 =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM labels"#).fetch_one(pool).await?;
    if labels > 0 {
        bail!("the database already has a catalog ({labels} labels); use an empty one");
    }
    let months = super::command::months(args.month, Some(args.through))?;
    let plan = Plan::new(args.tracks);
    let mut tx = pool.begin().await?;
    plan.insert(&mut tx).await?;
    add_terms(&mut tx).await?;
    // A month after the last: no rate is left out.
    add_rates(&mut tx, &months, args.through.next()).await?;
    add_claims(&mut tx, months[0]).await?;
    // Every change of claims is detected as it is saved: a file's detection then looks
    // only at what its lines bring (`detect::of_files`).
    detect::detect(&mut tx, &detect::Scope::All).await?;
    add_logins(&mut tx, plan.labels, args.artist_logins.min(plan.artists)).await?;
    // Statistics before the commit, not after: the contracts' deferred checks (a trigger
    // per contract and split, migration 5) run at the commit, and planned on the
    // statistics of empty tables they read every split for each contract. The commit
    // of a million tracks' catalog took over ten minutes so (100,000 tracks: 14 s).
    sqlx::query("ANALYZE").execute(&mut *tx).await?;
    tx.commit().await.context("saving the catalog")?;
    println!(
        "Catalog generated: {} labels, {} artists, {} releases, {} tracks; logins share the password {PASSWORD}.",
        plan.labels,
        plan.artists,
        plan.releases(),
        args.tracks
    );
    Ok(())
}

/// The catalog's shape, worked out from its size.
struct Plan {
    tracks: usize,
    labels: usize,
    artists: usize,
}

impl Plan {
    fn new(tracks: usize) -> Self {
        Plan {
            tracks,
            labels: tracks.div_ceil(TRACKS_PER_LABEL).max(3),
            artists: tracks.div_ceil(TRACKS_PER_ARTIST).max(15),
        }
    }

    /// Each release's size, in order, until the tracks are spent.
    fn release_sizes(&self) -> impl Iterator<Item = usize> + '_ {
        let mut left = self.tracks;
        RELEASE_SIZES.iter().cycle().map_while(move |&size| {
            let size = size.min(left);
            left -= size;
            (size > 0).then_some(size)
        })
    }

    fn releases(&self) -> usize {
        self.release_sizes().count()
    }

    async fn insert(&self, tx: &mut PgConnection) -> Result<()> {
        let names: Vec<String> = (1..=self.labels).map(|n| format!("Bench Label {n}")).collect();
        let currencies: Vec<String> =
            (0..self.labels).map(|i| CURRENCIES[i % CURRENCIES.len()].to_string()).collect();
        sqlx::query!(
            "INSERT INTO labels (name, accounting_currency) SELECT * FROM UNNEST($1::text[], $2::text[])",
            &names,
            &currencies
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO artists (name) SELECT 'Bench Artist ' || n FROM generate_series(1, $1::int) n",
            self.artists as i32
        )
        .execute(&mut *tx)
        .await?;
        let bar = ProgressBar::new(self.tracks as u64).with_style(
            ProgressStyle::with_template("Catalog {bar:30} {pos}/{len} tracks")
                .expect("a valid template"),
        );
        let mut batch = Batch::default();
        let mut codes = Codes::new(self.labels);
        for (release, size) in self.release_sizes().enumerate() {
            // Artists are spread over labels in turn; an artist releases on one label.
            let artist = release % self.artists;
            let label = artist % self.labels;
            // A label-mate is featured on one track in six.
            let guest = (artist + self.labels) % self.artists;
            batch.add_release(release, (artist, guest), label, size, &mut codes);
            if batch.tracks.len() >= 50_000 {
                bar.inc(batch.tracks.len() as u64);
                batch.insert(tx).await?;
            }
        }
        bar.inc(batch.tracks.len() as u64);
        batch.insert(tx).await?;
        bar.finish_and_clear();
        Ok(())
    }
}

/// ISRCs and UPCs handed out per label. Registrants are the label's number in base 36
/// (`B` and two digits), so a label has 100,000 ISRCs a year.
struct Codes {
    next_isrc: Vec<u32>,
    next_upc: Vec<u32>,
}

impl Codes {
    fn new(labels: usize) -> Self {
        Codes { next_isrc: vec![1; labels], next_upc: vec![1; labels] }
    }

    fn isrc(&mut self, label: usize, year: i32) -> Isrc {
        const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let registrant = [DIGITS[label / 36 % 36] as char, DIGITS[label % 36] as char];
        let country = ["US", "GB", "DE"][label % 3];
        let number = self.next_isrc[label];
        self.next_isrc[label] += 1;
        let code =
            format!("{country}B{}{}{:02}{number:05}", registrant[0], registrant[1], year % 100);
        Isrc::parse(&code).expect("generated ISRCs follow the standard layout")
    }

    fn upc(&mut self, label: usize) -> Upc {
        let number = self.next_upc[label];
        self.next_upc[label] += 1;
        Upc::with_check_digit(&format!("9{label:03}{number:07}")).expect("11 digits make a UPC-A")
    }
}

/// Rows waiting to be written, as columns for UNNEST.
#[derive(Default)]
struct Batch {
    release_keys: Vec<i64>,
    release_labels: Vec<i64>,
    release_artists: Vec<i64>,
    upcs: Vec<String>,
    release_titles: Vec<String>,
    dates: Vec<NaiveDate>,
    tracks: Vec<i64>,
    isrcs: Vec<String>,
    titles: Vec<String>,
    numbers: Vec<i32>,
    featured: Vec<Option<i64>>,
}

impl Batch {
    fn add_release(
        &mut self,
        release: usize,
        (artist, guest): (usize, usize),
        label: usize,
        size: usize,
        codes: &mut Codes,
    ) {
        let date = NaiveDate::from_ymd_opt(2015, 1, 2).expect("a valid date")
            + chrono::Duration::weeks((release % 560) as i64);
        let year = date.format("%Y").to_string().parse().expect("a year is a number");
        self.release_keys.push(release as i64);
        self.release_labels.push(label as i64 + 1);
        self.release_artists.push(artist as i64 + 1);
        self.upcs.push(codes.upc(label).gtin13().to_string());
        self.release_titles.push(format!("Bench Release {}", release + 1));
        self.dates.push(date);
        for number in 1..=size {
            self.tracks.push(release as i64);
            self.isrcs.push(codes.isrc(label, year).as_str().to_string());
            self.titles.push(format!("Bench Song {}-{number}", release + 1));
            self.numbers.push(number as i32);
            self.featured.push((number % 6 == 3).then_some(guest as i64 + 1));
        }
    }

    /// Writes the releases, their tracks and credits. Labels and artists were numbered
    /// from 1 in an empty database, so their ids are their numbers.
    async fn insert(&mut self, tx: &mut PgConnection) -> Result<()> {
        let batch = std::mem::take(self);
        sqlx::query!(
            r#"
            WITH r AS (
                INSERT INTO releases (label_id, artist_id, upc, title, release_date)
                SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::date[])
                RETURNING id, upc
            ),
            keyed AS (
                SELECT r.id, u.key, u.artist
                FROM r JOIN UNNEST($3::text[], $6::bigint[], $2::bigint[]) u(upc, key, artist)
                    ON u.upc = r.upc
            ),
            t AS (
                INSERT INTO tracks (release_id, isrc, title, track_number, duration_seconds)
                SELECT k.id, u.isrc, u.title, u.number, 150 + u.number * 7
                FROM UNNEST($7::bigint[], $8::text[], $9::text[], $10::int[]) u(key, isrc, title, number)
                JOIN keyed k ON k.key = u.key
                RETURNING id, isrc, release_id
            )
            INSERT INTO track_artists (track_id, artist_id, role)
            SELECT t.id, k.artist, 'main' FROM t JOIN keyed k ON k.id = t.release_id
            UNION ALL
            SELECT t.id, u.guest, 'featured'
            FROM t JOIN UNNEST($8::text[], $11::bigint[]) u(isrc, guest) ON u.isrc = t.isrc
            JOIN keyed k ON k.id = t.release_id
            WHERE u.guest IS NOT NULL AND u.guest <> k.artist
            "#,
            &batch.release_labels,
            &batch.release_artists,
            &batch.upcs,
            &batch.release_titles,
            &batch.dates as _,
            &batch.release_keys,
            &batch.tracks,
            &batch.isrcs,
            &batch.titles,
            &batch.numbers,
            &batch.featured as &[Option<i64>]
        )
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// A payee per label and per artist (on their label), and a contract per release:
/// 15% to the distributor, then artist 70%, label 30%.
async fn add_terms(tx: &mut PgConnection) -> Result<()> {
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
        SELECT DISTINCT ON (r.artist_id) r.label_id, a.name, 'artist', a.id,
               l.accounting_currency, 25
        FROM releases r JOIN artists a ON a.id = r.artist_id JOIN labels l ON l.id = r.label_id
        ORDER BY r.artist_id
        "#
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        WITH c AS (
            INSERT INTO contracts (release_id, distribution_fee, valid_from, note)
            SELECT id, 0.15, '2010-01-01', 'Bench distribution agreement' FROM releases
            RETURNING id, release_id
        )
        INSERT INTO contract_splits (contract_id, payee_id, share)
        SELECT c.id, p.id, CASE p.kind WHEN 'artist' THEN 0.70 ELSE 0.30 END
        FROM c
        JOIN releases r ON r.id = c.release_id
        JOIN payees p ON p.label_id = r.label_id
                     AND (p.kind = 'label' OR p.artist_id = r.artist_id)
        "#
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Staff, a manager per label and the first `artists` artists, with one password hash
/// (hashing each would take minutes and prove nothing).
async fn add_logins(tx: &mut PgConnection, labels: usize, artists: usize) -> Result<()> {
    let hash = password::hash(&Password::parse(PASSWORD)?);
    let mut emails = vec![STAFF_EMAIL.to_string()];
    let mut roles = vec!["staff".to_string()];
    let (mut artist_ids, mut label_ids) = (vec![None], vec![None]);
    for n in 1..=labels {
        emails.push(label_email(n));
        roles.push("label_manager".into());
        artist_ids.push(None);
        label_ids.push(Some(n as i64));
    }
    for n in 1..=artists {
        emails.push(artist_email(n));
        roles.push("artist".into());
        artist_ids.push(Some(n as i64));
        label_ids.push(None);
    }
    sqlx::query!(
        r#"
        INSERT INTO users (email, password_hash, role, artist_id, label_id)
        SELECT e, $1, r, a, l FROM UNNEST($2::text[], $3::text[], $4::bigint[], $5::bigint[])
            AS u(e, r, a, l)
        "#,
        hash,
        &emails,
        &roles,
        &artist_ids as &[Option<i64>],
        &label_ids as &[Option<i64>]
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_sizes_spend_exactly_the_tracks() {
        for tracks in [1, 7, 64, 1000, 12_345] {
            let plan = Plan::new(tracks);
            assert_eq!(plan.release_sizes().sum::<usize>(), tracks);
        }
    }

    #[test]
    fn codes_are_valid_and_distinct_across_labels() {
        let mut codes = Codes::new(300);
        let a = codes.isrc(0, 2020);
        let b = codes.isrc(37, 2020);
        let c = codes.isrc(0, 2020);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(codes.upc(1).gtin13(), codes.upc(2).gtin13());
    }
}
