//! Apple's financial report (docs/formats.md, "Apple financial report").
//!
//! Tab-separated, a header row of 22 columns, one row per product, country and
//! sale/return, then optional trailer rows (`Total_Rows`, `Total_Amount`,
//! `Total_Units`) that are reconciled with the rows. One streaming pass.

use super::{ErrorLog, Fact, LineError, ReportMeta, text_lines};
use app::domain::{Currency, Isrc, Platform, Territory, Upc, UsageType};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::io::BufRead;

pub const FORMAT: &str = "apple";

pub const COLUMNS: [&str; 22] = [
    "Start Date",
    "End Date",
    "UPC",
    "ISRC/ISBN",
    "Vendor Identifier",
    "Quantity",
    "Partner Share",
    "Extended Partner Share",
    "Partner Share Currency",
    "Sales or Return",
    "Apple Identifier",
    "Artist/Show/Developer/Author",
    "Title",
    "Label/Studio/Network/Developer/Publisher",
    "Grid",
    "Product Type Identifier",
    "ISAN/Other Identifier",
    "Country Of Sale",
    "Pre-order Flag",
    "Promo Code",
    "Customer Price",
    "Customer Currency",
];

/// True when `first_line` is the report's header row.
pub fn recognises(first_line: &str) -> bool {
    first_line.trim_start_matches('\u{feff}').starts_with("Start Date\tEnd Date\tUPC\tISRC")
}

/// Parses the report from `reader`, passing each fact to `emit` with the file's
/// description (taken from its first row).
pub fn parse(
    reader: impl BufRead,
    mut emit: impl FnMut(&ReportMeta, Fact),
) -> Result<ReportMeta, ErrorLog> {
    let mut state = State::default();
    for item in text_lines(reader) {
        let (line, text) = match item {
            Ok(item) => item,
            Err(error) => {
                state.errors.push(error);
                continue;
            }
        };
        let cells: Vec<&str> = text.split('\t').collect();
        if state.header_line.is_none() {
            state.header(line, &cells);
        } else if cells[0].starts_with("Total_") {
            state.trailer(line, &cells);
        } else if let Some(fact) = state.row(line, &cells) {
            let meta = state.meta.as_ref().expect("a row's meta is set before its fact");
            emit(meta, fact);
        }
    }
    state.finish()
}

#[derive(Default)]
struct State {
    header_line: Option<u64>,
    meta: Option<ReportMeta>,
    rows: i64,
    units: i64,
    units_absolute: i64,
    amount: Decimal,
    currencies: Vec<Currency>,
    trailers: Vec<(u64, String, String)>,
    errors: ErrorLog,
}

impl State {
    fn header(&mut self, line: u64, cells: &[&str]) {
        self.header_line = Some(line);
        let found: Vec<&str> = cells.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect();
        if found != COLUMNS {
            self.errors.push(LineError::new(
                line,
                "header",
                &found.join(", "),
                format!("expected the 22 columns {}", COLUMNS.join(", ")),
            ));
        }
    }

    fn trailer(&mut self, line: u64, cells: &[&str]) {
        let value = cells.get(1).map(|v| v.trim()).unwrap_or("").to_string();
        self.trailers.push((line, cells[0].trim().to_string(), value));
    }

    fn row(&mut self, line: u64, cells: &[&str]) -> Option<Fact> {
        let extra_filled = cells.iter().skip(COLUMNS.len()).any(|c| !c.trim().is_empty());
        if cells.len() < COLUMNS.len() || extra_filled {
            self.errors.push(LineError::new(
                line,
                "-",
                &cells.join("\t"),
                format!("expected {} columns, found {}", COLUMNS.len(), cells.len()),
            ));
            return None;
        }
        let mut row = Row { line, cells, errors: &mut self.errors };
        let start = row.field(0, apple_date);
        let end = row.field(1, apple_date);
        let upc = row.optional(2, |v| Upc::parse(v).map_err(|e| e.0));
        let isrc = row.optional(3, |v| Isrc::parse(v).map_err(|e| e.0));
        let quantity =
            row.field(5, |v| v.parse::<i64>().map_err(|_| "expected a whole number".to_string()));
        let share = row.field(6, super::dsr::decimal);
        let extended = row.field(7, super::dsr::decimal);
        let currency = row.field(8, |v| Currency::parse(v).map_err(|e| e.0));
        let kind = row.field(9, |v| match v {
            "S" | "R" => Ok(v.to_string()),
            _ => Err("expected S (sale) or R (return)".to_string()),
        });
        let territory = row.field(17, |v| Territory::parse(v).map_err(|e| e.0));
        let usage = usage_of(cells[15].trim());
        let sale = Sale {
            line,
            start: start?,
            end: end?,
            quantity: quantity?,
            share: share?,
            extended: extended?,
            is_return: kind? == "R",
        };
        let (currency, territory) = (currency?, territory?);
        self.check(&sale)?;
        self.count(sale.quantity, sale.extended, currency);
        let Sale { start, end, quantity, extended, .. } = sale;
        Some(Fact {
            line,
            period_start: start,
            period_end: end,
            territory,
            usage,
            isrc,
            upc,
            platform_track_id: Some(cells[10].trim().to_string()).filter(|id| !id.is_empty()),
            title: cells[12].trim().to_string(),
            artist: cells[11].trim().to_string(),
            units: quantity,
            gross: extended,
            currency,
            collector: None,
        })
    }

    /// What a row must agree with: the file's period, its own arithmetic, its sign.
    fn check(&mut self, sale: &Sale) -> Option<()> {
        let Sale { line, start, end, quantity, share, extended, is_return } = *sale;
        let before = self.errors.total();
        if end < start {
            self.errors.push(LineError::new(
                line,
                "End Date",
                &end.to_string(),
                format!("before the start date {start}"),
            ));
        }
        match &self.meta {
            None => {
                self.meta = Some(ReportMeta {
                    format: FORMAT,
                    platform: Platform::AppleMusic,
                    sender: "Apple".to_string(),
                    period_start: start,
                    period_end: end,
                    warnings: Vec::new(),
                })
            }
            Some(meta) if (meta.period_start, meta.period_end) != (start, end) => {
                self.errors.push(LineError::new(
                    line,
                    "End Date",
                    &format!("{start} to {end}"),
                    format!(
                        "a report covers one period; earlier rows are for {} to {}",
                        meta.period_start, meta.period_end
                    ),
                ));
            }
            Some(_) => {}
        }
        // Apple rounds the extended share to the cent.
        if (Decimal::from(quantity) * share - extended).abs() > Decimal::new(1, 2) {
            self.errors.push(LineError::new(
                line,
                "Extended Partner Share",
                &extended.to_string(),
                format!("Quantity × Partner Share is {}", Decimal::from(quantity) * share),
            ));
        }
        if is_return && quantity > 0 {
            self.errors.push(LineError::new(
                line,
                "Quantity",
                &quantity.to_string(),
                "a return (R) must have a negative quantity",
            ));
        }
        (self.errors.total() == before).then_some(())
    }

    fn count(&mut self, quantity: i64, extended: Decimal, currency: Currency) {
        self.rows += 1;
        self.units += quantity;
        self.units_absolute += quantity.abs();
        self.amount += extended;
        if !self.currencies.contains(&currency) {
            self.currencies.push(currency);
        }
    }

    fn finish(mut self) -> Result<ReportMeta, ErrorLog> {
        if self.header_line.is_none() {
            self.errors.push(LineError::new(1, "header", "", "the file is empty"));
        } else if self.meta.is_none() && self.errors.is_empty() {
            self.errors.push(LineError::new(2, "-", "", "the report has no rows"));
        }
        let mut warnings = Vec::new();
        for (line, name, value) in std::mem::take(&mut self.trailers) {
            self.reconcile(line, &name, &value, &mut warnings);
        }
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let mut meta = self.meta.expect("rows were read");
        meta.warnings = warnings;
        Ok(meta)
    }

    fn reconcile(&mut self, line: u64, name: &str, value: &str, warnings: &mut Vec<String>) {
        let matches = match name {
            "Total_Rows" => value.parse::<i64>().ok().map(|n| (n == self.rows, false)),
            "Total_Units" => value.parse::<i64>().ok().map(|n| {
                // Public samples do not say whether returns count negative or not.
                (n == self.units || n == self.units_absolute, n != self.units)
            }),
            "Total_Amount" => super::dsr::decimal(value).ok().map(|amount| {
                let in_cents = self.amount.round_dp(2);
                (amount == self.amount || amount == in_cents, self.currencies.len() > 1)
            }),
            _ => {
                warnings.push(format!(
                    "line {line}: trailer {name} is not one Backbeat knows; ignored"
                ));
                return;
            }
        };
        match matches {
            Some((true, false)) => {}
            Some((true, true)) => warnings.push(format!(
                "line {line}: {name} {value} matches the rows only under one reading (returns counted as positive, or amounts in several currencies added up)"
            )),
            Some((false, _)) => self.errors.push(LineError::new(line, name, value, self.totals_message(name))),
            None => self.errors.push(LineError::new(line, name, value, "expected a number")),
        }
    }

    fn totals_message(&self, name: &str) -> String {
        match name {
            "Total_Rows" => format!("the report has {} rows", self.rows),
            "Total_Units" => format!(
                "the rows' quantities sum to {} ({} without signs)",
                self.units, self.units_absolute
            ),
            _ => format!("the rows' extended partner shares sum to {}", self.amount),
        }
    }
}

/// A row's figures, parsed.
#[derive(Clone, Copy)]
struct Sale {
    line: u64,
    start: NaiveDate,
    end: NaiveDate,
    quantity: i64,
    share: Decimal,
    extended: Decimal,
    is_return: bool,
}

/// Apple's product type identifiers for streams are not public. Backbeat reads those
/// starting with `S` as streams (`SA` ad-supported, others premium) and every other
/// type as a download; see docs/formats.md.
fn usage_of(product_type: &str) -> UsageType {
    match product_type {
        "SA" => UsageType::AdSupported,
        t if t.starts_with('S') => UsageType::Premium,
        _ => UsageType::Download,
    }
}

struct Row<'a, 'e> {
    line: u64,
    cells: &'a [&'a str],
    errors: &'e mut ErrorLog,
}

impl Row<'_, '_> {
    fn field<T>(&mut self, index: usize, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let value = self.cells[index].trim();
        if value.is_empty() {
            self.errors.push(LineError::new(
                self.line,
                COLUMNS[index],
                "",
                format!("{} is required", COLUMNS[index]),
            ));
            return None;
        }
        parse(value)
            .map_err(|reason| {
                self.errors.push(LineError::new(self.line, COLUMNS[index], value, reason))
            })
            .ok()
    }

    fn optional<T>(
        &mut self,
        index: usize,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.cells[index].trim();
        if value.is_empty() {
            return None;
        }
        parse(value)
            .map_err(|reason| {
                self.errors.push(LineError::new(self.line, COLUMNS[index], value, reason))
            })
            .ok()
    }
}

/// Apple writes dates as `MM/DD/YYYY`.
fn apple_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%m/%d/%Y")
        .map_err(|_| "expected a date as MM/DD/YYYY".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const SAMPLE: &str = include_str!("../../tests/data/apple/apple_2026-10.txt");

    fn run(text: &str) -> Result<(ReportMeta, Vec<Fact>), ErrorLog> {
        let mut facts = Vec::new();
        let meta = parse(Cursor::new(text.as_bytes().to_vec()), |_, f| facts.push(f))?;
        Ok((meta, facts))
    }

    fn first_error(text: &str) -> LineError {
        run(text).expect_err("the file should be refused").kept()[0].clone()
    }

    #[test]
    fn the_sample_loads_to_known_totals() {
        let (meta, facts) = run(SAMPLE).unwrap();
        assert_eq!((meta.platform, meta.format), (Platform::AppleMusic, "apple"));
        assert_eq!(meta.period_end.to_string(), "2026-10-25");
        assert_eq!(facts[0].accounting_month().to_string(), "2026-10", "Apple's fiscal October");
        assert!(meta.warnings.is_empty(), "{:?}", meta.warnings);
        assert_eq!(facts.len(), 4);
        let gross: Decimal = facts.iter().map(|f| f.gross).sum();
        let units: i64 = facts.iter().map(|f| f.units).sum();
        assert_eq!((gross, units), (Decimal::new(1420, 2), 1011));
        assert_eq!(facts[1].usage, UsageType::Premium);
        assert_eq!(facts[0].usage, UsageType::Download);
        assert_eq!((facts[3].units, facts[3].gross), (-1, Decimal::new(-70, 2)), "a return");
        assert_eq!(facts[2].territory.as_str(), "CA");
        assert_eq!(facts[0].platform_track_id.as_deref(), Some("1500000001"));
        assert_eq!(facts.iter().map(|f| f.line).collect::<Vec<_>>(), [2, 3, 4, 5]);
    }

    #[test]
    fn units_counted_without_signs_are_a_warning() {
        let (meta, _) = run(&SAMPLE.replace("Total_Units\t1011", "Total_Units\t1013")).unwrap();
        assert!(meta.warnings[0].contains("Total_Units 1013"), "{:?}", meta.warnings);
    }

    #[test]
    fn trailers_that_match_no_reading_are_refused() {
        let e = first_error(&SAMPLE.replace("Total_Rows\t4", "Total_Rows\t5"));
        assert_eq!((e.line, e.column.as_str(), e.value.as_str()), (6, "Total_Rows", "5"));
        let e = first_error(&SAMPLE.replace("Total_Amount\t14.20", "Total_Amount\t14.21"));
        assert_eq!((e.column.as_str(), e.value.as_str()), ("Total_Amount", "14.21"));
    }

    #[test]
    fn a_row_with_the_wrong_column_count_is_refused() {
        let e = first_error(&SAMPLE.replace("\tOther Label\t", "\t"));
        assert_eq!(e.line, 4);
        assert!(e.reason.contains("expected 22 columns, found 21"), "{e}");
    }

    #[test]
    fn a_row_for_another_period_is_refused() {
        let text = SAMPLE.replacen(
            "09/28/2026\t10/25/2026\t\tGBZZZ",
            "10/26/2026\t11/29/2026\t\tGBZZZ",
            1,
        );
        let e = first_error(&text);
        assert_eq!((e.line, e.column.as_str()), (4, "End Date"));
        assert!(e.reason.contains("a report covers one period"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let text = SAMPLE
            .replacen("USNLR1900002", "USNLR19X0002", 1)
            .replacen("\t6.50\tUSD\t", "\t6.50\tUSX\t", 1)
            .replacen("\t-0.70\tUSD\tR", "\t-0.70\tUSD\tS", 1);
        let errors = run(&text).unwrap_err();
        let found: Vec<(u64, &str)> =
            errors.kept().iter().map(|e| (e.line, e.column.as_str())).collect();
        assert!(found.contains(&(3, "ISRC/ISBN")), "{found:?}");
        assert!(found.contains(&(3, "Partner Share Currency")), "{found:?}");
        let e = run(&SAMPLE.replacen("\t-1\t0.70\t-0.70\tUSD\tR", "\t1\t0.70\t0.70\tUSD\tR", 1))
            .unwrap_err();
        assert!(e.kept()[0].reason.contains("must have a negative quantity"), "{:?}", e.kept());
    }

    #[test]
    fn extended_share_must_be_quantity_times_share() {
        let e = first_error(&SAMPLE.replacen("\t10\t0.70\t7.00\t", "\t10\t0.70\t7.70\t", 1));
        assert_eq!((e.line, e.column.as_str()), (2, "Extended Partner Share"));
    }
}
