//! Labels: `name,accounting_currency`. A label is known by its name (any case):
//! importing it again may fix the name's spelling, but its currency changes only while
//! it has neither releases nor payees, since its ledger and statements are kept in it.

use super::{Imported, Kind, Line, labels_by_name, required};
use crate::ingest::{ErrorLog, LineError};
use anyhow::Result;
use app::domain::Currency;
use sqlx::PgConnection;

pub struct Labels;

#[derive(Debug, Clone)]
pub struct Label {
    pub name: String,
    pub currency: Currency,
}

impl Kind for Labels {
    type Row = Label;
    const NAME: &'static str = "labels";
    const COLUMNS: &'static [&'static str] = &["name", "accounting_currency"];
    const EXAMPLE: &'static [&'static [&'static str]] =
        &[&["Northern Lights Records", "USD"], &["Harbour Sound", "EUR"]];
    const PAGE: &'static str = "/catalog";

    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Label> {
        let name = line.field("name", errors, required);
        let currency =
            line.field("accounting_currency", errors, |v| Currency::parse(v).map_err(|e| e.0));
        Some(Label { name: name?, currency: currency? })
    }

    fn key(label: &Label) -> String {
        label.name.to_lowercase()
    }

    async fn write(
        tx: &mut PgConnection,
        rows: &[(u64, Label)],
        _source: &str,
    ) -> Result<Imported> {
        let existing = labels_by_name(tx, rows.iter().map(|(_, l)| l.name.as_str())).await?;
        let in_use = labels_in_use(tx).await?;
        let mut errors = ErrorLog::default();
        for (line, label) in rows {
            let Some((id, currency)) = existing.get(&label.name.to_lowercase()) else { continue };
            if currency.trim() != label.currency.code() && in_use.contains(id) {
                let reason = format!(
                    "the label keeps {} (it has releases or payees, whose money is kept in it)",
                    currency.trim()
                );
                errors.push(LineError::new(
                    *line,
                    "accounting_currency",
                    label.currency.code(),
                    reason,
                ));
            }
        }
        if !errors.is_empty() {
            return Ok(Imported::Refused(errors));
        }
        for (_, label) in rows {
            sqlx::query!(
                r#"
                INSERT INTO labels (name, accounting_currency) VALUES ($1, $2)
                ON CONFLICT (lower(name)) DO UPDATE
                SET name = EXCLUDED.name, accounting_currency = EXCLUDED.accounting_currency
                "#,
                label.name,
                label.currency.code()
            )
            .execute(&mut *tx)
            .await?;
        }
        Ok(Imported::Written(rows.len() as u64))
    }
}

/// Labels with releases or payees.
async fn labels_in_use(tx: &mut PgConnection) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM labels l
           WHERE EXISTS (SELECT 1 FROM releases r WHERE r.label_id = l.id)
              OR EXISTS (SELECT 1 FROM payees p WHERE p.label_id = l.id)"#
    )
    .fetch_all(&mut *tx)
    .await?)
}
