//! `GET /statements/{run}/{payee}/statement.csv`: a payee's statement as CSV, for
//! whoever may see it on its page (the same check: an artist's own in approved runs,
//! a label's, or any for staff; anything else is not found).
//!
//! One row per track, platform, territory and month (`section` = line), then the
//! summary (`section` = summary, the item in `title`, the amount in `earnings`):
//! opening + earnings - held - recouped = closing; payable; carried.

use crate::exports::{attachment, finish};
use crate::startup::{AppState, error_response, require_role};
use app::domain::Role;
use app::payouts::{Statement, ssr::statement};
use axum::{
    extract::{Path, State},
    response::Response,
};
use tower_sessions::Session;

const COLUMNS: [&str; 11] = [
    "section",
    "accounting_month",
    "isrc",
    "title",
    "platform",
    "territory",
    "units",
    "earnings",
    "earnings_rounded",
    "held",
    "currency",
];

pub async fn csv(
    State(state): State<AppState>,
    session: Session,
    Path((run_id, payee_id)): Path<(i64, i64)>,
) -> Response {
    let roles = [Role::Artist, Role::LabelManager, Role::Staff];
    let user = match require_role(&state, &session, &roles).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let statement = match statement(&state.pool, user.scope(), run_id, payee_id, None).await {
        Ok(statement) => statement,
        Err(error) => return error_response(&error),
    };
    let name = format!(
        "statement-{}-{}-{}.csv",
        statement.run.period_end,
        slug(&statement.summary.payee_name),
        run_id
    );
    match write(&statement) {
        Ok(body) => attachment(&name, body),
        Err(error) => {
            tracing::error!(%error, "writing a statement CSV");
            error_response(&app::error::AppError::Internal)
        }
    }
}

fn write(statement: &Statement) -> Result<String, csv::Error> {
    let currency = statement.run.currency.as_str();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(COLUMNS)?;
    for line in &statement.lines {
        out.write_record([
            "line",
            &line.month,
            &line.isrc,
            &line.title,
            &line.platform,
            &line.territory,
            &line.units.to_string(),
            &line.earnings_exact,
            &line.earnings,
            &line.held.exact,
            currency,
        ])?;
    }
    let s = &statement.summary;
    for (item, amount) in [
        ("Opening balance", &s.opening),
        ("Earnings", &s.earnings),
        ("Held back (change)", &s.held),
        ("Recouped from advances", &s.recouped),
        ("Closing balance", &s.closing),
        ("Payable", &s.payable),
        ("Carried to next statement", &s.carried),
        ("Advances still to recoup", &s.advance_balance),
    ] {
        out.write_record([
            "summary",
            "",
            "",
            item,
            "",
            "",
            "",
            &amount.exact,
            &amount.shown,
            "",
            currency,
        ])?;
    }
    finish(out)
}

/// A file-name-safe version of a name: "Sable & Stone" becomes "sable-stone".
fn slug(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.join("-")
}
