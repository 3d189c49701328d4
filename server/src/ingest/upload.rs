//! Staff uploads: a report file streamed to disk under the data folder (never held in
//! memory, refused past a size limit), then loaded by the upload job's run so staff
//! follow it on the ingestion page like any other.

use crate::startup::{AppState, require_staff};
use axum::{
    extract::{Multipart, State, multipart::MultipartRejection},
    response::{IntoResponse, Redirect, Response},
};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use tower_sessions::Session;

/// The upload job's folder, under the data folder.
pub const FOLDER: &str = "uploads";

/// Where uploads go and how large one may be.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    pub dir: PathBuf,
    pub max_bytes: u64,
}

/// `POST /ingestion/upload` (multipart, field `file`). Answers with a redirect back to
/// the ingestion page saying what happened, so it works as a plain HTML form.
pub async fn handler(
    State(state): State<AppState>,
    session: Session,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let staff = match require_staff(&state, &session).await {
        Ok(staff) => staff,
        Err(refused) => return refused,
    };
    let outcome = match multipart {
        Ok(multipart) => receive(multipart, &state.uploads).await,
        Err(e) => Err(format!("The upload could not be read: {e}")),
    };
    let outcome = match outcome {
        Ok(name) => queue(&state.pool, staff.id).await.map(|()| name),
        Err(e) => Err(e),
    };
    let query = match outcome {
        Ok(name) => format!("uploaded={}", encode(&name)),
        Err(e) => format!("upload_error={}", encode(&e)),
    };
    Redirect::to(&format!("/ingestion?{query}")).into_response()
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// Streams the `file` field to the uploads folder; returns the name it was kept under.
async fn receive(mut multipart: Multipart, settings: &UploadSettings) -> Result<String, String> {
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err("Choose a report file to upload.".into()),
            Err(e) => return Err(format!("The upload was cut off: {e}")),
        };
        if field.name() != Some("file") {
            continue;
        }
        let original = field.file_name().unwrap_or_default().to_string();
        if original.is_empty() {
            return Err("Choose a report file to upload.".into());
        }
        return store(field, &original, settings).await;
    }
}

async fn store(
    mut field: axum::extract::multipart::Field<'_>,
    original: &str,
    settings: &UploadSettings,
) -> Result<String, String> {
    let internal = |e: std::io::Error| {
        tracing::error!("upload: {e}");
        "The server could not store the upload; it has been logged.".to_string()
    };
    tokio::fs::create_dir_all(&settings.dir).await.map_err(internal)?;
    let name = format!("{}-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S"), safe_name(original));
    let partial = settings.dir.join(format!(".{name}.partial"));
    let mut file = tokio::fs::File::create(&partial).await.map_err(internal)?;
    let mut size = 0u64;
    let written: Result<(), String> = async {
        while let Some(chunk) =
            field.chunk().await.map_err(|e| format!("The upload was cut off: {e}"))?
        {
            size += chunk.len() as u64;
            if size > settings.max_bytes {
                return Err(format!(
                    "{original} is larger than the upload limit of {} MB; load it with `backbeat ingest` instead.",
                    settings.max_bytes / (1024 * 1024)
                ));
            }
            file.write_all(&chunk).await.map_err(internal)?;
        }
        file.flush().await.map_err(internal)
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(e);
    }
    tokio::fs::rename(&partial, settings.dir.join(&name)).await.map_err(internal)?;
    Ok(name)
}

/// The file's own name, reduced to characters safe in any file system.
fn safe_name(original: &str) -> String {
    let base = Path::new(original).file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let safe: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
        .take(100)
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    if safe.is_empty() { "upload".into() } else { safe }
}

/// Queues a run of the upload job for the scheduler.
async fn queue(pool: &sqlx::PgPool, staff_id: i64) -> Result<(), String> {
    let queued = sqlx::query_scalar!(
        r#"
        INSERT INTO ingestion_runs (job_id, trigger, scheduled_for, requested_by)
        SELECT id, 'upload', clock_timestamp(), $1 FROM ingestion_jobs
        WHERE source = 'upload' ORDER BY id LIMIT 1
        RETURNING id
        "#,
        staff_id
    )
    .fetch_optional(pool)
    .await
    .map_err(|e| {
        tracing::error!("upload: queueing its run: {e}");
        "The file was stored but its run could not be queued; it has been logged.".to_string()
    })?;
    queued.map(drop).ok_or_else(|| "There is no upload job to load the file.".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_made_safe() {
        assert_eq!(super::safe_name("../../etc/passwd"), "passwd");
        assert_eq!(super::safe_name("Spotify report (March).tsv"), "Spotify_report__March_.tsv");
        assert_eq!(super::safe_name(".hidden"), "hidden");
        assert_eq!(super::safe_name(""), "upload");
    }
}
