//! The browser's way into imports: `POST /rates/import` (a CSV file) and
//! `GET /rates/template.csv`. Staff only; answers with a redirect back to the page
//! saying what happened, so the form works without JavaScript.

use super::{Imported, Kind, exchange_rates::ExchangeRates, read, template};
use crate::startup::{AppState, require_staff};
use axum::{
    extract::{Multipart, State, multipart::MultipartRejection},
    http::header,
    response::{IntoResponse, Redirect, Response},
};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use tower_sessions::Session;

/// Imports are reference data: a few thousand lines at most.
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// How many errors the redirect carries back (the command line shows them all).
const ERRORS_SHOWN: usize = 10;

pub async fn import_rates(
    State(state): State<AppState>,
    session: Session,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if let Err(refused) = require_staff(&state, &session).await {
        return refused;
    }
    let outcome = match multipart {
        Ok(multipart) => receive(multipart).await,
        Err(e) => Err(format!("The upload could not be read: {e}")),
    };
    let outcome = match outcome {
        Ok((name, bytes)) => store::<ExchangeRates>(&state.pool, &name, &bytes).await,
        Err(e) => Err(e),
    };
    let query = match outcome {
        Ok(written) => format!("imported={written}"),
        Err(e) => format!("import_error={}", utf8_percent_encode(&e, NON_ALPHANUMERIC)),
    };
    Redirect::to(&format!("/rates?{query}")).into_response()
}

async fn receive(mut multipart: Multipart) -> Result<(String, Vec<u8>), String> {
    while let Some(field) =
        multipart.next_field().await.map_err(|e| format!("The upload was cut off: {e}"))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload.csv").to_string();
        let bytes = field.bytes().await.map_err(|e| format!("The upload was cut off: {e}"))?;
        if bytes.len() > MAX_BYTES {
            return Err(format!("{name} is larger than {} MB.", MAX_BYTES / (1024 * 1024)));
        }
        return Ok((name, bytes.to_vec()));
    }
    Err("Choose a CSV file to import.".into())
}

async fn store<K: Kind>(pool: &sqlx::PgPool, name: &str, bytes: &[u8]) -> Result<u64, String> {
    let rows = match read::<K>(bytes) {
        Ok(rows) => rows,
        Err(errors) => return Err(describe(name, &super::Imported::Refused(errors))),
    };
    let written = async {
        let mut tx = pool.begin().await?;
        let written = K::write(&mut tx, &rows, name).await?;
        tx.commit().await?;
        anyhow::Ok(written)
    }
    .await;
    written.map_err(|e| {
        tracing::error!("import of {name}: {e:#}");
        "The import could not be saved; it has been logged. Nothing was written.".to_string()
    })
}

fn describe(name: &str, imported: &Imported) -> String {
    let Imported::Refused(errors) = imported else { return String::new() };
    let mut text = format!("{name}: {} errors; nothing was written.", errors.total());
    for error in errors.kept().iter().take(ERRORS_SHOWN) {
        text.push('\n');
        text.push_str(&error.to_string());
    }
    text
}

pub async fn rates_template(State(state): State<AppState>, session: Session) -> Response {
    if let Err(refused) = require_staff(&state, &session).await {
        return refused;
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"exchange-rates.csv\""),
        ],
        template::<ExchangeRates>(),
    )
        .into_response()
}
