//! Settings from the environment (and a `.env` file, loaded by `main`).
//! Every variable is listed, with its default, in the README.

use anyhow::{Context, Result, bail};
use std::{net::SocketAddr, str::FromStr};

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub addr: SocketAddr,
    /// Where the built site (wasm, JS, CSS, public files) is served from.
    pub site_root: String,
    /// Mark the session cookie `Secure`: set when served over https.
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub session_idle: chrono::Duration,
    /// A session ends this long after login, however active.
    pub session_absolute: chrono::Duration,
    /// Drop folders (when relative), uploads and kept copies of report files live here.
    pub data_dir: std::path::PathBuf,
    /// Uploads larger than this are refused (bigger files go through `backbeat ingest`).
    pub upload_max_bytes: u64,
    pub scheduler: SchedulerSettings,
}

/// How the ingestion scheduler in `backbeat serve` behaves.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// Off for a process that should only serve pages.
    pub enabled: bool,
    /// How often to look for due jobs and queued runs.
    pub tick: std::time::Duration,
    /// How long a claimed job stays claimed without a renewal (a dead process's
    /// runs are taken over after this).
    pub lease: std::time::Duration,
    /// The first retry waits this long; each further one twice as long.
    pub retry_base: std::time::Duration,
    /// Runs of one slot, first attempt included.
    pub max_attempts: i32,
}

impl Settings {
    pub fn from_env() -> Result<Self> {
        let database_url = std::env::var("DATABASE_URL").context(
            "DATABASE_URL is not set. `make run` finds or starts a Postgres and sets it for you; \
             otherwise set it, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/backbeat",
        )?;
        Ok(Settings {
            database_url,
            // LEPTOS_SITE_ADDR is what `cargo leptos watch` sets.
            addr: var_or("BACKBEAT_ADDR", None)?
                .or(var_or("LEPTOS_SITE_ADDR", None)?)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000))),
            site_root: std::env::var("BACKBEAT_SITE_ROOT")
                .or_else(|_| std::env::var("LEPTOS_SITE_ROOT"))
                .unwrap_or_else(|_| "target/site".to_string()),
            secure_cookies: var_or("BACKBEAT_SECURE_COOKIES", Some(false))?.unwrap_or(false),
            session_idle: chrono::Duration::minutes(positive(
                "BACKBEAT_SESSION_IDLE_MINUTES",
                120,
            )?),
            session_absolute: chrono::Duration::hours(positive("BACKBEAT_SESSION_MAX_HOURS", 12)?),
            data_dir: std::env::var("BACKBEAT_DATA_DIR").unwrap_or_else(|_| "var".into()).into(),
            upload_max_bytes: positive("BACKBEAT_UPLOAD_MAX_MB", 1024)? as u64 * 1024 * 1024,
            scheduler: SchedulerSettings {
                enabled: var_or("BACKBEAT_SCHEDULER", Some(true))?.unwrap_or(true),
                tick: seconds("BACKBEAT_SCHEDULER_TICK_SECONDS", 5)?,
                lease: seconds("BACKBEAT_SCHEDULER_LEASE_SECONDS", 60)?,
                retry_base: seconds("BACKBEAT_RETRY_BASE_SECONDS", 60)?,
                max_attempts: positive("BACKBEAT_RETRY_MAX_ATTEMPTS", 4)? as i32,
            },
        })
    }
}

/// Parses `name` if set; a value that does not parse is an error naming the variable.
fn var_or<T: FromStr>(name: &str, default: Option<T>) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(raw) => match raw.trim().parse() {
            Ok(value) => Ok(Some(value)),
            Err(e) => bail!("{name}={raw:?} is not valid: {e}"),
        },
        Err(_) => Ok(default),
    }
}

fn seconds(name: &str, default: i64) -> Result<std::time::Duration> {
    Ok(std::time::Duration::from_secs(positive(name, default)? as u64))
}

fn positive(name: &str, default: i64) -> Result<i64> {
    let value = var_or(name, Some(default))?.unwrap_or(default);
    if value <= 0 {
        bail!("{name}={value} must be a positive number");
    }
    Ok(value)
}
