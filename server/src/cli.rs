//! `backbeat user ...`: login management from the command line, through the same
//! code as the staff pages.

use anyhow::{Context, Result, bail};
use app::{
    domain::{Email, Password, Role},
    users::{
        Link,
        ssr::{NewUser, insert},
    },
};
use clap::Subcommand;
use sqlx::{PgExecutor, PgPool};
use std::io::{BufRead, IsTerminal};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a login. The password is read from the terminal (or one line of stdin),
    /// never from the command line, where other users could see it.
    Add {
        #[arg(long)]
        email: String,
        /// artist, label_manager or staff.
        #[arg(long)]
        role: Role,
        /// For an artist login: the artist's name or id.
        #[arg(long)]
        artist: Option<String>,
        /// For a label manager login: the label's name or id.
        #[arg(long)]
        label: Option<String>,
    },
}

pub async fn run_user_command(pool: &PgPool, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add { email, role, artist, label } => {
            let email = Email::parse(&email)?;
            let link = match (artist, label) {
                (Some(_), Some(_)) => bail!("give --artist or --label, not both"),
                (Some(artist), None) => Link::Artist(find_artist(pool, &artist).await?),
                (None, Some(label)) => Link::Label(find_label(pool, &label).await?),
                (None, None) => Link::None,
            };
            link.check_fits(role)?;
            let password = read_password()?;
            let new = NewUser { email, role, link, password, must_change_password: false };
            let id = insert(pool, &new).await?;
            println!("Added {} ({}) as user {id}.", new.email, role.label());
            Ok(())
        }
    }
}

/// The artist called `name_or_id` (any case), or numbered so.
pub async fn find_artist(db: impl PgExecutor<'_>, name_or_id: &str) -> Result<i64> {
    let id = name_or_id.parse::<i64>().ok();
    sqlx::query_scalar!(
        "SELECT id FROM artists WHERE id = $1 OR lower(name) = lower($2)",
        id,
        name_or_id
    )
    .fetch_optional(db)
    .await?
    .with_context(|| format!("no artist is called or numbered '{name_or_id}'"))
}

/// The label called `name_or_id` (any case), or numbered so.
pub async fn find_label(db: impl PgExecutor<'_>, name_or_id: &str) -> Result<i64> {
    let id = name_or_id.parse::<i64>().ok();
    sqlx::query_scalar!(
        "SELECT id FROM labels WHERE id = $1 OR lower(name) = lower($2)",
        id,
        name_or_id
    )
    .fetch_optional(db)
    .await?
    .with_context(|| format!("no label is called or numbered '{name_or_id}'"))
}

fn read_password() -> Result<Password> {
    let raw = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    Ok(Password::parse(&raw)?)
}
