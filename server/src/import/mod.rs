//! CSV imports of reference data (`backbeat import KIND FILE`): the way distributors
//! move data in bulk. Like report files, an import is checked line by line and written
//! all or nothing: any bad line refuses the whole file, naming line, column and value.
//!
//! Each kind (one module each) says its columns, how a line parses into a row, and how
//! rows are written; this module does the rest: header check, line numbers, the one
//! transaction, and a template to start from.

pub mod advances;
pub mod contracts;
pub mod exchange_rates;
pub mod labels;
pub mod ownership_claims;
pub mod payees;
pub mod platform_ids;
pub mod releases;
pub mod tracks;
pub mod web;

use crate::ingest::{ErrorLog, LineError};
use anyhow::{Context, Result, bail};
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use std::path::Path;

/// A kind of import.
pub trait Kind {
    type Row;
    /// The name on the command line and in template file names.
    const NAME: &'static str;
    /// The header a file must have (any order; other columns are refused).
    const COLUMNS: &'static [&'static str];
    /// A template's example lines, matching `COLUMNS`.
    const EXAMPLE: &'static [&'static [&'static str]];
    /// The staff page that shows these rows and has the import form.
    const PAGE: &'static str;

    /// Parses one line, pushing each problem to `errors`.
    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Self::Row>;

    /// What identifies a row: a file may give each only once.
    fn key(row: &Self::Row) -> String;

    /// Writes every row (each with its line number); `source` names the file for the
    /// record. Refuses the file, naming lines, when rows name what does not exist or
    /// do not fit together; the caller then rolls back whatever was written.
    fn write(
        tx: &mut PgConnection,
        rows: &[(u64, Self::Row)],
        source: &str,
    ) -> impl std::future::Future<Output = Result<Imported>> + Send;
}

/// Calls `$body` with the type `$k` naming the kind called `$name`, else `$none`.
macro_rules! with_kind {
    ($name:expr, $k:ident => $body:expr, $none:expr) => {
        match $name {
            $crate::import::exchange_rates::ExchangeRates::NAME => {
                type $k = $crate::import::exchange_rates::ExchangeRates;
                $body
            }
            $crate::import::payees::Payees::NAME => {
                type $k = $crate::import::payees::Payees;
                $body
            }
            $crate::import::contracts::Contracts::NAME => {
                type $k = $crate::import::contracts::Contracts;
                $body
            }
            $crate::import::advances::Advances::NAME => {
                type $k = $crate::import::advances::Advances;
                $body
            }
            $crate::import::ownership_claims::OwnershipClaims::NAME => {
                type $k = $crate::import::ownership_claims::OwnershipClaims;
                $body
            }
            $crate::import::labels::Labels::NAME => {
                type $k = $crate::import::labels::Labels;
                $body
            }
            $crate::import::releases::Releases::NAME => {
                type $k = $crate::import::releases::Releases;
                $body
            }
            $crate::import::tracks::Tracks::NAME => {
                type $k = $crate::import::tracks::Tracks;
                $body
            }
            $crate::import::platform_ids::PlatformIds::NAME => {
                type $k = $crate::import::platform_ids::PlatformIds;
                $body
            }
            _ => $none,
        }
    };
}
pub(crate) use with_kind;

/// Every kind's name, for messages.
pub const KINDS: &str = "exchange-rates, payees, contracts, advances, ownership-claims, labels, \
                         releases, tracks, platform-ids";

/// One CSV line, with its cells found by column name.
pub struct Line<'a> {
    pub number: u64,
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
}

impl Line<'_> {
    pub fn cell(&self, column: &str) -> &str {
        self.columns.get(column).and_then(|&i| self.record.get(i)).unwrap_or("").trim()
    }

    /// Parses `column` with `parse`, or records why it could not.
    pub fn field<T>(
        &self,
        column: &str,
        errors: &mut ErrorLog,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.cell(column);
        parse(value)
            .map_err(|reason| errors.push(LineError::new(self.number, column, value, reason)))
            .ok()
    }
}

/// The result of reading a file: its rows with their line numbers, or everything wrong
/// with it.
pub fn read<K: Kind>(text: &[u8]) -> Result<Vec<(u64, K::Row)>, ErrorLog> {
    let mut errors = ErrorLog::default();
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let columns = match header::<K>(&mut csv) {
        Ok(columns) => columns,
        Err(error) => {
            errors.push(error);
            return Err(errors);
        }
    };
    let mut rows = Vec::new();
    let mut first_lines: HashMap<String, u64> = HashMap::new();
    for (index, record) in csv.records().enumerate() {
        // Line 1 is the header; a record's own position is more exact when known.
        let number =
            record.as_ref().ok().and_then(|r| r.position()).map_or(index as u64 + 2, |p| p.line());
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                errors.push(LineError::new(number, "-", "", format!("not readable as CSV: {e}")));
                continue;
            }
        };
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() != columns.len() {
            let reason = format!("expected {} cells, found {}", columns.len(), record.len());
            errors.push(LineError::new(
                number,
                "-",
                &record.iter().collect::<Vec<_>>().join(","),
                reason,
            ));
            continue;
        }
        let line = Line { number, record: &record, columns: &columns };
        let Some(row) = K::parse(&line, &mut errors) else { continue };
        match first_lines.entry(K::key(&row)) {
            std::collections::hash_map::Entry::Occupied(first) => {
                let reason = format!("given already on line {}", first.get());
                errors.push(LineError::new(number, "-", first.key(), reason));
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(number);
                rows.push((number, row));
            }
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

fn header<K: Kind>(csv: &mut csv::Reader<&[u8]>) -> Result<HashMap<String, usize>, LineError> {
    let header = csv
        .headers()
        .map_err(|e| LineError::new(1, "-", "", format!("not readable as CSV: {e}")))?
        .clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let expected = K::COLUMNS.join(",");
    for name in &names {
        if !K::COLUMNS.contains(&name.as_str()) {
            return Err(LineError::new(
                1,
                name,
                name,
                format!("not a column of {} (expected {expected})", K::NAME),
            ));
        }
    }
    for column in K::COLUMNS {
        if !names.iter().any(|n| n == column) {
            return Err(LineError::new(
                1,
                column,
                "",
                format!("the header lacks this column (expected {expected})"),
            ));
        }
    }
    Ok(names.into_iter().enumerate().map(|(i, n)| (n, i)).collect())
}

/// What an import did.
#[derive(Debug)]
pub enum Imported {
    Written(u64),
    Refused(ErrorLog),
}

/// Reads `path` and writes its rows in one transaction, or nothing.
pub async fn import_file<K: Kind>(pool: &PgPool, path: &Path) -> Result<Imported> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let source = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    import_bytes::<K>(pool, &source, &text).await
}

/// Reads `text` (the file `source`) and writes its rows in one transaction, or nothing.
pub async fn import_bytes<K: Kind>(pool: &PgPool, source: &str, text: &[u8]) -> Result<Imported> {
    let rows = match read::<K>(text) {
        Ok(rows) => rows,
        Err(errors) => return Ok(Imported::Refused(errors)),
    };
    let mut tx = pool.begin().await?;
    let imported = K::write(&mut tx, &rows, source).await?;
    match imported {
        Imported::Written(_) => tx.commit().await?,
        Imported::Refused(_) => tx.rollback().await?,
    }
    Ok(imported)
}

/// A template: the header and example lines.
pub fn template<K: Kind>() -> String {
    let mut text = K::COLUMNS.join(",");
    text.push('\n');
    for example in K::EXAMPLE {
        text.push_str(&example.join(","));
        text.push('\n');
    }
    text
}

/// `backbeat import KIND FILE`, or `--template`.
pub async fn run(
    pool: &PgPool,
    kind: &str,
    file: Option<&Path>,
    template_only: bool,
) -> Result<()> {
    with_kind!(
        kind,
        K => run_kind::<K>(pool, file, template_only).await,
        bail!("there is no import called {kind:?} (kinds: {KINDS})")
    )
}

async fn run_kind<K: Kind>(pool: &PgPool, file: Option<&Path>, template_only: bool) -> Result<()> {
    if template_only {
        print!("{}", template::<K>());
        return Ok(());
    }
    let file = file.context("give the CSV file to import (or --template for a template)")?;
    match import_file::<K>(pool, file).await? {
        Imported::Written(n) => {
            println!("{}: {n} {} rows written.", file.display(), K::NAME);
            Ok(())
        }
        Imported::Refused(errors) => {
            for error in errors.kept() {
                eprintln!("{}: {error}", file.display());
            }
            bail!("{}: {} errors; nothing was written", file.display(), errors.total())
        }
    }
}

/// A cell that must not be empty.
pub(crate) fn required(value: &str) -> Result<String, String> {
    if value.is_empty() { Err("required".into()) } else { Ok(value.to_string()) }
}

/// Labels by lower-case name: id and accounting currency.
pub(crate) async fn labels_by_name<'a>(
    tx: &mut PgConnection,
    names: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, (i64, String)>> {
    let names: Vec<String> = names.map(str::to_lowercase).collect();
    let rows = sqlx::query!(
        "SELECT id, lower(name) AS \"key!\", accounting_currency FROM labels WHERE lower(name) = ANY($1)",
        &names
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.key, (r.id, r.accounting_currency.trim().to_string())))
        .collect())
}
