//! Dashboards under load: the artist overview, the per-song page and the label overview
//! as many users see them, each with their own session and filters, so that no cache
//! answers for all of them. Latency at a steady rate (open loop: a request leaves at its
//! time whether or not the last one came back, and its latency counts from that time,
//! so slow answers are not hidden), and the most requests per second at 8 and 64
//! connections (closed loop). Beside it, what the summaries buy: the label overview's
//! money per month and platform read from the summary, and from the raw facts.
//!
//! The load generator is this process: it shares the machine's cores with the server
//! and Postgres, and the report says so.

use crate::bench::{Bench, seconds};
use anyhow::{Context, Result, bail};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::{Client, StatusCode, header};
use sqlx::PgPool;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The steady rate and its target for the slowest of a hundred requests.
pub const RATE: f64 = 100.0;
pub const P99_TARGET_MS: f64 = 100.0;
/// Closed-loop concurrency levels.
const CONNECTIONS: [usize; 2] = [8, 64];
/// Logins made: this many artists, and every label's manager.
const ARTISTS: i64 = 200;

/// A `backbeat serve` of one benchmark database, stopped when dropped.
pub struct Server {
    child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The release server on a free port, scheduler off (nothing changes under the
    /// measurement), serving `site` for its wasm and stylesheet.
    pub async fn start(bench: &Bench, database: &str, site: &Path) -> Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = std::fs::File::create(bench.dir.join("server.log"))?;
        let child = Command::new(&bench.backbeat)
            .arg("serve")
            .env("DATABASE_URL", bench.url(database))
            .env("BACKBEAT_ADDR", format!("127.0.0.1:{port}"))
            .env("BACKBEAT_SCHEDULER", "false")
            .env("BACKBEAT_SITE_ROOT", site)
            .env("BACKBEAT_DATA_DIR", bench.dir.join("data"))
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .context("starting backbeat serve")?;
        let server = Server { child, address: format!("http://127.0.0.1:{port}") };
        let client = Client::new();
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("{}/healthz", server.address)).send().await
                && r.status() == StatusCode::OK
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("backbeat serve did not answer on {} (see target/bench/server.log)", server.address)
    }
}

/// The three pages the issue names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Page {
    ArtistOverview,
    Song,
    LabelOverview,
}

impl Page {
    const ALL: [Page; 3] = [Page::ArtistOverview, Page::Song, Page::LabelOverview];

    fn name(self) -> &'static str {
        match self {
            Page::ArtistOverview => "artist overview",
            Page::Song => "per-song page",
            Page::LabelOverview => "label overview",
        }
    }
}

/// One page load: whose session, which page, which URL.
#[derive(Debug, Clone)]
pub struct Request {
    pub page: Page,
    pub cookie: Arc<str>,
    pub path: String,
}

/// A finished request: its page, how long from its scheduled time, and whether it
/// answered 200 with a page.
struct Sample {
    page: Page,
    latency: Duration,
    ok: bool,
}

/// What the dashboards answer to, at one size of data.
pub struct Load {
    pub p99_ms: f64,
    pub errors: usize,
}

/// Every measurement of the dashboards against the database `database`, served with
/// the release front end in `site`; returns the steady rate's figures.
pub async fn run(bench: &mut Bench, database: &str, site: &Path, facts: i64) -> Result<Load> {
    println!("dashboards: {facts} facts, {RATE} requests per second and then flat out");
    let server = Server::start(bench, database, site).await?;
    let requests = requests(bench, database, &server).await?;
    let load = steady(bench, &server, &requests, &format!("{facts} facts")).await?;
    bench.verdict(
        &format!("dashboards with {facts} facts: p99 at {RATE:.0} requests per second"),
        &format!("< {P99_TARGET_MS:.0} ms, no errors"),
        format!("{:.1} ms, {} errors", load.p99_ms, load.errors),
        load.p99_ms < P99_TARGET_MS && load.errors == 0,
        &format!(
            "open loop, {} users' sessions and filters; the load generator shares the 2 cores \
             with the server and Postgres",
            distinct_sessions(&requests)
        ),
    );
    for connections in CONNECTIONS {
        flat_out(bench, &server, &requests, connections).await?;
    }
    let artist = server::generate::catalog::artist_email(1);
    crate::frontend::time_to_interactive(bench, &server.address, &artist)?;
    drop(server);
    summaries_against_facts(bench, database).await?;
    Ok(load)
}

/// A steady `RATE` for the run's duration: latency per page and overall.
pub async fn steady(
    bench: &mut Bench,
    server: &Server,
    requests: &[Request],
    case: &str,
) -> Result<Load> {
    let duration = if bench.scale.tenth { 10.0 } else { 30.0 };
    let samples = open_loop(server, requests, RATE, Duration::from_secs_f64(duration)).await;
    let errors = samples.iter().filter(|s| !s.ok).count();
    let ms = |s: &Sample| s.latency.as_secs_f64() * 1000.0;
    for page in Page::ALL {
        let of: Vec<f64> = samples.iter().filter(|s| s.page == page).map(ms).collect();
        let name = format!("{case}: {} at {RATE:.0}/s", page.name());
        bench.record("dashboards", &name, "p50 latency", "ms", vec![percentile(&of, 50.0)]);
        bench.record("dashboards", &name, "p99 latency", "ms", vec![percentile(&of, 99.0)]);
    }
    let all: Vec<f64> = samples.iter().map(ms).collect();
    let p99_ms = percentile(&all, 99.0);
    let name = format!("{case}: every page at {RATE:.0}/s");
    bench.record("dashboards", &name, "p99 latency", "ms", vec![p99_ms]);
    bench.record("dashboards", &name, "errors", "requests", vec![errors as f64]);
    Ok(Load { p99_ms, errors })
}

/// The sessions and URLs of the run: every label's manager and the first artists,
/// logged in once, each asking for their overview with a few filters and for their
/// songs' pages. Shuffled, so consecutive requests are different users.
pub async fn requests(bench: &mut Bench, database: &str, server: &Server) -> Result<Vec<Request>> {
    let pool = bench.pool(database).await?;
    let menu = Menu::read(&pool).await?;
    let users: Vec<(String, Option<i64>, Option<i64>)> = sqlx::query_as(
        "(SELECT email, artist_id, label_id FROM users WHERE role = 'label_manager')
         UNION ALL
         (SELECT email, artist_id, label_id FROM users WHERE role = 'artist' ORDER BY id LIMIT $1)",
    )
    .bind(ARTISTS)
    .fetch_all(&pool)
    .await?;
    let client = Client::new();
    let mut rng = StdRng::seed_from_u64(7);
    let mut requests = Vec::new();
    for (email, artist, label) in users {
        let cookie: Arc<str> = login(&client, server, &email).await?.into();
        let (page, songs) = match (artist, label) {
            (Some(artist), _) => (Page::ArtistOverview, songs_of_artist(&pool, artist).await?),
            (None, Some(label)) => (Page::LabelOverview, songs_of_label(&pool, label).await?),
            (None, None) => continue,
        };
        for _ in 0..4 {
            let path = format!("/{}", menu.filters(&mut rng));
            requests.push(Request { page, cookie: cookie.clone(), path });
        }
        for song in songs.iter().take(4) {
            let path = format!("/tracks/{song}{}", menu.filters(&mut rng));
            requests.push(Request { page: Page::Song, cookie: cookie.clone(), path });
        }
    }
    pool.close().await;
    requests.shuffle(&mut rng);
    let transient = check_pages(server, &requests).await?;
    if transient > 0 {
        bench.notes.push(format!(
            "Dashboards: {transient} of {} pages answered 500 on their first load and 200 on \
             the second (the server's log has the panic).",
            requests.len()
        ));
    }
    Ok(requests)
}

/// The values the filters are drawn from: what the data holds.
struct Menu {
    months: Vec<String>,
    platforms: Vec<String>,
    territories: Vec<String>,
}

impl Menu {
    async fn read(pool: &PgPool) -> Result<Menu> {
        let months = sqlx::query_scalar(
            "SELECT DISTINCT to_char(accounting_month, 'YYYY-MM') FROM label_summary ORDER BY 1",
        )
        .fetch_all(pool)
        .await?;
        let platforms =
            sqlx::query_scalar("SELECT DISTINCT platform FROM label_summary ORDER BY 1")
                .fetch_all(pool)
                .await?;
        let territories = sqlx::query_scalar(
            "SELECT territory::text FROM label_summary GROUP BY 1 ORDER BY sum(lines) DESC LIMIT 12",
        )
        .fetch_all(pool)
        .await?;
        if months.is_empty() {
            bail!("nothing is summarized: the dashboards have no data to show");
        }
        Ok(Menu { months, platforms, territories })
    }

    /// A query string as a reader would pick: nothing, a period, a platform, a
    /// territory, or two of them.
    fn filters(&self, rng: &mut StdRng) -> String {
        let mut pairs = Vec::new();
        if rng.gen_bool(0.4) {
            let month = self.months.choose(rng).expect("months");
            pairs.push(format!("from={month}&to={month}"));
        }
        if rng.gen_bool(0.3) {
            pairs.push(format!("platform={}", self.platforms.choose(rng).expect("platforms")));
        }
        if rng.gen_bool(0.3)
            && let Some(territory) = self.territories.choose(rng)
        {
            pairs.push(format!("territory={territory}"));
        }
        if pairs.is_empty() { String::new() } else { format!("?{}", pairs.join("&")) }
    }
}

async fn songs_of_artist(pool: &PgPool, artist: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT track_id FROM track_artists WHERE artist_id = $1 ORDER BY 1")
        .bind(artist)
        .fetch_all(pool)
        .await?)
}

async fn songs_of_label(pool: &PgPool, label: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT t.id FROM tracks t JOIN releases r ON r.id = t.release_id
         WHERE r.label_id = $1 ORDER BY hashint8(t.id) LIMIT 8",
    )
    .bind(label)
    .fetch_all(pool)
    .await?)
}

/// Logs in as a browser's form would; returns the session cookie.
async fn login(client: &Client, server: &Server, email: &str) -> Result<String> {
    let password = server::generate::catalog::PASSWORD;
    let response = client
        .post(format!("{}/api/login", server.address))
        .form(&[("email", email), ("password", password)])
        .send()
        .await?;
    if response.status() != StatusCode::OK {
        bail!("logging in as {email}: {}", response.status());
    }
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .with_context(|| format!("logging in as {email} set no cookie"))?;
    Ok(cookie.to_string())
}

/// Every URL once before timing: each must be a page drawn for its user (a redirect to
/// the login page or a page that fails every time would make the timings meaningless).
/// A server error that a second try does not repeat is counted, not fatal: the load
/// phases count every error against their targets. Returns how many there were.
async fn check_pages(server: &Server, requests: &[Request]) -> Result<usize> {
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let mut transient = 0;
    for request in requests {
        let (mut status, mut body) = page(&client, &server.address, request).await?;
        if status.is_server_error() {
            transient += 1;
            (status, body) = page(&client, &server.address, request).await?;
        }
        if status != StatusCode::OK || !body.contains("</main>") {
            bail!("{} ({:?}) answered {status}: {body:.300}", request.path, request.page);
        }
    }
    Ok(transient)
}

async fn page(client: &Client, address: &str, request: &Request) -> Result<(StatusCode, String)> {
    let response = send(client, address, request).await?;
    Ok((response.status(), response.text().await?))
}

async fn send(client: &Client, address: &str, request: &Request) -> Result<reqwest::Response> {
    Ok(client
        .get(format!("{address}{}", request.path))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &*request.cookie)
        .send()
        .await?)
}

/// One request and its body read to the end; whether it was a 200.
async fn fetch(client: &Client, address: &str, request: &Request) -> bool {
    match send(client, address, request).await {
        Ok(response) => response.status() == StatusCode::OK && response.bytes().await.is_ok(),
        Err(_) => false,
    }
}

/// Requests at `rate` per second for `duration`, cycling through `requests`; each one's
/// latency counts from when it was due.
async fn open_loop(
    server: &Server,
    requests: &[Request],
    rate: f64,
    duration: Duration,
) -> Vec<Sample> {
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let address = Arc::new(server.address.clone());
    let count = (rate * duration.as_secs_f64()) as usize;
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for (i, request) in requests.iter().cycle().take(count).enumerate() {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        let (client, request, address) = (client.clone(), request.clone(), address.clone());
        tasks.push(tokio::spawn(async move {
            let ok = fetch(&client, &address, &request).await;
            Sample { page: request.page, latency: due.elapsed(), ok }
        }));
    }
    let mut samples = Vec::with_capacity(count);
    for task in tasks {
        samples.push(task.await.expect("a request task"));
    }
    samples
}

/// As many requests as `connections` clients keep going, each sending its next request
/// when the last came back.
async fn flat_out(
    bench: &mut Bench,
    server: &Server,
    requests: &[Request],
    connections: usize,
) -> Result<()> {
    let duration = Duration::from_secs(if bench.scale.tenth { 5 } else { 20 });
    let requests = Arc::new(requests.to_vec());
    let address = Arc::new(server.address.clone());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..connections {
        let (requests, address) = (requests.clone(), address.clone());
        tasks.push(tokio::spawn(async move {
            let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
            let (mut done, mut errors) = (0usize, 0usize);
            let mut i = worker * 7919;
            while started.elapsed() < duration {
                if !fetch(&client, &address, &requests[i % requests.len()]).await {
                    errors += 1;
                }
                done += 1;
                i += 1;
            }
            anyhow::Ok((done, errors))
        }));
    }
    let (mut done, mut errors) = (0, 0);
    for task in tasks {
        let (d, e) = task.await??;
        done += d;
        errors += e;
    }
    let rate = done as f64 / seconds(started.elapsed());
    let name = format!("every page, {connections} connections, flat out");
    bench.record("dashboards", &name, "requests per second", "req/s", vec![rate]);
    bench.record("dashboards", &name, "errors", "requests", vec![errors as f64]);
    println!("  {connections} connections: {rate:.0} requests per second, {errors} errors");
    Ok(())
}

/// The label overview's money per month and platform for each label, from the summary
/// (what the page reads) and from the raw facts (what it would read without them; the
/// facts' reported currencies, not converted, so the raw side does less work than the
/// page's). Median milliseconds over the labels.
async fn summaries_against_facts(bench: &mut Bench, database: &str) -> Result<()> {
    let pool = bench.pool(database).await?;
    let labels: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM labels ORDER BY id LIMIT 10").fetch_all(&pool).await?;
    let sources = [
        ("label_summary", FROM_ROLL_UP),
        ("its tracks' terms", FROM_TERMS),
        ("raw facts", FROM_FACTS),
    ];
    for (source, sql) in sources {
        let mut samples = Vec::new();
        for label in &labels {
            let started = Instant::now();
            sqlx::query(sql).bind(label).fetch_all(&pool).await?;
            samples.push(seconds(started.elapsed()) * 1000.0);
        }
        let name = format!("label overview's money per month and platform, from {source}");
        bench.record("dashboards", &name, "time per label", "ms", samples);
    }
    pool.close().await;
    let of = |source: &str| {
        bench
            .figures
            .iter()
            .rev()
            .find(|f| f.case.ends_with(source))
            .map(|f| f.median())
            .unwrap_or(f64::NAN)
    };
    let (roll_up, terms, facts) = (of("label_summary"), of("its tracks' terms"), of("raw facts"));
    bench.notes.push(format!(
        "The label overview's money per month and platform takes {roll_up:.1} ms from \
         label_summary (what the page reads), {terms:.1} ms from its tracks' terms \
         (priced_terms) and {facts:.0} ms from the raw facts ({:.0} times as long as the page's), median over \
         {} labels.",
        facts / roll_up,
        labels.len()
    ));
    Ok(())
}

const FROM_ROLL_UP: &str = "
SELECT accounting_month, platform, sum(units), sum(gross)
FROM label_summary WHERE label_id = $1
GROUP BY 1, 2 ORDER BY 1, 2";

const FROM_TERMS: &str = "
SELECT accounting_month, platform, sum(units), sum(gross)
FROM priced_terms WHERE label_id = $1
GROUP BY 1, 2 ORDER BY 1, 2";

const FROM_FACTS: &str = "
SELECT f.accounting_month, f.platform, f.currency, sum(f.units), sum(f.gross)
FROM stream_facts f
JOIN tracks t ON t.id = f.track_id
JOIN releases r ON r.id = t.release_id
WHERE r.label_id = $1
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";

/// The `p`th percentile (nearest rank) of `values`.
fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn distinct_sessions(requests: &[Request]) -> usize {
    let mut cookies: Vec<&str> = requests.iter().map(|r| &*r.cookie).collect();
    cookies.sort_unstable();
    cookies.dedup();
    cookies.len()
}
