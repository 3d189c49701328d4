//! Generated YouTube music revenue reports (Reporting API CSV): a row per day, video,
//! asset and adjustment type. Art tracks and the partner's own uploads are
//! ad-supported; Content ID claims on users' videos are UGC. A few rows have no ISRC
//! (YouTube leaves it empty when the asset has none on file) and match by asset id.
//! Layout: docs/formats.md, "YouTube".

use super::{Kind, Line, Report};
use crate::ingest::Fact;
use app::domain::UsageType;
use chrono::NaiveDate;
use std::io::{self, Write};

const HEADER: [&str; 20] = [
    "adjustment_type",
    "country",
    "day",
    "video_id",
    "video_channel_id",
    "asset_id",
    "asset_channel_id",
    "custom_id",
    "album",
    "artist",
    "asset_labels",
    "asset_title",
    "asset_type",
    "claim_type",
    "content_type",
    "grid",
    "isrc",
    "label",
    "monetized_views",
    "partner_revenue",
];

pub(super) fn write(
    report: &Report,
    out: &mut impl Write,
    mut emit: impl FnMut(Fact),
) -> io::Result<()> {
    let mut csv = csv::WriterBuilder::new().from_writer(out);
    csv.write_record(HEADER)?;
    for (index, line) in report.lines().iter().enumerate() {
        let fact = fact(report, line, index as u64 + 2);
        csv.write_record(row(report, line, &fact))?;
        emit(fact);
    }
    csv.flush()
}

fn fact(report: &Report, line: &Line, number: u64) -> Fact {
    let month = report.spec.month;
    let day = NaiveDate::from_ymd_opt(month.year(), month.month(), u32::from(line.day))
        .expect("planned days are in their month");
    let mut fact = report.fact(line, number, (day, day));
    if without_isrc(line) {
        fact.isrc = None;
    }
    fact.upc = None;
    fact
}

/// About one row in twelve has no ISRC.
fn without_isrc(line: &Line) -> bool {
    (line.track + u32::from(line.day)).is_multiple_of(12)
}

fn row(report: &Report, line: &Line, fact: &Fact) -> Vec<String> {
    let track = report.track(line);
    let ugc = fact.usage == UsageType::Ugc;
    let adjustment = match line.kind {
        Kind::Correction => "Revenue Correction",
        Kind::Backpay => "Backpay",
        _ => "None",
    };
    let asset = fact.platform_track_id.clone().unwrap_or_default();
    let video = if ugc {
        // Users' videos: one per track and market, none of them ours.
        format!(
            "u{}",
            &super::base62(super::hash(format!("{asset}/{}", line.market).as_bytes()), 10)
        )
    } else {
        format!("a{}", &super::base62(super::hash(asset.as_bytes()), 10))
    };
    let channel = if ugc { format!("UCuser{:016}", line.market) } else { "UCbackbeatdemo".into() };
    [
        adjustment,
        fact.territory.as_str(),
        &fact.period_start.format("%Y%m%d").to_string(),
        &video,
        &channel,
        &asset,
        "UCbackbeatdemo",
        track.isrc.as_str(),
        &track.release,
        &track.artist,
        "",
        &fact.title,
        if ugc { "SOUND_RECORDING" } else { "ART_TRACK" },
        if ugc { "AUDIO_VISUAL" } else { "AUDIO" },
        if ugc { "UGC" } else { "Partner-provided" },
        "",
        fact.isrc.as_ref().map(|i| i.as_str()).unwrap_or(""),
        &track.label,
        &fact.units.to_string(),
        &fact.gross.to_string(),
    ]
    .map(str::to_string)
    .to_vec()
}
