//! The catalog as the loader needs it: each track by ISRC and by the platforms' own
//! ids, with its label and a hash of its title and main artist, read once per file in
//! one snapshot; and what the loader notices of the lines it matches for conflict
//! detection ([`Noticed`]).

use super::Fact;
use anyhow::{Context, Result, bail};
use app::domain::Platform;
use futures_util::TryStreamExt;
use sqlx::{PgConnection, PgPool};
use std::collections::{HashMap, HashSet};
use std::hash::Hasher;
use std::ops::Range;

/// A matched line's track, the track's label (which a fact carries: migration 20), and
/// the catalog's title and main artist of it, hashed (`names`).
#[derive(Clone, Copy)]
pub struct Matched {
    pub track: i64,
    pub label: i64,
    names: u64,
}

/// Tracks by ISRC and by each platform's own id, with what detection needs to know of
/// them (see [`Noticed`]).
#[derive(Default)]
pub struct Matcher {
    by_isrc: HashMap<String, Matched>,
    by_platform_id: HashMap<(String, String), Matched>,
    /// Each label's name, and the distributor's: collectors that are ours.
    labels: HashMap<i64, String>,
    distributor: String,
    /// The catalog's version all of the above were read at (migration 25); None when
    /// the read failed (the load then fails too).
    catalog_version: Option<i64>,
}

/// The tracks, as `COPY ... (FORMAT binary)` sends them: a million rows decoded as
/// query results cost the loader 1.7 s, before a parser waiting for them at its first
/// line could start; raw, their bytes are hashed as they arrive.
const TRACKS: &str = "SELECT t.id, t.isrc, r.label_id, t.title, a.name FROM tracks t \
    JOIN releases r ON r.id = t.release_id JOIN artists a ON a.id = r.artist_id";

impl Matcher {
    /// Reads the catalog in one snapshot, so that what the loader notices holds for
    /// the version it records.
    pub async fn load(pool: &PgPool) -> Result<Self> {
        let mut tx = pool.begin().await?;
        sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let version =
            sqlx::query_scalar!("SELECT version FROM catalog_version").fetch_one(&mut *tx).await?;
        let mut by_isrc = HashMap::new();
        copy_rows(&mut tx, TRACKS, 5, |f| {
            let matched =
                Matched { track: int8(f[0])?, label: int8(f[2])?, names: names(f[3], f[4]) };
            by_isrc.insert(String::from_utf8(f[1].to_vec())?, matched);
            Ok(())
        })
        .await
        .context("reading the catalog's tracks")?;
        let mut by_platform_id = HashMap::new();
        let mut rows = sqlx::query!(
            r#"
            SELECT p.platform, p.platform_track_id, p.track_id, r.label_id, t.title,
                   a.name AS artist
            FROM track_platform_ids p
            JOIN tracks t ON t.id = p.track_id
            JOIN releases r ON r.id = t.release_id
            JOIN artists a ON a.id = r.artist_id
            "#
        )
        .fetch(&mut *tx);
        while let Some(r) = rows.try_next().await? {
            let names = names(r.title.as_bytes(), r.artist.as_bytes());
            let matched = Matched { track: r.track_id, label: r.label_id, names };
            by_platform_id.insert((r.platform, r.platform_track_id), matched);
        }
        drop(rows);
        let labels = sqlx::query!("SELECT id, name FROM labels")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect();
        let distributor = sqlx::query_scalar!("SELECT distributor_name FROM settings")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Matcher { by_isrc, by_platform_id, labels, distributor, catalog_version: Some(version) })
    }

    pub fn track(&self, platform: Platform, fact: &Fact) -> Option<Matched> {
        fact.isrc.as_ref().and_then(|isrc| self.by_isrc.get(isrc.as_str()).copied()).or_else(|| {
            let id = fact.platform_track_id.as_ref()?;
            self.by_platform_id.get(&(platform.code().to_string(), id.clone())).copied()
        })
    }

    pub fn catalog_version(&self) -> Option<i64> {
        self.catalog_version
    }

    /// Whether `collector` may be a party other than ours. Only an exact match with the
    /// label's or the distributor's name is surely ours: detection compares them
    /// case-insensitively, in the database's collation, and decides the rest.
    fn foreign(&self, matched: Matched, collector: &str) -> bool {
        collector != self.distributor
            && self.labels.get(&matched.label).is_none_or(|label| collector != label)
    }
}

/// A title and main artist (UTF-8 bytes), hashed to compare a line's with the
/// catalog's: equal names, equal hashes; different ones collide once in 2^64.
fn names(title: &[u8], artist: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    for name in [title, artist] {
        hasher.write(name);
        hasher.write_u8(0xff);
    }
    hasher.finish()
}

/// The tracks whose lines detection must look at after this file
/// (`conflicts::detect::of_files`): those with another party collecting, and those
/// named otherwise than in the catalog. A superset is harmless (detection decides),
/// a track left out is a conflict missed: only exact equality leaves a track out.
#[derive(Default)]
pub struct Noticed {
    pub collectors: HashSet<i64>,
    pub renamed: HashSet<i64>,
    pub catalog_version: Option<i64>,
}

impl Noticed {
    pub fn add(&mut self, matcher: &Matcher, matched: Matched, fact: &Fact) {
        if fact.collector.as_deref().is_some_and(|c| matcher.foreign(matched, c)) {
            self.collectors.insert(matched.track);
        }
        if names(fact.title.as_bytes(), fact.artist.as_bytes()) != matched.names {
            self.renamed.insert(matched.track);
        }
    }
}

/// Runs `query` as `COPY ... TO STDOUT (FORMAT binary)` and hands each row's `width`
/// fields to `row` as they arrive (documented in Postgres' COPY page, "Binary
/// Format"). NULLs are refused: the catalog's columns read here have none.
async fn copy_rows(
    conn: &mut PgConnection,
    query: &str,
    width: usize,
    mut row: impl FnMut(&[&[u8]]) -> Result<()>,
) -> Result<()> {
    // The statement is this module's constant, never input.
    let mut stream =
        conn.copy_out_raw(&format!("COPY ({query}) TO STDOUT (FORMAT binary)")).await?;
    let mut buffer: Vec<u8> = Vec::new();
    let mut header = true;
    let mut fields: Vec<Range<usize>> = Vec::with_capacity(width);
    let mut trailer = false;
    // Read to the stream's end even after the trailer: the connection is only ready
    // for its next statement once COPY has said it is done.
    while let Some(chunk) = stream.try_next().await? {
        if trailer {
            continue;
        }
        buffer.extend_from_slice(&chunk);
        let mut at = 0;
        if header {
            match header_length(&buffer)? {
                Some(length) => (at, header) = (length, false),
                None => continue,
            }
        }
        while let Some(length) = tuple(&buffer[at..], width, &mut fields)? {
            at += length;
            if length == 2 {
                trailer = true;
                break;
            }
            let values: Vec<&[u8]> = fields
                .iter()
                .map(|r| &buffer[at - length + r.start..at - length + r.end])
                .collect();
            row(&values)?;
        }
        buffer.drain(..at);
    }
    if !trailer {
        bail!("the catalog's COPY ended without its trailer");
    }
    Ok(())
}

/// The binary COPY header's length, once `buffer` holds all of it.
fn header_length(buffer: &[u8]) -> Result<Option<usize>> {
    const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
    if buffer.len() < 19 {
        return Ok(None);
    }
    if &buffer[..11] != SIGNATURE {
        bail!("not a binary COPY");
    }
    let extension = u32::from_be_bytes(buffer[15..19].try_into()?) as usize;
    Ok((buffer.len() >= 19 + extension).then_some(19 + extension))
}

/// The length of the tuple at the start of `buffer` (2 for the trailer), its fields'
/// ranges in `fields`; None until `buffer` holds all of it.
fn tuple(buffer: &[u8], width: usize, fields: &mut Vec<Range<usize>>) -> Result<Option<usize>> {
    let Some(count) = buffer.get(..2) else { return Ok(None) };
    let count = i16::from_be_bytes(count.try_into()?);
    if count == -1 {
        return Ok(Some(2));
    }
    if count as usize != width {
        bail!("a row of {count} fields, not {width}");
    }
    fields.clear();
    let mut at = 2;
    for _ in 0..width {
        let Some(length) = buffer.get(at..at + 4) else { return Ok(None) };
        let length = i32::from_be_bytes(length.try_into()?);
        if length < 0 {
            bail!("a NULL in the catalog");
        }
        let end = at + 4 + length as usize;
        if buffer.len() < end {
            return Ok(None);
        }
        fields.push(at + 4..end);
        at = end;
    }
    Ok(Some(at))
}

/// A binary `bigint`.
fn int8(value: &[u8]) -> Result<i64> {
    Ok(i64::from_be_bytes(value.try_into().context("a bigint of other than 8 bytes")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(bytes: &[u8]) -> Vec<u8> {
        [&(bytes.len() as i32).to_be_bytes()[..], bytes].concat()
    }

    #[test]
    fn a_tuple_is_read_once_whole_and_the_trailer_ends_the_rows() {
        let row = [&2i16.to_be_bytes()[..], &field(&7i64.to_be_bytes()), &field(b"Song")].concat();
        let mut fields = Vec::new();
        for cut in 0..row.len() {
            assert_eq!(tuple(&row[..cut], 2, &mut fields).unwrap(), None, "cut at {cut}");
        }
        assert_eq!(tuple(&row, 2, &mut fields).unwrap(), Some(row.len()));
        assert_eq!(int8(&row[fields[0].clone()]).unwrap(), 7);
        assert_eq!(&row[fields[1].clone()], b"Song");
        assert_eq!(tuple(&(-1i16).to_be_bytes(), 2, &mut fields).unwrap(), Some(2));
        assert!(tuple(&row, 3, &mut fields).is_err(), "a row of another width is refused");
    }

    #[test]
    fn names_differ_when_either_differs_or_the_split_moves() {
        assert_eq!(names(b"Song", b"Band"), names(b"Song", b"Band"));
        assert_ne!(names(b"Song", b"Band"), names(b"Song ", b"Band"));
        assert_ne!(names(b"Song", b"Band"), names(b"Son", b"gBand"));
        assert_ne!(names(b"Song", b"Band"), names(b"song", b"Band"));
    }
}
