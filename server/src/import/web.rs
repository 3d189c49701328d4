//! The browser's way into imports: `POST /import/{kind}` (a CSV file) and
//! `GET /import/{kind}/template.csv`. Staff only; answers with a redirect back to the
//! kind's page saying what happened, so the forms work without JavaScript.

use super::{Imported, KINDS, Kind, import_bytes, template, with_kind};
use crate::startup::{AppState, require_staff};
use axum::{
    extract::{Multipart, Path, State, multipart::MultipartRejection},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use tower_sessions::Session;

/// Imports are reference data: a few thousand lines at most.
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// How many errors the redirect carries back (the command line shows them all).
const ERRORS_SHOWN: usize = 10;

pub async fn import(
    State(state): State<AppState>,
    session: Session,
    Path(kind): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if let Err(refused) = require_staff(&state, &session).await {
        return refused;
    }
    with_kind!(
        kind.as_str(),
        K => import_into::<K>(&state, multipart).await,
        unknown(&kind)
    )
}

async fn import_into<K: Kind>(
    state: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let outcome = match multipart {
        Ok(multipart) => receive(multipart).await,
        Err(e) => Err(format!("The upload could not be read: {e}")),
    };
    let outcome = match outcome {
        Ok((name, bytes)) => store::<K>(&state.pool, &name, &bytes).await,
        Err(e) => Err(e),
    };
    let query = match outcome {
        Ok(written) => format!("imported={written}"),
        Err(e) => format!("import_error={}", utf8_percent_encode(&e, NON_ALPHANUMERIC)),
    };
    Redirect::to(&format!("{}?{query}", K::PAGE)).into_response()
}

fn unknown(kind: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("There is no import called {kind:?} (kinds: {KINDS})."))
        .into_response()
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
    match import_bytes::<K>(pool, name, bytes).await {
        Ok(Imported::Written(written)) => Ok(written),
        Ok(refused) => Err(describe(name, &refused)),
        Err(e) => {
            tracing::error!("import of {name}: {e:#}");
            Err("The import could not be saved; it has been logged. Nothing was written.".into())
        }
    }
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

pub async fn template_csv(
    State(state): State<AppState>,
    session: Session,
    Path(kind): Path<String>,
) -> Response {
    if let Err(refused) = require_staff(&state, &session).await {
        return refused;
    }
    with_kind!(kind.as_str(), K => template_response::<K>(), unknown(&kind))
}

fn template_response<K: Kind>() -> Response {
    crate::exports::attachment(&format!("{}.csv", K::NAME), template::<K>())
}
