//! Payees: `label,name,kind,artist,currency,minimum_payout`. A payee is known by its
//! label and name: importing one again updates it. `artist` names the artist whose
//! logins see the payee's statements (empty for none).

use super::{Imported, Kind, Line, labels_by_name, required};
use crate::ingest::{ErrorLog, LineError};
use anyhow::Result;
use app::domain::Currency;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::HashMap;

pub struct Payees;

use app::terms::PAYEE_KINDS as KINDS;

#[derive(Debug, Clone)]
pub struct Payee {
    pub label: String,
    pub name: String,
    pub kind: &'static str,
    pub artist: Option<String>,
    pub currency: Currency,
    pub minimum: Decimal,
}

impl Kind for Payees {
    type Row = Payee;
    const NAME: &'static str = "payees";
    const COLUMNS: &'static [&'static str] =
        &["label", "name", "kind", "artist", "currency", "minimum_payout"];
    const EXAMPLE: &'static [&'static [&'static str]] = &[
        &["Northern Lights Records", "Nova Reyes", "artist", "Nova Reyes", "USD", "25"],
        &["Northern Lights Records", "Sam Okoro", "producer", "", "USD", "10"],
    ];
    const PAGE: &'static str = "/payees";

    fn parse(line: &Line<'_>, errors: &mut ErrorLog) -> Option<Payee> {
        let label = line.field("label", errors, required);
        let name = line.field("name", errors, required);
        let kind = line.field("kind", errors, |v| {
            KINDS
                .into_iter()
                .find(|k| *k == v)
                .ok_or_else(|| format!("expected one of {}", KINDS.join(", ")))
        });
        let currency = line.field("currency", errors, |v| Currency::parse(v).map_err(|e| e.0));
        let minimum = line.field("minimum_payout", errors, amount_or_zero);
        let artist = Some(line.cell("artist")).filter(|a| !a.is_empty()).map(str::to_string);
        Some(Payee {
            label: label?,
            name: name?,
            kind: kind?,
            artist,
            currency: currency?,
            minimum: minimum?,
        })
    }

    fn key(payee: &Payee) -> String {
        format!("{} / {}", payee.label.to_lowercase(), payee.name.to_lowercase())
    }

    async fn write(
        tx: &mut PgConnection,
        rows: &[(u64, Payee)],
        _source: &str,
    ) -> Result<Imported> {
        let labels = labels_by_name(tx, rows.iter().map(|(_, p)| p.label.as_str())).await?;
        let artists =
            artists_by_name(tx, rows.iter().filter_map(|(_, p)| p.artist.as_deref())).await?;
        let mut errors = ErrorLog::default();
        let mut resolved = Vec::new();
        for (line, payee) in rows {
            let Some((label_id, currency)) = labels.get(&payee.label.to_lowercase()) else {
                errors.push(LineError::new(*line, "label", &payee.label, "no label has this name"));
                continue;
            };
            if currency != payee.currency.code() {
                let reason = format!("payees are paid in their label's currency, {currency}");
                errors.push(LineError::new(*line, "currency", payee.currency.code(), reason));
                continue;
            }
            let artist = match &payee.artist {
                None => None,
                Some(name) => match artists.get(&name.to_lowercase()) {
                    Some(id) => Some(*id),
                    None => {
                        errors.push(LineError::new(
                            *line,
                            "artist",
                            name,
                            "no artist has this name",
                        ));
                        continue;
                    }
                },
            };
            resolved.push((*label_id, payee, artist));
        }
        if !errors.is_empty() {
            return Ok(Imported::Refused(errors));
        }
        for (label_id, payee, artist) in &resolved {
            sqlx::query!(
                r#"
                INSERT INTO payees (label_id, name, kind, artist_id, currency, minimum_payout)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (label_id, lower(name)) DO UPDATE
                SET kind = EXCLUDED.kind, artist_id = EXCLUDED.artist_id,
                    currency = EXCLUDED.currency, minimum_payout = EXCLUDED.minimum_payout
                "#,
                label_id,
                payee.name,
                payee.kind,
                *artist,
                payee.currency.code(),
                payee.minimum
            )
            .execute(&mut *tx)
            .await?;
        }
        Ok(Imported::Written(resolved.len() as u64))
    }
}

/// A non-negative decimal amount; empty is zero.
fn amount_or_zero(value: &str) -> Result<Decimal, String> {
    if value.is_empty() {
        return Ok(Decimal::ZERO);
    }
    match value.parse::<Decimal>() {
        Ok(amount) if amount >= Decimal::ZERO => Ok(amount),
        Ok(_) => Err("must not be negative".into()),
        Err(_) => Err("expected a decimal number with a dot, like 25.00".into()),
    }
}

async fn artists_by_name<'a>(
    tx: &mut PgConnection,
    names: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, i64>> {
    let names: Vec<String> = names.map(str::to_lowercase).collect();
    let rows = sqlx::query!(
        "SELECT id, lower(name) AS \"key!\" FROM artists WHERE lower(name) = ANY($1)",
        &names
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.key, r.id)).collect())
}
