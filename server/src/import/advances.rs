//! Advances: `label,payee,amount,paid_on,note`, in the label's accounting currency. The
//! same payee, day and amount imported again is the same advance (its note is updated).

use super::{Imported, Kind, Line, labels_by_name, required};
use crate::ingest::{ErrorLog, LineError};
use anyhow::Result;
use app::terms::ssr::payees_by_name;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

pub struct Advances;

#[derive(Debug, Clone)]
pub struct Advance {
    pub label: String,
    pub payee: String,
    pub amount: Decimal,
    pub paid_on: NaiveDate,
    pub note: String,
}

impl Kind for Advances {
    type Row = Advance;
    const NAME: &'static str = "advances";
    const COLUMNS: &'static [&'static str] = &["label", "payee", "amount", "paid_on", "note"];
    const EXAMPLE: &'static [&'static [&'static str]] =
        &[&["Northern Lights Records", "Nova Reyes", "2500.00", "2026-01-15", "Album advance"]];
    const PAGE: &'static str = "/advances";

    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Advance> {
        let label = line.field("label", errors, required);
        let payee = line.field("payee", errors, required);
        let amount = line.field("amount", errors, |v| match v.parse::<Decimal>() {
            Ok(amount) if amount > Decimal::ZERO => Ok(amount),
            Ok(_) => Err("an advance is more than zero".into()),
            Err(_) => Err("expected a decimal number with a dot, like 2500.00".into()),
        });
        let paid_on = line.field("paid_on", errors, |v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| "expected a date, YYYY-MM-DD".into())
        });
        Some(Advance {
            label: label?,
            payee: payee?,
            amount: amount?,
            paid_on: paid_on?,
            note: line.cell("note").to_string(),
        })
    }

    fn key(a: &Advance) -> String {
        format!(
            "{} / {} on {} of {}",
            a.label.to_lowercase(),
            a.payee.to_lowercase(),
            a.paid_on,
            a.amount
        )
    }

    async fn write(
        tx: &mut PgConnection,
        rows: &[(u64, Advance)],
        _source: &str,
    ) -> Result<Imported> {
        let labels = labels_by_name(tx, rows.iter().map(|(_, a)| a.label.as_str())).await?;
        let ids: Vec<i64> = labels.values().map(|(id, _)| *id).collect();
        let payees = payees_by_name(tx, &ids).await?;
        let mut errors = ErrorLog::default();
        let mut resolved = Vec::new();
        for (line, advance) in rows {
            let Some((label_id, _)) = labels.get(&advance.label.to_lowercase()) else {
                errors.push(LineError::new(
                    *line,
                    "label",
                    &advance.label,
                    "no label has this name",
                ));
                continue;
            };
            match payees.get(&(*label_id, advance.payee.to_lowercase())) {
                Some(payee) => resolved.push((*payee, advance)),
                None => errors.push(LineError::new(
                    *line,
                    "payee",
                    &advance.payee,
                    "the label has no payee of this name",
                )),
            }
        }
        if !errors.is_empty() {
            return Ok(Imported::Refused(errors));
        }
        for (payee, advance) in &resolved {
            sqlx::query!(
                r#"
                INSERT INTO advances (payee_id, amount, paid_on, note) VALUES ($1, $2, $3, $4)
                ON CONFLICT (payee_id, paid_on, amount) DO UPDATE SET note = EXCLUDED.note
                "#,
                payee,
                advance.amount,
                advance.paid_on as _,
                advance.note
            )
            .execute(&mut *tx)
            .await?;
        }
        Ok(Imported::Written(resolved.len() as u64))
    }
}
