//! What staff change in the catalog: the checks of the label, release and track forms,
//! and the writes they share with the CSV imports (`server::import`). Every write
//! takes the caller's transaction; a track's save links the report lines waiting for
//! it in suspense and allocates them (`revenue::matching`).

use super::{CatalogEditor, CatalogLabel, CatalogRelease, CatalogTrack, TrackInput};
use crate::conflicts::detect::{Scope, detect};
use crate::domain::{Currency, Isrc, Platform, Upc};
use crate::error::AppError;
use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

/// At most this many releases per list; the search narrows them.
const SHOWN: i64 = 200;

/// The id of the artist with this name (any case), added if the catalog lacks them.
pub async fn artist_id(conn: &mut PgConnection, name: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        WITH added AS (
            INSERT INTO artists (name) VALUES ($1) ON CONFLICT (lower(name)) DO NOTHING
            RETURNING id
        )
        SELECT id AS "id!" FROM added
        UNION ALL SELECT id FROM artists WHERE lower(name) = lower($1)
        LIMIT 1
        "#,
        name
    )
    .fetch_one(conn)
    .await
}

/// Replaces a track's credits: its main artist and featured artists, in that order.
pub async fn credit(
    conn: &mut PgConnection,
    track: i64,
    main: &str,
    featured: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM track_artists WHERE track_id = $1", track)
        .execute(&mut *conn)
        .await?;
    let credits =
        std::iter::once((main, "main")).chain(featured.iter().map(|a| (a.as_str(), "featured")));
    for (name, role) in credits {
        let artist = artist_id(conn, name).await?;
        sqlx::query!(
            "INSERT INTO track_artists (track_id, artist_id, role) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            track,
            artist,
            role
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Points a platform's id at a track (moving it from another track if it was there).
pub async fn set_platform_id(
    conn: &mut PgConnection,
    platform: Platform,
    id: &str,
    track: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        INSERT INTO track_platform_ids (platform, platform_track_id, track_id)
        VALUES ($1, $2, $3)
        ON CONFLICT (platform, platform_track_id) DO UPDATE SET track_id = EXCLUDED.track_id
        "#,
        platform.code(),
        id,
        track
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `q` as a case-insensitive LIKE pattern matching anywhere.
fn pattern(q: &str) -> String {
    let escaped = q.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The labels, the releases matching `q` (title, UPC, artist, label, or a track's
/// title or ISRC), and the release being edited with its tracks.
pub async fn editor(
    pool: &PgPool,
    q: &str,
    release: Option<i64>,
) -> Result<CatalogEditor, AppError> {
    let labels = labels(pool).await?;
    let releases = releases(pool, q, None).await?;
    let release = match release {
        Some(id) => {
            let release =
                releases_of(pool, id).await?.into_iter().next().ok_or(AppError::NotFound)?;
            Some((release, tracks(pool, id).await?))
        }
        None => None,
    };
    Ok(CatalogEditor { labels, releases, release })
}

async fn releases_of(pool: &PgPool, id: i64) -> Result<Vec<CatalogRelease>, AppError> {
    releases(pool, "", Some(id)).await
}

async fn labels(pool: &PgPool) -> Result<Vec<CatalogLabel>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT l.id, l.name, l.accounting_currency,
               (SELECT count(*) FROM releases r WHERE r.label_id = l.id) AS "releases!",
               (SELECT count(*) FROM payees p WHERE p.label_id = l.id) AS "payees!"
        FROM labels l ORDER BY lower(l.name)
        "#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CatalogLabel {
            id: r.id,
            name: r.name,
            currency: r.accounting_currency,
            releases: r.releases,
            payees: r.payees,
        })
        .collect())
}

async fn releases(
    pool: &PgPool,
    q: &str,
    id: Option<i64>,
) -> Result<Vec<CatalogRelease>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT r.id, r.label_id, l.name AS label, r.upc, r.title, a.name AS artist,
               r.release_date AS "release_date: NaiveDate",
               r.track_count AS tracks
        FROM releases r
        JOIN labels l ON l.id = r.label_id
        JOIN artists a ON a.id = r.artist_id
        WHERE ($3::bigint IS NULL OR r.id = $3)
          AND (r.title ILIKE $1 OR r.upc ILIKE $1 OR a.name ILIKE $1 OR l.name ILIKE $1
               OR EXISTS (SELECT 1 FROM tracks t WHERE t.release_id = r.id
                          AND (t.title ILIKE $1 OR t.isrc ILIKE $1)))
        ORDER BY r.release_date DESC NULLS LAST, r.title
        LIMIT $2
        "#,
        pattern(q),
        SHOWN,
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CatalogRelease {
            id: r.id,
            label_id: r.label_id,
            label: r.label,
            upc: Upc::parse(&r.upc).map(|u| u.to_string()).unwrap_or(r.upc),
            title: r.title,
            artist: r.artist,
            release_date: r.release_date.map(|d| d.to_string()).unwrap_or_default(),
            tracks: r.tracks,
        })
        .collect())
}

async fn tracks(pool: &PgPool, release: i64) -> Result<Vec<CatalogTrack>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT t.id, t.isrc, t.title, t.track_number, t.duration_seconds,
               (SELECT a.name FROM track_artists ta JOIN artists a ON a.id = ta.artist_id
                WHERE ta.track_id = t.id AND ta.role = 'main' ORDER BY a.name LIMIT 1) AS main,
               (SELECT string_agg(a.name, '; ' ORDER BY a.name)
                FROM track_artists ta JOIN artists a ON a.id = ta.artist_id
                WHERE ta.track_id = t.id AND ta.role = 'featured') AS featured,
               (SELECT string_agg(p.platform || ': ' || p.platform_track_id, E'\n'
                                  ORDER BY p.platform, p.platform_track_id)
                FROM track_platform_ids p WHERE p.track_id = t.id) AS platform_ids
        FROM tracks t WHERE t.release_id = $1
        ORDER BY t.track_number
        "#,
        release
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CatalogTrack {
            id: r.id,
            isrc: r.isrc,
            title: r.title,
            track_number: r.track_number,
            duration_seconds: r.duration_seconds,
            main_artist: r.main.unwrap_or_default(),
            featured_artists: r.featured.unwrap_or_default(),
            platform_ids: r.platform_ids.unwrap_or_default(),
        })
        .collect())
}

/// Text that must not be blank, trimmed; `what` names it in the error.
fn required(value: &str, what: &str) -> Result<String, AppError> {
    match value.trim() {
        "" => Err(AppError::invalid(format!("Give the {what}."))),
        text => Ok(text.to_string()),
    }
}

/// Creates a label (`id` 0) or renames one. Its currency is chosen once: the label's
/// ledger, payees and statements are kept in it, so it changes only while the label
/// has neither releases nor payees.
pub async fn save_label(
    pool: &PgPool,
    id: i64,
    name: &str,
    currency: &str,
) -> Result<i64, AppError> {
    let name = required(name, "label's name")?;
    let currency = Currency::parse(currency)
        .map_err(|e| AppError::invalid(format!("Accounting currency: {}.", e.0)))?;
    let mut tx = pool.begin().await?;
    let result = if id == 0 {
        sqlx::query_scalar!(
            "INSERT INTO labels (name, accounting_currency) VALUES ($1, $2) RETURNING id",
            name,
            currency.code()
        )
        .fetch_optional(&mut *tx)
        .await
    } else {
        sqlx::query_scalar!(
            r#"
            UPDATE labels l SET name = $2, accounting_currency = $3 WHERE id = $1
              AND (l.accounting_currency = $3
                   OR NOT EXISTS (SELECT 1 FROM releases r WHERE r.label_id = l.id)
                      AND NOT EXISTS (SELECT 1 FROM payees p WHERE p.label_id = l.id))
            RETURNING id
            "#,
            id,
            name,
            currency.code()
        )
        .fetch_optional(&mut *tx)
        .await
    };
    match result {
        Ok(Some(id)) => {
            // A label's name is one of ours: foreign claims are read against it.
            let tracks = tracks_of(&mut tx, &[], &[id]).await?;
            detect(&mut tx, &Scope::Tracks(tracks)).await?;
            tx.commit().await?;
            Ok(id)
        }
        Ok(None) if id == 0 => Err(AppError::NotFound),
        Ok(None) => match label_exists(pool, id).await? {
            true => Err(AppError::invalid(
                "The label has releases or payees, so its currency stays: its revenue, \
                 balances and statements are kept in it.",
            )),
            false => Err(AppError::NotFound),
        },
        Err(e) if crate::db::is_unique_violation(&e, "labels_name_key") => {
            Err(AppError::invalid(format!("There is a label called {name} already.")))
        }
        Err(e) => Err(e.into()),
    }
}

async fn label_exists(pool: &PgPool, id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM labels WHERE id = $1) AS "e!""#, id)
        .fetch_one(pool)
        .await
}

/// A release form, checked.
pub struct ReleaseForm {
    pub label_id: i64,
    pub upc: String,
    pub title: String,
    pub artist: String,
    pub date: Option<NaiveDate>,
}

impl ReleaseForm {
    pub fn parse(
        label_id: i64,
        upc: &str,
        title: &str,
        artist: &str,
        date: &str,
    ) -> Result<Self, AppError> {
        let upc = Upc::parse(upc).map_err(|e| AppError::invalid(format!("UPC: {}.", e.0)))?;
        let date = match date.trim() {
            "" => None,
            text => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                AppError::invalid(format!("Release date '{text}' is not a date (YYYY-MM-DD)."))
            })?),
        };
        Ok(ReleaseForm {
            label_id,
            upc: upc.gtin13().to_string(),
            title: required(title, "release's title")?,
            artist: required(artist, "release's artist")?,
            date,
        })
    }
}

/// Creates a release (`id` 0) or changes one, which stays on its label: its contracts,
/// ledger and statements are that label's.
pub async fn save_release(pool: &PgPool, id: i64, form: &ReleaseForm) -> Result<i64, AppError> {
    let mut tx = pool.begin().await?;
    let artist = artist_id(&mut tx, &form.artist).await?;
    let result = if id == 0 {
        sqlx::query_scalar!(
            r#"
            INSERT INTO releases (label_id, artist_id, upc, title, release_date)
            VALUES ($1, $2, $3, $4, $5) RETURNING id
            "#,
            form.label_id,
            artist,
            form.upc,
            form.title,
            form.date as _
        )
        .fetch_optional(&mut *tx)
        .await
    } else {
        sqlx::query_scalar!(
            r#"
            UPDATE releases SET artist_id = $3, upc = $4, title = $5, release_date = $6
            WHERE id = $1 AND label_id = $2 RETURNING id
            "#,
            id,
            form.label_id,
            artist,
            form.upc,
            form.title,
            form.date as _
        )
        .fetch_optional(&mut *tx)
        .await
    };
    let saved = match result {
        Ok(Some(id)) => id,
        Ok(None) => return Err(AppError::NotFound),
        Err(e) if crate::db::is_unique_violation(&e, "releases_upc_key") => {
            return Err(AppError::invalid(format!(
                "Another release has the UPC {} already.",
                form.upc.trim_start_matches('0')
            )));
        }
        Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
            return Err(AppError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    // The release's artist is the catalog's name its tracks' reports are read against.
    let tracks = tracks_of(&mut tx, &[saved], &[]).await?;
    detect(&mut tx, &Scope::Tracks(tracks)).await?;
    tx.commit().await?;
    Ok(saved)
}

/// The tracks of `releases` and of `labels`, for detection after they change.
pub async fn tracks_of(
    tx: &mut PgConnection,
    releases: &[i64],
    labels: &[i64],
) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT t.id FROM tracks t JOIN releases r ON r.id = t.release_id
        WHERE r.id = ANY ($1) OR r.label_id = ANY ($2)
        "#,
        releases,
        labels
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// A track form, checked.
pub struct TrackForm {
    pub release_id: i64,
    pub isrc: Isrc,
    pub title: String,
    pub number: i32,
    pub duration: Option<i32>,
    pub main: String,
    pub featured: Vec<String>,
    pub platform_ids: Vec<(Platform, String)>,
}

impl TrackForm {
    pub fn parse(release_id: i64, input: &TrackInput) -> Result<Self, AppError> {
        let isrc =
            Isrc::parse(&input.isrc).map_err(|e| AppError::invalid(format!("ISRC: {}.", e.0)))?;
        let number = match input.track_number.trim().parse::<i32>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(AppError::invalid(format!(
                    "Track number '{}' is not a number from 1.",
                    input.track_number.trim()
                )));
            }
        };
        Ok(TrackForm {
            release_id,
            isrc,
            title: required(&input.title, "track's title")?,
            number,
            duration: duration(&input.duration)?,
            main: required(&input.main_artist, "track's main artist")?,
            featured: names(&input.featured_artists),
            platform_ids: platform_ids(&input.platform_ids)?,
        })
    }
}

/// Featured artists, separated by `;` (names may hold commas: "Earth, Wind & Fire").
pub fn names(text: &str) -> Vec<String> {
    text.split(';').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect()
}

/// A duration as seconds (`215`) or minutes and seconds (`3:35`); empty if unknown.
fn duration(text: &str) -> Result<Option<i32>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let seconds = match text.split_once(':') {
        Some((m, s)) if s.len() == 2 => m
            .parse::<i32>()
            .ok()
            .zip(s.parse::<i32>().ok().filter(|s| *s < 60))
            .map(|(m, s)| m * 60 + s),
        Some(_) => None,
        None => text.parse::<i32>().ok(),
    };
    match seconds {
        Some(s) if s > 0 => Ok(Some(s)),
        _ => Err(AppError::invalid(format!(
            "Duration '{text}' is not a length like 3:35 or 215 (seconds)."
        ))),
    }
}

/// "platform: id" lines ("spotify: 4uLU6hMCjMI75M1A2tKUQC").
fn platform_ids(text: &str) -> Result<Vec<(Platform, String)>, AppError> {
    let mut ids: Vec<(Platform, String)> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parsed = line.split_once(':').and_then(|(platform, id)| {
            let id = id.trim();
            platform.trim().parse::<Platform>().ok().filter(|_| !id.is_empty()).map(|p| (p, id))
        });
        let Some((platform, id)) = parsed else {
            let codes: Vec<&str> = Platform::ALL.iter().map(|p| p.code()).collect();
            return Err(AppError::invalid(format!(
                "Platform id '{line}' is not 'platform: id', with a platform among {}.",
                codes.join(", ")
            )));
        };
        if !ids.iter().any(|(p, i)| *p == platform && i == id) {
            ids.push((platform, id.to_string()));
        }
    }
    Ok(ids)
}

/// Creates a track on its release (`id` 0) or changes one (which stays on its
/// release), with its credits and platform ids; report lines waiting in suspense for
/// its ISRC or ids are linked to it and allocated, all in one transaction.
pub async fn save_track(pool: &PgPool, id: i64, form: &TrackForm) -> Result<i64, AppError> {
    let mut tx = pool.begin().await?;
    let saved = write_track(&mut tx, id, form).await?;
    credit(&mut tx, saved, &form.main, &form.featured).await?;
    replace_platform_ids(&mut tx, saved, &form.platform_ids).await?;
    crate::revenue::matching::rematch(&mut tx, &[saved]).await?;
    detect(&mut tx, &Scope::Tracks(vec![saved])).await?;
    tx.commit().await?;
    Ok(saved)
}

async fn write_track(tx: &mut PgConnection, id: i64, form: &TrackForm) -> Result<i64, AppError> {
    let result = if id == 0 {
        sqlx::query_scalar!(
            r#"
            INSERT INTO tracks (release_id, isrc, title, track_number, duration_seconds)
            VALUES ($1, $2, $3, $4, $5) RETURNING id
            "#,
            form.release_id,
            form.isrc.as_str(),
            form.title,
            form.number,
            form.duration
        )
        .fetch_optional(&mut *tx)
        .await
    } else {
        sqlx::query_scalar!(
            r#"
            UPDATE tracks SET isrc = $3, title = $4, track_number = $5, duration_seconds = $6
            WHERE id = $1 AND release_id = $2 RETURNING id
            "#,
            id,
            form.release_id,
            form.isrc.as_str(),
            form.title,
            form.number,
            form.duration
        )
        .fetch_optional(&mut *tx)
        .await
    };
    match result {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(AppError::NotFound),
        Err(e) if crate::db::is_unique_violation(&e, "tracks_isrc_key") => Err(AppError::invalid(
            format!("Another track has the ISRC {} already.", form.isrc.as_str()),
        )),
        Err(e) if crate::db::is_unique_violation(&e, "tracks_release_id_track_number_key") => {
            Err(AppError::invalid(format!("The release has a track {} already.", form.number)))
        }
        Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Makes `ids` the track's platform ids. An id that belongs to another track is
/// refused rather than moved: the form shows one track, and moving an id would change
/// what another track's future lines match.
async fn replace_platform_ids(
    tx: &mut PgConnection,
    track: i64,
    ids: &[(Platform, String)],
) -> Result<(), AppError> {
    let (platforms, codes): (Vec<String>, Vec<String>) =
        ids.iter().map(|(p, id)| (p.code().to_string(), id.clone())).unzip();
    let taken = sqlx::query!(
        r#"
        SELECT p.platform, p.platform_track_id, t.title, t.isrc
        FROM track_platform_ids p
        JOIN UNNEST($1::text[], $2::text[]) AS u(platform, id)
          ON u.platform = p.platform AND u.id = p.platform_track_id
        JOIN tracks t ON t.id = p.track_id
        WHERE p.track_id <> $3
        LIMIT 1
        "#,
        &platforms,
        &codes,
        track
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(t) = taken {
        return Err(AppError::invalid(format!(
            "The {} id {} belongs to {} ({}).",
            t.platform, t.platform_track_id, t.title, t.isrc
        )));
    }
    sqlx::query!("DELETE FROM track_platform_ids WHERE track_id = $1", track)
        .execute(&mut *tx)
        .await?;
    for (platform, id) in ids {
        set_platform_id(tx, *platform, id, track).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_seconds_or_minutes() {
        assert_eq!(duration("215").unwrap(), Some(215));
        assert_eq!(duration("3:35").unwrap(), Some(215));
        assert_eq!(duration(" ").unwrap(), None);
        for bad in ["3:5", "3:75", "0", "-4", "abc"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn platform_ids_are_platform_colon_id() {
        let ids = platform_ids("spotify: 4uLU6\n\nyoutube:A12\nspotify: 4uLU6").unwrap();
        assert_eq!(
            ids,
            vec![(Platform::Spotify, "4uLU6".into()), (Platform::YouTube, "A12".into())]
        );
        let error = platform_ids("napster: 123").unwrap_err().to_string();
        assert!(error.contains("napster: 123") && error.contains("apple_music"), "{error}");
        assert!(platform_ids("spotify:").is_err());
    }

    #[test]
    fn featured_artists_split_on_semicolons() {
        assert_eq!(names(" A ; Earth, Wind & Fire;;"), vec!["A", "Earth, Wind & Fire"]);
    }
}
