//! What every benchmark shares: the scale, the databases, running a command and
//! measuring it, and the figures it produced.

use anyhow::{Context, Result, bail};
use sqlx::{Connection, PgConnection, PgPool};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The catalog and report sizes of a run: the full one, or a tenth of it.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub tenth: bool,
    pub runs: usize,
}

impl Scale {
    /// `n` at full size, a tenth of it in a quick run.
    pub fn of(&self, n: usize) -> usize {
        if self.tenth { n / 10 } else { n }
    }

    /// The share of the full size this run has: time targets scale with it.
    pub fn fraction(&self) -> f64 {
        if self.tenth { 0.1 } else { 1.0 }
    }
}

/// A measured figure: one sample per run.
#[derive(Debug, Clone)]
pub struct Figure {
    pub bench: String,
    pub case: String,
    pub metric: String,
    pub unit: String,
    pub samples: Vec<f64>,
}

impl Figure {
    pub fn min(&self) -> f64 {
        self.samples.iter().copied().fold(f64::INFINITY, f64::min)
    }

    pub fn max(&self) -> f64 {
        self.samples.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }

    pub fn median(&self) -> f64 {
        median(&self.samples)
    }
}

pub fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// A target from the issue, and whether the run met it.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub what: String,
    pub target: String,
    pub measured: String,
    pub met: bool,
    pub note: String,
}

/// The run's environment: where Postgres is, where files go, the binary under test,
/// and what has been measured so far.
pub struct Bench {
    pub scale: Scale,
    /// Postgres without a database name: `postgres://user@host:port`.
    pub server: String,
    pub backbeat: PathBuf,
    pub dir: PathBuf,
    pub figures: Vec<Figure>,
    pub verdicts: Vec<Verdict>,
    pub notes: Vec<String>,
    pub growth: Vec<crate::growth::Point>,
}

impl Bench {
    pub fn url(&self, database: &str) -> String {
        format!("{}/{database}", self.server)
    }

    pub async fn admin(&self) -> Result<PgConnection> {
        PgConnection::connect(&self.url("postgres")).await.context("connecting to Postgres")
    }

    /// Connections as the app makes them (JIT off, server/src/database.rs), so that the
    /// physical limit's statement is measured as fairly as allocation's.
    pub async fn pool(&self, database: &str) -> Result<PgPool> {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| Box::pin(async move { server::database::jit_off(conn).await }))
            .connect(&self.url(database))
            .await
            .with_context(|| format!("connecting to {database}"))
    }

    /// A new database, copied from `template` (or empty).
    pub async fn fresh_database(&self, name: &str, template: Option<&str>) -> Result<()> {
        let mut admin = self.admin().await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
        let template = template.map(|t| format!(" TEMPLATE {t}")).unwrap_or_default();
        sqlx::query(&format!("CREATE DATABASE {name}{template}")).execute(&mut admin).await?;
        Ok(())
    }

    pub async fn drop_database(&self, name: &str) -> Result<()> {
        let mut admin = self.admin().await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
        Ok(())
    }

    /// Runs `backbeat` with `args` against `database`.
    pub fn backbeat(&self, database: &str, args: &[&str]) -> Result<Measured> {
        let mut command = Command::new(&self.backbeat);
        command
            .args(args)
            .env("DATABASE_URL", self.url(database))
            .env("BACKBEAT_DATA_DIR", self.dir.join("data"))
            .env("RUST_LOG", "warn");
        measure(command, &self.dir.join("last-command.out"))
    }

    pub fn record(&mut self, bench: &str, case: &str, metric: &str, unit: &str, samples: Vec<f64>) {
        self.figures.push(Figure {
            bench: bench.into(),
            case: case.into(),
            metric: metric.into(),
            unit: unit.into(),
            samples,
        });
    }

    pub fn verdict(&mut self, what: &str, target: &str, measured: String, met: bool, note: &str) {
        let mark = if met { "met" } else { "MISSED" };
        println!("  {mark}: {what}: {measured} (target {target})");
        self.verdicts.push(Verdict {
            what: what.into(),
            target: target.into(),
            measured,
            met,
            note: note.into(),
        });
    }
}

/// A finished command: how long it took, its peak memory, what it printed.
pub struct Measured {
    pub wall: Duration,
    pub max_rss_bytes: u64,
    pub stdout: String,
}

/// Runs `command` to the end, its output into `out`, watching its peak resident memory.
///
/// The kernel's own account (wait4's ru_maxrss) cannot be used: it counts the moment
/// between fork and exec, when the child is still a copy of this process and its
/// catalog in memory. So the child's high-water mark (VmHWM) is read from /proc every
/// few milliseconds once it runs its own program; the last reading before it exits is
/// the peak to within those milliseconds.
pub fn measure(mut command: Command, out: &Path) -> Result<Measured> {
    let file = std::fs::File::create(out)?;
    command.stdout(file.try_clone()?).stderr(file);
    let ours = status_field("/proc/self/status", "Name:");
    let started = Instant::now();
    let child = command.spawn().with_context(|| format!("starting {command:?}"))?;
    let pid = child.id() as libc::pid_t;
    let status_path = format!("/proc/{pid}/status");
    let mut peak_kb = 0;
    let mut status = 0;
    loop {
        // SAFETY: rusage is plain data the kernel fills in; the pid is our own child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if waited == pid {
            break;
        }
        if waited < 0 {
            bail!("waiting for {command:?}: {}", std::io::Error::last_os_error());
        }
        if status_field(&status_path, "Name:") != ours
            && let Some(kb) = status_field(&status_path, "VmHWM:")
                .and_then(|v| v.trim_end_matches(" kB").trim().parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    let wall = started.elapsed();
    let stdout = std::fs::read_to_string(out).unwrap_or_default();
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("{command:?} failed:\n{stdout}");
    }
    Ok(Measured { wall, max_rss_bytes: peak_kb * 1024, stdout })
}

/// A field of a /proc status file, e.g. "VmHWM:" -> "30860 kB".
fn status_field(path: &str, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    Some(line[field.len()..].trim().to_string())
}

/// Runs a short command that must succeed, returning what it printed.
pub fn run(command: &mut Command) -> Result<String> {
    let output = command.output().with_context(|| format!("starting {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
