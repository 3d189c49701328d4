//! Monthly exchange rates: `month,from_currency,to_currency,rate`, where one unit of
//! `from_currency` is worth `rate` units of `to_currency` in that month. Importing a
//! rate that exists replaces it (the record keeps the file it came from).

use super::{Imported, Kind, Line};
use crate::ingest::{ErrorLog, LineError};
use anyhow::Result;
use app::domain::{Currency, Month};
use app::revenue::ledger;
use rust_decimal::Decimal;
use sqlx::PgConnection;

pub struct ExchangeRates;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub month: Month,
    pub from: Currency,
    pub to: Currency,
    pub rate: Decimal,
}

impl Kind for ExchangeRates {
    type Row = Rate;
    const NAME: &'static str = "exchange-rates";
    const COLUMNS: &'static [&'static str] = &["month", "from_currency", "to_currency", "rate"];
    const EXAMPLE: &'static [&'static [&'static str]] =
        &[&["2026-03", "EUR", "USD", "1.0842"], &["2026-03", "GBP", "USD", "1.2671"]];
    const PAGE: &'static str = "/rates";

    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Rate> {
        let month = line.field("month", errors, |v| v.parse::<Month>().map_err(|e| e.0));
        let currency = |v: &str| Currency::parse(v).map_err(|e| e.0);
        let from = line.field("from_currency", errors, currency);
        let to = line.field("to_currency", errors, currency);
        let rate = line.field("rate", errors, |v| match v.parse::<Decimal>() {
            Ok(rate) if rate > Decimal::ZERO => Ok(rate),
            Ok(_) => Err("a rate must be more than zero".into()),
            Err(_) => Err("expected a decimal number with a dot, like 1.0842".into()),
        });
        let (month, from, to, rate) = (month?, from?, to?, rate?);
        if from == to {
            errors.push(LineError::new(
                line.number,
                "to_currency",
                to.code(),
                "the same currency on both sides",
            ));
            return None;
        }
        Some(Rate { month, from, to, rate })
    }

    fn key(rate: &Rate) -> String {
        format!("{} {} to {}", rate.month, rate.from.code(), rate.to.code())
    }

    async fn write(tx: &mut PgConnection, rows: &[(u64, Rate)], source: &str) -> Result<Imported> {
        let months: Vec<chrono::NaiveDate> =
            rows.iter().map(|(_, r)| r.month.first_day()).collect();
        let from: Vec<String> = rows.iter().map(|(_, r)| r.from.code().to_string()).collect();
        let to: Vec<String> = rows.iter().map(|(_, r)| r.to.code().to_string()).collect();
        let rates: Vec<Decimal> = rows.iter().map(|(_, r)| r.rate).collect();
        let written = sqlx::query!(
            r#"
            INSERT INTO exchange_rates (month, from_currency, to_currency, rate, source)
            SELECT m, f, t, r, $5 FROM UNNEST($1::date[], $2::text[], $3::text[], $4::numeric[])
                AS u(m, f, t, r)
            ON CONFLICT (month, from_currency, to_currency)
            DO UPDATE SET rate = EXCLUDED.rate, source = EXCLUDED.source, updated_at = now()
            "#,
            &months as _,
            &from,
            &to,
            &rates,
            source
        )
        .execute(&mut *tx)
        .await?;
        // Held amounts waiting for these rates, and any converted at an old figure.
        let touched = months.into_iter().zip(from).collect();
        ledger::allocate(tx, &ledger::Scope::Rates(touched)).await?;
        Ok(Imported::Written(written.rows_affected()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{read, template};
    use super::*;

    #[test]
    fn the_template_reads_back() {
        let rows = read::<ExchangeRates>(template::<ExchangeRates>().as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1.rate, "1.0842".parse::<Decimal>().unwrap());
    }

    #[test]
    fn every_bad_cell_is_named_with_its_line() {
        let text = "month,from_currency,to_currency,rate\n2026-03,EUR,USD,1.08\n2026-13,EUX,USD,-1\n2026-04,USD,USD,1\n";
        let errors = read::<ExchangeRates>(text.as_bytes()).unwrap_err();
        let found: Vec<(u64, &str, &str)> =
            errors.kept().iter().map(|e| (e.line, e.column.as_str(), e.value.as_str())).collect();
        assert_eq!(
            found,
            [
                (3, "month", "2026-13"),
                (3, "from_currency", "EUX"),
                (3, "rate", "-1"),
                (4, "to_currency", "USD")
            ]
        );
    }

    #[test]
    fn a_rate_given_twice_is_named_at_its_second_line() {
        let text =
            "month,from_currency,to_currency,rate\n2026-03,EUR,USD,1.08\n2026-03,eur,USD,1.09\n";
        let errors = read::<ExchangeRates>(text.as_bytes()).unwrap_err();
        assert_eq!(errors.kept()[0].line, 3);
        assert_eq!(errors.kept()[0].reason, "given already on line 2");
    }

    #[test]
    fn a_header_must_name_the_columns() {
        let errors = read::<ExchangeRates>(b"month,currency,rate\n").unwrap_err();
        assert_eq!(errors.kept()[0].line, 1);
        assert!(errors.kept()[0].reason.contains("expected month,from_currency,to_currency,rate"));
    }
}
