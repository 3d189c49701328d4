//! `backbeat generate`: writes generated reports for the catalog in the database.

use super::{Report, Spec, Track, unknown_tracks};
use anyhow::{Context, Result, bail};
use app::domain::{Isrc, Month, Platform, Upc};
use flate2::{Compression, write::GzEncoder};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Platforms, comma-separated (spotify, apple_music, amazon_music, youtube, deezer,
    /// tidal), or `all`.
    #[arg(long, value_parser = parse_platforms)]
    pub platform: PlatformList,
    /// The month to report, YYYY-MM.
    #[arg(long)]
    pub month: Month,
    /// Also every month after --month up to this one.
    #[arg(long)]
    pub through: Option<Month>,
    /// Lines per report.
    #[arg(long, default_value_t = 2000)]
    pub rows: usize,
    /// The folder to write to (made if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Another seed makes other, equally realistic reports.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Clone)]
pub struct PlatformList(pub Vec<Platform>);

fn parse_platforms(value: &str) -> Result<PlatformList, String> {
    if value == "all" {
        return Ok(PlatformList(Platform::ALL.to_vec()));
    }
    value
        .split(',')
        .map(|p| p.trim().parse::<Platform>().map_err(|e| e.0))
        .collect::<Result<_, _>>()
        .map(PlatformList)
}

pub async fn run(pool: &PgPool, args: Args) -> Result<()> {
    let tracks = catalog(pool).await?;
    if tracks.len() == unknown_tracks().len() {
        eprintln!(
            "note: the catalog is empty, so every line names an unknown track (see `backbeat demo`)"
        );
    }
    let months = months(args.month, args.through)?;
    let total = (months.len() * args.platform.0.len() * args.rows) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} lines  {msg}")
            .expect("a valid template"),
    );
    for &month in &months {
        for &platform in &args.platform.0 {
            let spec = Spec { platform, month, rows: args.rows, seed: args.seed };
            let report = Report::plan(spec, &tracks);
            bar.set_message(report.file_name());
            let path = write_file(&report, &args.out, || bar.inc(1))?;
            bar.println(path.display().to_string());
        }
    }
    bar.finish_and_clear();
    Ok(())
}

/// Every month from `first` through `last` (or just `first`).
pub fn months(first: Month, last: Option<Month>) -> Result<Vec<Month>> {
    let last = last.unwrap_or(first);
    if last < first {
        bail!("--through {last} is before --month {first}");
    }
    let mut months = vec![first];
    while *months.last().expect("not empty") < last {
        months.push(months.last().expect("not empty").next());
    }
    Ok(months)
}

/// Writes a report into `dir` under its own name, gzipped if the name says so. The
/// file appears whole or not at all (written aside, then renamed), so a drop-folder scan
/// never picks up half a file.
pub fn write_file(report: &Report, dir: &Path, mut on_line: impl FnMut()) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("making {}", dir.display()))?;
    let name = report.file_name();
    let path = dir.join(&name);
    let partial = dir.join(format!(".{name}.partial"));
    let file = File::create(&partial).with_context(|| format!("writing {}", partial.display()))?;
    let written = if name.ends_with(".gz") {
        let mut gz = GzEncoder::new(file, Compression::default());
        report.write(&mut gz, |_| on_line()).and_then(|()| gz.finish().map(drop))
    } else {
        report.write(file, |_| on_line())
    };
    written.with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The catalog's tracks (release by release) and the unknown tracks reports carry.
pub async fn catalog(pool: &PgPool) -> Result<Vec<Track>> {
    let rows = sqlx::query!(
        r#"
        SELECT t.isrc, t.title, r.upc, r.title AS release,
               r.release_date AS "release_date: chrono::NaiveDate",
               a.name AS artist, l.name AS label
        FROM tracks t
        JOIN releases r ON r.id = t.release_id
        JOIN artists a ON a.id = r.artist_id
        JOIN labels l ON l.id = r.label_id
        ORDER BY r.id, t.track_number
        "#
    )
    .fetch_all(pool)
    .await?;
    let mut tracks = rows
        .into_iter()
        .map(|r| {
            Ok(Track {
                isrc: Isrc::parse(&r.isrc)?,
                upc: Some(Upc::parse(&r.upc)?),
                release: r.release,
                title: r.title,
                artist: r.artist,
                label: r.label,
                released: r.release_date,
            })
        })
        .collect::<Result<Vec<_>, app::domain::ParseError>>()
        .map_err(|e| anyhow::anyhow!("the catalog holds a bad code: {}", e.0))?;
    tracks.extend(unknown_tracks());
    Ok(tracks)
}
