//! `GET /exports/{table}.csv?filters&sort=`: every row of a dashboard table as CSV, for
//! the same reader and filters as the page (the same source check and queries), so
//! the file and the page agree to the last fraction of a cent.

use crate::startup::{AppState, error_response, require_role};
use app::dashboards::{Dimension, Filters, Sort, TableState, query, ssr};
use app::error::AppError;
use axum::{
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use std::collections::HashMap;
use tower_sessions::Session;

pub async fn csv(
    State(state): State<AppState>,
    session: Session,
    Path(file): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let user = match require_role(&state, &session, &ssr::READERS).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let (by, filters, sort) = match parse(&file, &params) {
        Ok(parsed) => parsed,
        Err(error) => return error_response(&error),
    };
    let result = async {
        let source = ssr::source(&state.pool, &user, &filters).await?;
        let table = TableState { by, sort, page: 1 };
        let (rows, _) = query::table(&state.pool, &source, &filters, table, None).await?;
        write(by, &source, &rows).map_err(|error| {
            tracing::error!(%error, "writing a dashboard CSV");
            AppError::Internal
        })
    };
    match result.await {
        Ok(body) => attachment(&file_name(by, &filters), body),
        Err(error) => error_response(&error),
    }
}

/// A CSV file for the browser to save as `name` (statements, templates, exports).
pub fn attachment(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

/// The text a CSV writer has written.
pub fn finish(out: csv::Writer<Vec<u8>>) -> Result<String, csv::Error> {
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("the CSV writer wrote the UTF-8 it was given"))
}

fn parse(
    file: &str,
    params: &HashMap<String, String>,
) -> Result<(Dimension, Filters, Sort), AppError> {
    let by = file.strip_suffix(".csv").unwrap_or(file);
    let by: Dimension = by.parse().map_err(|e: app::domain::ParseError| AppError::invalid(e.0))?;
    let filters = Filters::parse(|k| params.get(k).cloned()).map_err(|e| AppError::invalid(e.0))?;
    let sort = match params.get("sort").filter(|s| !s.is_empty()) {
        Some(text) => Sort::parse(text).map_err(|e| AppError::invalid(e.0))?,
        None => by.default_sort(),
    };
    Ok((by, filters, sort))
}

/// `revenue-by-territory-2026-01-2026-06.csv`.
fn file_name(by: Dimension, filters: &Filters) -> String {
    let period = match (filters.from, filters.to) {
        (None, None) => "all-time".to_string(),
        (from, to) => format!(
            "{}-{}",
            from.map_or("start".into(), |m| m.to_string()),
            to.map_or("latest".into(), |m| m.to_string())
        ),
    };
    format!("by-{}-{period}.csv", by.code())
}

fn write(
    by: Dimension,
    source: &query::Source,
    rows: &[app::dashboards::Row],
) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let money = source.money().to_lowercase();
    out.write_record([
        by.code(),
        "name",
        "streams",
        money.as_str(),
        "per_stream",
        "awaiting_rate",
        "currency",
    ])?;
    for row in rows {
        out.write_record([
            row.key.as_str(),
            &neutralized(&row.label),
            &row.units.to_string(),
            &row.amount,
            row.per_stream.as_deref().unwrap_or(""),
            &row.awaiting.to_string(),
            source.currency(),
        ])?;
    }
    finish(out)
}

/// A name a spreadsheet would run as a formula (`=HYPERLINK(...)`) is written with a
/// leading apostrophe, which spreadsheets show as text.
fn neutralized(text: &str) -> String {
    if text.trim_start_matches(' ').starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_neutralized_and_names_kept() {
        assert_eq!(super::neutralized("=1+2"), "'=1+2");
        assert_eq!(super::neutralized("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(super::neutralized("  =cmd"), "'  =cmd");
        assert_eq!(super::neutralized("Sable & Stone"), "Sable & Stone");
    }
}
