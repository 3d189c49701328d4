//! Matching suspense to the catalog after the fact: when staff add a track or a
//! platform's id for one, the lines that arrived before it (kept with no track, in
//! suspense) are linked to it, as the loader would have, and their files allocated
//! again, in the caller's transaction.

use super::ledger::{self, Scope};
use crate::error::AppError;
use sqlx::PgConnection;

/// Links unmatched facts to `tracks`: by ISRC first, then by the platform's own id for
/// lines without a known ISRC (the loader's order). Returns the facts linked.
pub async fn rematch(tx: &mut PgConnection, tracks: &[i64]) -> Result<u64, AppError> {
    let by_isrc = sqlx::query_scalar!(
        r#"
        UPDATE stream_facts f SET track_id = t.id, label_id = r.label_id
        FROM tracks t
        JOIN releases r ON r.id = t.release_id
        WHERE f.track_id IS NULL AND t.id = ANY($1) AND f.isrc = t.isrc
        RETURNING f.report_file_id
        "#,
        tracks
    )
    .fetch_all(&mut *tx)
    .await?;
    let by_platform_id = sqlx::query_scalar!(
        r#"
        UPDATE stream_facts f SET track_id = p.track_id, label_id = r.label_id
        FROM track_platform_ids p
        JOIN tracks pt ON pt.id = p.track_id
        JOIN releases r ON r.id = pt.release_id
        WHERE f.track_id IS NULL AND p.track_id = ANY($1) AND f.platform = p.platform
          AND f.platform_track_id = p.platform_track_id
          AND (f.isrc IS NULL OR NOT EXISTS (SELECT 1 FROM tracks t WHERE t.isrc = f.isrc))
        RETURNING f.report_file_id
        "#,
        tracks
    )
    .fetch_all(&mut *tx)
    .await?;
    let linked = (by_isrc.len() + by_platform_id.len()) as u64;
    let mut files: Vec<i64> = by_isrc.into_iter().chain(by_platform_id).collect();
    files.sort_unstable();
    files.dedup();
    if !files.is_empty() {
        ledger::allocate(tx, &Scope::Files(files)).await?;
    }
    Ok(linked)
}
