//! Contracts and their splits, one line per split:
//! `release_upc,track_isrc,valid_from,valid_to,distribution_fee,payee,share`.
//! Lines with the same subject (a release's UPC or a track's ISRC, not both) and first
//! month make one contract; they must agree on its last month and fee, and their shares
//! must sum to exactly 1. A contract imported again for the same subject and first month
//! replaces the old one. Fee and shares are fractions: 0.15 is 15%. The tracks it covers
//! are allocated again in the same transaction.

use super::{Imported, Kind, Line, required};
use crate::ingest::{ErrorLog, LineError};
use anyhow::Result;
use app::domain::{Isrc, Month, Upc};
use app::revenue::ledger::{self, Scope};
use app::terms::ssr::{
    Subject as Found, Terms, find_subject, fraction, overlap, payees_by_name, replace_contract,
};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::BTreeMap;

pub struct Contracts;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Release(String),
    Track(String),
}

#[derive(Debug, Clone)]
pub struct Split {
    pub subject: Subject,
    pub from: Month,
    pub to: Option<Month>,
    pub fee: Decimal,
    pub payee: String,
    pub share: Decimal,
}

impl Kind for Contracts {
    type Row = Split;
    const NAME: &'static str = "contracts";
    const COLUMNS: &'static [&'static str] = &[
        "release_upc",
        "track_isrc",
        "valid_from",
        "valid_to",
        "distribution_fee",
        "payee",
        "share",
    ];
    const EXAMPLE: &'static [&'static [&'static str]] = &[
        &["0000000000017", "", "2026-01", "", "0.15", "Nova Reyes", "0.70"],
        &["0000000000017", "", "2026-01", "", "0.15", "Sam Okoro", "0.05"],
        &["0000000000017", "", "2026-01", "", "0.15", "Northern Lights Records", "0.25"],
    ];
    const PAGE: &'static str = "/contracts";

    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Split> {
        let subject = subject(line, errors);
        let month = |v: &str| v.parse::<Month>().map_err(|e| e.0);
        let from = line.field("valid_from", errors, month);
        let to = line.field("valid_to", errors, |v| {
            if v.is_empty() { Ok(None) } else { month(v).map(Some) }
        });
        let fee = line.field("distribution_fee", errors, |v| fraction(v, 4, false));
        let payee = line.field("payee", errors, required);
        let share = line.field("share", errors, |v| fraction(v, 6, true));
        let split = Split {
            subject: subject?,
            from: from?,
            to: to?,
            fee: fee?,
            payee: payee?,
            share: share?,
        };
        if split.to.is_some_and(|to| to < split.from) {
            let to = split.to.map(|m| m.to_string()).unwrap_or_default();
            errors.push(LineError::new(line.number, "valid_to", &to, "before valid_from"));
            return None;
        }
        Some(split)
    }

    fn key(split: &Split) -> String {
        format!("{:?} from {} to {}", split.subject, split.from, split.payee.to_lowercase())
    }

    async fn write(
        tx: &mut PgConnection,
        rows: &[(u64, Split)],
        _source: &str,
    ) -> Result<Imported> {
        let contracts = group(rows);
        let mut errors = ErrorLog::default();
        for lines in contracts.values() {
            check_agreement(lines, &mut errors);
        }
        let subjects = resolve_subjects(tx, rows, &mut errors).await?;
        let labels: Vec<i64> = subjects.values().map(|s| s.label).collect();
        let payees = payees_by_name(tx, &labels).await?;
        let mut written = 0;
        let mut tracks = Vec::new();
        for ((subject, _), lines) in &contracts {
            let Some(found) = subjects.get(subject) else { continue };
            let mut splits = Vec::new();
            for (line, split) in lines {
                match payees.get(&(found.label, split.payee.to_lowercase())) {
                    Some(id) => splits.push((*id, split.share)),
                    None => errors.push(LineError::new(
                        *line,
                        "payee",
                        &split.payee,
                        "the release's label has no payee of this name",
                    )),
                }
            }
            if !errors.is_empty() {
                continue;
            }
            let first = lines[0].1;
            let terms = Terms { from: first.from, to: first.to, fee: first.fee, splits };
            if let Err(error) = replace_contract(tx, found, &terms).await {
                if let Some(reason) = overlap(&error) {
                    errors.push(LineError::new(
                        lines[0].0,
                        "valid_from",
                        &lines[0].1.from.to_string(),
                        reason,
                    ));
                    return Ok(Imported::Refused(errors));
                }
                return Err(error.into());
            }
            written += lines.len() as u64;
            tracks.extend(found.tracks.iter().copied());
        }
        if !errors.is_empty() {
            return Ok(Imported::Refused(errors));
        }
        ledger::allocate(tx, &Scope::Tracks(tracks)).await?;
        Ok(Imported::Written(written))
    }
}

fn subject(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Subject> {
    let (upc, isrc) = (line.cell("release_upc"), line.cell("track_isrc"));
    match (upc.is_empty(), isrc.is_empty()) {
        (false, true) => line.field("release_upc", errors, |v| {
            Upc::parse(v).map(|u| Subject::Release(u.gtin13().to_string())).map_err(|e| e.0)
        }),
        (true, false) => line.field("track_isrc", errors, |v| {
            Isrc::parse(v).map(|i| Subject::Track(i.as_str().to_string())).map_err(|e| e.0)
        }),
        _ => {
            let reason = "give a release's UPC or a track's ISRC, not both";
            errors.push(LineError::new(line.number, "release_upc", upc, reason));
            None
        }
    }
}

type Contract<'a> = Vec<(u64, &'a Split)>;

fn group(rows: &[(u64, Split)]) -> BTreeMap<(Subject, Month), Contract<'_>> {
    let mut contracts: BTreeMap<(Subject, Month), Contract<'_>> = BTreeMap::new();
    for (line, split) in rows {
        contracts.entry((split.subject.clone(), split.from)).or_default().push((*line, split));
    }
    contracts
}

/// The lines of one contract agree on its end and fee, and their shares sum to one.
fn check_agreement(lines: &Contract<'_>, errors: &mut ErrorLog) {
    let (first_line, first) = lines[0];
    for (line, split) in &lines[1..] {
        if split.to != first.to {
            let to = split.to.map(|m| m.to_string()).unwrap_or_default();
            let reason = format!("differs from line {first_line} of the same contract");
            errors.push(LineError::new(*line, "valid_to", &to, reason));
        }
        if split.fee != first.fee {
            let reason = format!("differs from line {first_line} of the same contract");
            errors.push(LineError::new(*line, "distribution_fee", &split.fee.to_string(), reason));
        }
    }
    let total: Decimal = lines.iter().map(|(_, s)| s.share).sum();
    if total != Decimal::ONE {
        let numbers: Vec<String> = lines.iter().map(|(n, _)| n.to_string()).collect();
        let reason = format!(
            "the shares of this contract (lines {}) sum to {total}, not 1",
            numbers.join(", ")
        );
        errors.push(LineError::new(first_line, "share", &first.share.to_string(), reason));
    }
}

async fn resolve_subjects(
    tx: &mut PgConnection,
    rows: &[(u64, Split)],
    errors: &mut ErrorLog,
) -> Result<BTreeMap<Subject, Found>> {
    let mut found = BTreeMap::new();
    for (line, split) in rows {
        if found.contains_key(&split.subject) {
            continue;
        }
        let (column, code) = match &split.subject {
            Subject::Release(upc) => ("release_upc", upc),
            Subject::Track(isrc) => ("track_isrc", isrc),
        };
        let subject = match &split.subject {
            Subject::Release(upc) => find_subject(tx, Some(upc), None).await?,
            Subject::Track(isrc) => find_subject(tx, None, Some(isrc)).await?,
        };
        match subject {
            Some(subject) => {
                found.insert(split.subject.clone(), subject);
            }
            None => errors.push(LineError::new(*line, column, code, "not in the catalog")),
        }
    }
    Ok(found)
}
