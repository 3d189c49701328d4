//! Connecting to Postgres and keeping its schema current.

use anyhow::{Context, Result};
use sqlx::{
    ConnectOptions, PgPool, Postgres,
    migrate::{MigrateDatabase, Migrator},
    postgres::{PgConnectOptions, PgPoolOptions},
};
use std::str::FromStr;
use std::time::Duration;

/// The schema, from `migrations/`, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Connects to `url`, creating the database first if the server has none by that name.
pub async fn connect(url: &str) -> Result<PgPool> {
    let shown = redact(url);
    let exists = Postgres::database_exists(url).await.with_context(|| {
        format!("cannot reach Postgres at {shown}: is it running, and does DATABASE_URL name it?")
    })?;
    if !exists {
        Postgres::create_database(url)
            .await
            .with_context(|| format!("cannot create the database {shown}"))?;
        tracing::info!(database = %shown, "created database");
    }
    // Allocation and statements over a year of facts take seconds by design; warn only
    // about statements slow enough to be a problem (sqlx logs their whole text).
    //
    let options = PgConnectOptions::from_str(url)
        .with_context(|| format!("{shown} is not a Postgres URL"))?
        .log_slow_statements(log::LevelFilter::Warn, Duration::from_secs(10));
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(|conn, _| Box::pin(async move { session_settings(conn).await }))
        .connect_with(options)
        .await
        .with_context(|| format!("cannot connect to {shown}"))
}

/// What every connection sets after connecting (a SET rather than a startup option,
/// which poolers such as PgBouncer refuse or drop).
///
/// JIT off: Postgres compiles a query to machine code when its estimated cost is high,
/// and allocation's and detection's statements (whose estimates run high) paid 0.6 to
/// 0.8 s of compiling each, more than running them took (make bench, with
/// auto_explain); a page's queries would pay it too.
///
/// `work_mem` 32 MB rather than the default 4 MB: a label overview's movers group two
/// months of a label's terms (20,000 rows into 10,000 tracks), which spilled to disk in
/// five batches at 4 MB and took 20 ms rather than 12 (profile database, EXPLAIN
/// ANALYZE). The pool's 16 connections at a few such nodes each stay well within
/// memory.
///
/// No parallel workers (`max_parallel_workers_per_gather` 0): the server answers many
/// readers at once on a few cores, where a worker takes a core from another request and
/// its partial sums must be merged. A label's tables within its busiest territory took
/// 183-218 ms with two workers and 128-142 ms without (profile database); allocation
/// writes with `INSERT ... SELECT`, which Postgres never runs in parallel, and took as
/// long either way.
///
/// Not `plan_cache_mode = force_custom_plan`, though one statement serves an artist, a
/// label and staff: it replans the queries inside PL/pgSQL triggers on every row too,
/// and a payout run's recalculation (a trigger per statement line) slowed until its
/// browser test timed out (deletes and commits of 1.2 to 2 s each, none over 1 s
/// without it). Statements whose best plan depends on the scope are written so
/// that a generic plan is good for each (see `app::catalog::ssr`).
pub async fn session_settings(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    jit_off(conn).await?;
    sqlx::query("SET work_mem = '32MB'").execute(&mut *conn).await?;
    sqlx::query("SET max_parallel_workers_per_gather = 0").execute(conn).await.map(|_| ())
}

/// JIT off alone: what the benchmarks' own statements run with (their comparisons, such
/// as a label's numbers read from the raw facts, keep Postgres' parallel workers).
pub async fn jit_off(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SET jit = off").execute(conn).await.map(|_| ())
}

pub async fn migrate(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await.context("running database migrations")
}

/// The URL with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            super::redact("postgres://ann:s3cret@db:5432/backbeat"),
            "postgres://ann:***@db:5432/backbeat"
        );
        assert_eq!(
            super::redact("postgres://postgres@127.0.0.1/backbeat"),
            "postgres://postgres@127.0.0.1/backbeat"
        );
    }
}
