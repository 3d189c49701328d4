//! `backbeat`: the server and its command-line tasks.

use anyhow::Result;
use clap::{Parser, Subcommand};
use server::{cli, config::Settings, database, demo, startup::Application, telemetry};

/// mimalloc rather than glibc's malloc: under the dashboards' load a third of the
/// server's time was spent in glibc's allocator (a page is built of many small strings
/// and vectors, freed at once when it is sent).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "backbeat", version, about = "Royalty analytics for music distributors")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Fill an empty database with a demo catalog and demo logins.
    Demo {
        /// Only list the demo logins.
        #[arg(long)]
        logins: bool,
    },
    /// Load report files (or every file in the given folders) into the database.
    Ingest {
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Load the facts only; the server's scheduler allocates them on its next tick.
        #[arg(long)]
        defer_allocation: bool,
    },
    /// Allocate every loaded file still waiting (after `ingest --defer-allocation`).
    Allocate,
    /// Look for conflicts again over every claim, track and line, in one transaction
    /// (after an upgrade, or after changes made to the database outside Backbeat).
    Detect,
    /// Write realistic platform report files for the catalog in the database.
    Generate(server::generate::command::Args),
    /// Fill an empty database with a large synthetic catalog, for benchmarks.
    GenerateCatalog(server::generate::catalog::Args),
    /// Import reference data from CSV, all or nothing (kinds: exchange-rates).
    Import {
        /// What the file holds: exchange-rates.
        kind: String,
        /// The CSV file.
        file: Option<std::path::PathBuf>,
        /// Print a template for the kind instead.
        #[arg(long)]
        template: bool,
    },
    /// Manage logins.
    User {
        #[command(subcommand)]
        command: cli::UserCommand,
    },
}

#[tokio::main]
async fn main() {
    // People read these: the message and its causes, no backtrace.
    if let Err(error) = run().await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    // A missing .env is normal; a broken one is worth knowing about.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        anyhow::bail!("reading .env: {e}");
    }
    telemetry::init();
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    let pool = database::connect(&settings.database_url).await?;
    database::migrate(&pool).await?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(&settings, pool).await?;
            tracing::info!("Backbeat is serving on http://{}", app.addr());
            app.run_until_stopped().await
        }
        Command::Migrate => {
            println!("Database schema is up to date.");
            Ok(())
        }
        Command::Demo { logins: true } => {
            println!("{}", demo::logins_table());
            Ok(())
        }
        Command::Demo { logins: false } => demo::run(&pool, &settings.data_dir).await,
        Command::Ingest { paths, defer_allocation } => {
            server::ingest::command::run(&pool, &paths, defer_allocation).await
        }
        Command::Allocate => server::ingest::command::allocate(&pool).await,
        Command::Detect => server::ingest::command::detect(&pool).await,
        Command::Generate(args) => server::generate::command::run(&pool, args).await,
        Command::GenerateCatalog(args) => server::generate::catalog::run(&pool, args).await,
        Command::Import { kind, file, template } => {
            server::import::run(&pool, &kind, file.as_deref(), template).await
        }
        Command::User { command } => cli::run_user_command(&pool, command).await,
    }
}
