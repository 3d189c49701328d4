//! YouTube Reporting API music revenue reports (docs/formats.md, "YouTube").
//!
//! Comma-separated with a header of snake_case names, found by name (YouTube adds
//! columns over time). One row per day, video, asset and adjustment type; revenue
//! corrections and backpay are rows of their own. One streaming pass.

use super::{ErrorLog, Fact, LineError, ReportMeta};
use app::domain::{Currency, Isrc, Month, Platform, Territory, UsageType};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::io::Read;

pub const FORMAT: &str = "youtube";

/// Adjustment types the reports use; every one is a valid fact, of any sign.
pub const ADJUSTMENTS: [&str; 7] = [
    "None",
    "Backpay",
    "Conflict Resolution",
    "Dispute Resolution",
    "Dispute Conflict Resolution",
    "Spam Adjustment",
    "Revenue Correction",
];

const REQUIRED: [&str; 6] =
    ["adjustment_type", "country", "day", "asset_id", "monetized_views", "partner_revenue"];

/// True when `first_line` is a YouTube music revenue report's header.
pub fn recognises(first_line: &str) -> bool {
    let line = first_line.trim_start_matches('\u{feff}');
    ["adjustment_type", "asset_id", "partner_revenue"].iter().all(|c| line.contains(c))
        && line.contains(',')
}

pub fn parse(
    reader: impl Read,
    mut emit: impl FnMut(&ReportMeta, Fact),
) -> Result<ReportMeta, ErrorLog> {
    // Records end at '\n' only: with CRLF as terminator the csv crate counts lines one
    // behind. The '\r' left on the last cell is trimmed with the rest of the spaces.
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(reader);
    let mut errors = ErrorLog::default();
    let columns = match header(&mut csv) {
        Ok(columns) => columns,
        Err(error) => {
            errors.push(error);
            return Err(errors);
        }
    };
    let mut meta: Option<ReportMeta> = None;
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(LineError::new(
                    line,
                    "-",
                    "",
                    format!("the file could not be read as CSV: {e}"),
                ));
                break;
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let mut row = Row { line, record: &record, columns: &columns, errors: &mut errors };
        if let Some(fact) = row.fact(&mut meta) {
            emit(meta.as_ref().expect("set with the first fact"), fact);
        }
    }
    match meta {
        Some(meta) if errors.is_empty() => Ok(meta),
        None if errors.is_empty() => {
            errors.push(LineError::new(2, "-", "", "the report has no rows"));
            Err(errors)
        }
        _ => Err(errors),
    }
}

fn header(csv: &mut csv::Reader<impl Read>) -> Result<HashMap<String, usize>, LineError> {
    let names =
        csv.headers().map_err(|e| LineError::new(1, "header", "", format!("not CSV: {e}")))?;
    let columns: HashMap<String, usize> = names
        .iter()
        .enumerate()
        .map(|(i, name)| (name.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(), i))
        .collect();
    let missing: Vec<&str> =
        REQUIRED.iter().copied().filter(|c| !columns.contains_key(*c)).collect();
    if missing.is_empty() {
        Ok(columns)
    } else {
        Err(LineError::new(
            1,
            "header",
            &names.iter().collect::<Vec<_>>().join(","),
            format!("missing columns: {}", missing.join(", ")),
        ))
    }
}

struct Row<'a> {
    line: u64,
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
    errors: &'a mut ErrorLog,
}

impl Row<'_> {
    fn cell(&self, name: &str) -> &str {
        self.columns.get(name).and_then(|&i| self.record.get(i)).unwrap_or("").trim()
    }

    fn required<T>(&mut self, name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let value = self.cell(name).to_string();
        let result =
            if value.is_empty() { Err(format!("{name} is required")) } else { parse(&value) };
        result
            .map_err(|reason| self.errors.push(LineError::new(self.line, name, &value, reason)))
            .ok()
    }

    fn fact(&mut self, meta: &mut Option<ReportMeta>) -> Option<Fact> {
        if self.record.len() != self.columns.len() {
            let reason =
                format!("expected {} columns, found {}", self.columns.len(), self.record.len());
            self.errors.push(LineError::new(
                self.line,
                "-",
                &self.record.iter().collect::<Vec<_>>().join(","),
                reason,
            ));
            return None;
        }
        let adjustment = self.required("adjustment_type", |v| {
            ADJUSTMENTS
                .contains(&v)
                .then_some(())
                .ok_or_else(|| format!("expected one of {}", ADJUSTMENTS.join(", ")))
        });
        let day = self.required("day", youtube_day);
        let territory = self.required("country", |v| Territory::parse(v).map_err(|e| e.0));
        let views = self.required("monetized_views", |v| {
            v.parse::<i64>().map_err(|_| "expected a whole number".into())
        });
        let revenue = self.required("partner_revenue", super::dsr::decimal);
        let asset = self.required("asset_id", |v| Ok(v.to_string()));
        let currency = match self.cell("currency") {
            "" => Some(Currency::USD),
            _ => self.required("currency", |v| Currency::parse(v).map_err(|e| e.0)),
        };
        let isrc = match self.cell("isrc") {
            "" => None,
            raw => {
                let raw = raw.to_string();
                Isrc::parse(&raw)
                    .map_err(|e| self.errors.push(LineError::new(self.line, "isrc", &raw, e.0)))
                    .ok()
            }
        };
        let (_, day, territory, views, revenue, asset, currency) =
            (adjustment?, day?, territory?, views?, revenue?, asset?, currency?);
        self.same_month(meta, day)?;
        Some(Fact {
            line: self.line,
            period_start: day,
            period_end: day,
            territory,
            usage: usage_of(self.cell("content_type")),
            isrc,
            upc: None,
            platform_track_id: Some(asset),
            title: self.cell("asset_title").to_string(),
            artist: self.cell("artist").to_string(),
            units: views,
            gross: revenue,
            currency,
            collector: None,
        })
    }

    /// A report covers one month; the first row decides which.
    fn same_month(&mut self, meta: &mut Option<ReportMeta>, day: NaiveDate) -> Option<()> {
        let month = Month::of_period_end(day);
        match meta {
            None => {
                *meta = Some(ReportMeta {
                    format: FORMAT,
                    platform: Platform::YouTube,
                    sender: "YouTube".to_string(),
                    period_start: month.first_day(),
                    period_end: month.last_day(),
                    warnings: Vec::new(),
                });
                Some(())
            }
            Some(meta) if Month::of_period_end(meta.period_end) == month => Some(()),
            Some(meta) => {
                let reason = format!(
                    "a report covers one month; earlier rows are for {}",
                    Month::of_period_end(meta.period_end)
                );
                self.errors.push(LineError::new(
                    self.line,
                    "day",
                    &day.format("%Y%m%d").to_string(),
                    reason,
                ));
                None
            }
        }
    }
}

/// UGC rows are Content ID claims on videos users uploaded; the rest are the
/// partner's own uploads and YouTube Music plays (ad-supported in this report).
fn usage_of(content_type: &str) -> UsageType {
    if content_type.eq_ignore_ascii_case("UGC") { UsageType::Ugc } else { UsageType::AdSupported }
}

/// YouTube writes days as `YYYYMMDD` (and sometimes `YYYY-MM-DD`).
fn youtube_day(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y%m%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%Y-%m-%d"))
        .map_err(|_| "expected a day as YYYYMMDD".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::io::Cursor;

    const SAMPLE: &str = include_str!("../../tests/data/youtube/youtube_2026-03.csv");

    fn run(text: &str) -> Result<(ReportMeta, Vec<Fact>), ErrorLog> {
        let mut facts = Vec::new();
        let meta = parse(Cursor::new(text.as_bytes().to_vec()), |_, f| facts.push(f))?;
        Ok((meta, facts))
    }

    #[test]
    fn the_sample_loads_to_known_totals() {
        let (meta, facts) = run(SAMPLE).unwrap();
        assert_eq!(
            (meta.platform, meta.period_end.to_string().as_str()),
            (Platform::YouTube, "2026-03-31")
        );
        assert_eq!(facts.len(), 4);
        let gross: Decimal = facts.iter().map(|f| f.gross).sum();
        let views: i64 = facts.iter().map(|f| f.units).sum();
        assert_eq!((gross.to_string().as_str(), views), ("2.5623456789", 1610));
        assert_eq!(facts[1].title, "Signals of Mirrors, Live", "a quoted comma");
        assert_eq!((facts[0].usage, facts[1].usage), (UsageType::Ugc, UsageType::AdSupported));
        assert_eq!((facts[2].units, facts[2].gross.to_string().as_str()), (-100, "-0.1500000"));
        assert_eq!(facts[0].platform_track_id.as_deref(), Some("A100000000000001"));
        assert_eq!(facts.iter().map(|f| f.line).collect::<Vec<_>>(), [2, 3, 4, 5]);
    }

    #[test]
    fn rows_of_another_month_and_bad_values_are_refused() {
        let text = SAMPLE.replace("20260331", "20260401").replace("None,GB", "Mystery,GB");
        let errors = run(&text).unwrap_err();
        let found: Vec<(u64, &str, &str)> =
            errors.kept().iter().map(|e| (e.line, e.column.as_str(), e.value.as_str())).collect();
        assert_eq!(found, [(3, "adjustment_type", "Mystery"), (5, "day", "20260401")]);
    }

    #[test]
    fn a_missing_column_or_a_short_row_is_refused() {
        let errors = run(&SAMPLE.replace("partner_revenue", "revenue")).unwrap_err();
        assert!(errors.kept()[0].reason.contains("missing columns: partner_revenue"));
        let errors =
            run(&SAMPLE.replace(",Other Label,10,0.0123456789", ",10,0.0123456789")).unwrap_err();
        assert!(
            errors.kept()[0].reason.contains("expected 20 columns, found 19"),
            "{:?}",
            errors.kept()
        );
    }
}
