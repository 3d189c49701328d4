//! Generated Apple financial reports: the 22-column header, a row per track,
//! storefront and product type in the storefront's currency, returns as `R` rows, and
//! the `Total_*` trailer. Layout: docs/formats.md, "Apple financial report".

use super::{Kind, Line, Report};
use crate::ingest::{Fact, apple::COLUMNS};
use app::domain::UsageType;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::io::{self, Write};

pub(super) fn write(
    report: &Report,
    out: &mut impl Write,
    mut emit: impl FnMut(Fact),
) -> io::Result<()> {
    let (start, end) = super::apple_fiscal_period(report.spec.month);
    let dates = (start.format("%m/%d/%Y").to_string(), end.format("%m/%d/%Y").to_string());
    writeln!(out, "{}", COLUMNS.join("\t"))?;
    let (mut units, mut amount, mut currencies) = (0i64, Decimal::ZERO, BTreeSet::new());
    for (index, line) in report.lines().iter().enumerate() {
        let fact = report.fact(line, index as u64 + 2, (start, end));
        write_row(out, report, line, &fact, &dates)?;
        units += fact.units;
        amount += fact.gross;
        currencies.insert(fact.currency.code());
        emit(fact);
    }
    writeln!(out, "Total_Rows\t{}", report.lines().len())?;
    // A sum across currencies means nothing; Apple's single-currency reports state it.
    if currencies.len() <= 1 {
        writeln!(out, "Total_Amount\t{amount}")?;
    }
    writeln!(out, "Total_Units\t{units}")
}

fn write_row(
    out: &mut impl Write,
    report: &Report,
    line: &Line,
    fact: &Fact,
    (start, end): &(String, String),
) -> io::Result<()> {
    let track = report.track(line);
    let download = fact.usage == UsageType::Download;
    let product_type = if download { "1" } else { "SP" };
    let (price, price_currency) = if download {
        (customer_price(fact.currency.code()), fact.currency.code())
    } else {
        ("", "")
    };
    let cells = [
        start.as_str(),
        end,
        track.upc.as_ref().map(|u| u.gtin13()).unwrap_or(""),
        track.isrc.as_str(),
        &track.isrc.as_str()[5..],
        &fact.units.to_string(),
        &report.rate(line).to_string(),
        &fact.gross.to_string(),
        fact.currency.code(),
        if line.kind == Kind::Return { "R" } else { "S" },
        fact.platform_track_id.as_deref().unwrap_or(""),
        &track.artist,
        &fact.title,
        &track.label,
        "",
        product_type,
        "",
        fact.territory.as_str(),
        "",
        "",
        price,
        price_currency,
    ];
    let row: Vec<String> = cells.iter().map(|c| c.replace(['\t', '\n', '\r'], " ")).collect();
    writeln!(out, "{}", row.join("\t"))
}

/// What a song costs in the storefront, roughly, for the Customer Price column.
fn customer_price(currency: &str) -> &'static str {
    match currency {
        "USD" | "CAD" | "AUD" => "1.29",
        "GBP" | "EUR" => "0.99",
        "JPY" => "255",
        _ => "0.99",
    }
}
