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

/// What every connection sets after connecting (a SET rather than startup options,
/// which poolers such as PgBouncer refuse or drop):
///
/// - JIT off: Postgres compiles a query to machine code when its estimated cost is
///   high, and allocation's and detection's statements (whose estimates run high) paid
///   0.6 to 0.8 s of compiling each, more than running them took (make bench, with
///   auto_explain); a page's queries would pay it too.
/// - A plan for each execution, never a cached generic one. One statement serves an
///   artist (a few rows), a label (a tenth of the catalog) and staff (all of it), and
///   pages pass `$1 = 'all' OR ...` scopes; after five runs Postgres would reuse a plan
///   made without the values, sized for none of them (an artist's releases: 2.8 ms
///   generic, 0.2 ms replanned; a label's: 21 ms against 10 ms, 12,500 releases).
///   Planning costs a fraction of a millisecond; a page runs a few dozen statements.
pub async fn session_settings(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    // set_config is SET as a function: both in one round trip.
    sqlx::query(
        "SELECT set_config('jit', 'off', false), \
         set_config('plan_cache_mode', 'force_custom_plan', false)",
    )
    .execute(conn)
    .await
    .map(|_| ())
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
