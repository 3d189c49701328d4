//! Generated DDEX DSR flat files (Basic Audio Profile), as Spotify, Amazon Music,
//! Deezer and TIDAL send them: HEAD, one SY02 summary per territory, tier and
//! collecting party, a block per release (RE, its AS resources, their SU sales), FOOT.
//! Layout: docs/formats.md, "DDEX DSR".

use super::{Line, Report, Track};
use crate::ingest::Fact;
use app::domain::{Platform, UsageType};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

/// The sender's details in HEAD and its summaries.
struct Sender {
    name: &'static str,
    dpid: &'static str,
    channel: &'static str,
}

fn sender(platform: Platform) -> Sender {
    let (name, dpid, channel) = match platform {
        Platform::Spotify => ("Spotify AB", "PADPIDA2011021101M", "Spotify"),
        Platform::AmazonMusic => ("Amazon Digital Services LLC", "PADPIDA2009042902Z", "Amazon"),
        Platform::Deezer => ("Deezer SA", "PADPIDA2012082404D", "Deezer"),
        _ => ("TIDAL Music AS", "PADPIDA2015011203T", "TIDAL"),
    };
    Sender { name, dpid, channel }
}

fn service(platform: Platform, usage: UsageType) -> &'static str {
    match (platform, usage) {
        (Platform::Spotify, UsageType::Premium) => "Spotify Premium",
        (Platform::Spotify, _) => "Spotify Free",
        (Platform::AmazonMusic, UsageType::Premium) => "Amazon Music Unlimited",
        (Platform::AmazonMusic, UsageType::Download) => "Amazon Digital Music Store",
        (Platform::AmazonMusic, _) => "Amazon Music Free",
        (Platform::Deezer, UsageType::Premium) => "Deezer Premium",
        (Platform::Deezer, _) => "Deezer Free",
        _ => "TIDAL",
    }
}

fn commercial_model(usage: UsageType) -> (&'static str, &'static str) {
    match usage {
        UsageType::Premium => ("SubscriptionModel", "OnDemandStream"),
        UsageType::Download => ("PayAsYouGoModel", "PermanentDownload"),
        _ => ("AdvertisementSupportedModel", "OnDemandStream"),
    }
}

/// A summary record's identity: territory, tier and who collects.
type SummaryKey = (u8, u8, Option<&'static str>);

/// Counts what it writes, for FOOT and for each fact's line number.
struct Records<'w, W: Write> {
    out: &'w mut W,
    written: u64,
}

impl<W: Write> Records<'_, W> {
    fn record(&mut self, cells: &[&str]) -> io::Result<u64> {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b"\t")?;
            }
            // A tab or line end inside a value would split the record.
            self.out.write_all(cell.replace(['\t', '\n', '\r'], " ").as_bytes())?;
        }
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(self.written)
    }
}

pub(super) fn write(
    report: &Report,
    out: &mut impl Write,
    mut emit: impl FnMut(Fact),
) -> io::Result<()> {
    let mut records = Records { out, written: 0 };
    head(report, &mut records)?;
    let summaries = summaries(report, &mut records)?;
    let lines = report.lines();
    let mut blocks = 0u64;
    let mut start = 0;
    while start < lines.len() {
        let first = report.track(&lines[start]);
        let len = lines[start..]
            .iter()
            .take_while(|line| same_release(report.track(line), first))
            .count();
        blocks += 1;
        let block = Block { id: format!("B{blocks}"), summaries: &summaries };
        block.write(report, &lines[start..start + len], &mut records, &mut emit)?;
        start += len;
    }
    let lines_in_file = (records.written + 1).to_string();
    let (summaries, blocks) = (summaries.len().to_string(), blocks.to_string());
    records.record(&["FOOT", &lines_in_file, &lines_in_file, &summaries, &blocks, &blocks])?;
    Ok(())
}

fn head(report: &Report, records: &mut Records<impl Write>) -> io::Result<u64> {
    let month = report.spec.month;
    let sender = sender(report.spec.platform);
    let created = format!("{}T06:00:00Z", month.last_day() + chrono::Duration::days(5));
    let message_id = format!("{}-{month}-001", sender.channel.to_uppercase());
    records.record(&[
        "HEAD",
        "dsrf/1.1/1.4.1/1.3",
        "BasicAudioProfile",
        "1.3",
        &message_id,
        &created,
        "1",
        "1",
        &month.first_day().to_string(),
        &month.last_day().to_string(),
        sender.dpid,
        sender.name,
        service(report.spec.platform, UsageType::Premium),
        "PADPIDA2026000001B",
        "Backbeat Demo Distribution",
    ])
}

/// Writes a summary per territory, tier and collector with the revenue of its lines,
/// and returns each one's id.
fn summaries(
    report: &Report,
    records: &mut Records<impl Write>,
) -> io::Result<HashMap<SummaryKey, String>> {
    let mut usages: BTreeMap<SummaryKey, i64> = BTreeMap::new();
    for line in report.lines() {
        *usages.entry(summary_key(report, line)).or_default() += report.units(line);
    }
    let platform = report.spec.platform;
    let sender = sender(platform);
    let mut ids = HashMap::new();
    for (n, (key, usages)) in usages.into_iter().enumerate() {
        let id = format!("S{}", n + 1);
        let line = Line { market: key.0, tier: key.1, ..report.lines()[0] };
        let (market, tier) = (report.market(&line), report.tier(&line));
        let (model, use_type) = commercial_model(tier.usage);
        let currency = super::market::reporting_currency(platform, market);
        let revenue = report.rate(&line) * rust_decimal::Decimal::from(usages);
        records.record(&[
            "SY02.02",
            &id,
            sender.channel,
            sender.dpid,
            model,
            use_type,
            market.code,
            service(platform, tier.usage),
            &usages.to_string(),
            &(usages / 3 + 1).to_string(),
            currency.code(),
            &revenue.to_string(),
            key.2.unwrap_or(""),
        ])?;
        ids.insert(key, id);
    }
    Ok(ids)
}

fn summary_key(report: &Report, line: &Line) -> SummaryKey {
    (line.market, line.tier, report.collector(line))
}

fn same_release(a: &Track, b: &Track) -> bool {
    a.upc == b.upc && a.release == b.release
}

/// A release's records: RE, an AS per track with sales, then the SU sales lines.
struct Block<'s> {
    id: String,
    summaries: &'s HashMap<SummaryKey, String>,
}

impl Block<'_> {
    fn write(
        &self,
        report: &Report,
        lines: &[Line],
        records: &mut Records<impl Write>,
        emit: &mut impl FnMut(Fact),
    ) -> io::Result<()> {
        let platform = report.spec.platform;
        let first = report.track(&lines[0]);
        let release_ref = if first.upc.is_some() { "R1" } else { "" };
        if let Some(upc) = &first.upc {
            let dsp_release = format!("{}:album:{}", platform.code(), upc.gtin13());
            records.record(&[
                "RE01.02",
                &self.id,
                release_ref,
                &dsp_release,
                "",
                "",
                upc.gtin13(),
                &first.artist,
                "",
                &first.release,
                "",
                "Album",
                &first.label,
            ])?;
        }
        let mut tracks: Vec<u32> = lines.iter().map(|l| l.track).collect();
        tracks.dedup();
        let resource_ref = |track: u32| {
            format!("A{}", tracks.iter().position(|&t| t == track).expect("listed") + 1)
        };
        for &index in &tracks {
            let track = &report.tracks[index as usize];
            records.record(&[
                "AS02.03",
                &self.id,
                &resource_ref(index),
                &super::platform_track_id(platform, &track.isrc),
                track.isrc.as_str(),
                &report.title(index),
                "",
                &track.artist,
                "",
                "PT3M30S",
                "SoundRecording",
            ])?;
        }
        for line in lines {
            let units = report.units(line);
            let summary = &self.summaries[&summary_key(report, line)];
            let transaction = format!("T{}", records.written + 1);
            let resource = resource_ref(line.track);
            let count = units.to_string();
            // SU01 (downloads) and SU02 (streams) share their first cells.
            let download = report.tier(line).usage == UsageType::Download;
            let mut cells = vec![
                if download { "SU01.02" } else { "SU02.02" },
                &self.id,
                summary,
                &transaction,
                release_ref,
                &resource,
                "TRUE",
            ];
            if download {
                cells.extend(["1.29", &count, "0"]);
            } else {
                cells.push(&count);
            }
            let written = records.record(&cells)?;
            let month = report.spec.month;
            emit(report.fact(line, written, (month.first_day(), month.last_day())));
        }
        Ok(())
    }
}
