//! DDEX DSR flat files, Basic Audio Profile (docs/formats.md, "DDEX DSR").
//!
//! Tab-separated records: HEAD, summary records (SYxx) carrying revenue per
//! commercial model, use type and territory, blocks of release (RE), resource (AS) and
//! sales (SU) records carrying usages, and FOOT with counts. Revenue is on the
//! summaries, so a track's gross is its summary's revenue shared by usages: each line
//! gets `revenue × usages / total`, rounded to [`SCALE`] places, and the line with the
//! most usages gets the remainder, so the lines sum exactly to the summary.
//!
//! Two streaming passes: the first checks every line and totals usages per summary,
//! the second emits facts. Memory holds the summaries and the current block only.

use super::{ErrorLog, Fact, LineError, ReportMeta};
use app::domain::{Currency, Isrc, Platform, Territory, Upc, UsageType};
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead};

pub const FORMAT: &str = "dsr";

/// Decimal places of a line's share of its summary's revenue.
pub const SCALE: u32 = 10;

/// True when `first_line` (BOM and comments aside) starts a DSR file.
pub fn recognises(first_line: &str) -> bool {
    first_line.trim_start_matches('\u{feff}').starts_with("HEAD\t")
}

/// Parses the file that `open` opens (twice), passing each fact to `emit` with what
/// the file says about itself (known before the first fact).
pub fn parse<R: BufRead>(
    open: impl Fn() -> io::Result<R>,
    mut emit: impl FnMut(&ReportMeta, Fact),
) -> Result<ReportMeta, ErrorLog> {
    let mut plan = Plan::default();
    let mut errors = ErrorLog::default();
    walk(open().map_err(ErrorLog::unreadable)?, &mut errors, |event| plan.take(event));
    // Line errors first, in file order; then what only the whole file shows.
    errors.absorb(std::mem::take(&mut plan.errors));
    plan.errors = errors;
    let meta = plan.finish()?;

    let mut errors = ErrorLog::default();
    let mut allocation = Allocation::default();
    walk(open().map_err(ErrorLog::unreadable)?, &mut errors, |event| {
        if let Event::Sale(sale) = event
            && let Some(fact) = allocation.share(&plan, sale, &meta)
        {
            emit(&meta, fact);
        }
    });
    for fact in allocation.remainders(&plan, &meta) {
        emit(&meta, fact);
    }
    if errors.is_empty() { Ok(meta) } else { Err(errors) }
}

struct Head {
    platform: Platform,
    sender: String,
    start: NaiveDate,
    end: NaiveDate,
}

struct Summary {
    territory: Territory,
    currency: Currency,
    revenue: Decimal,
    usage: UsageType,
    collector: Option<String>,
}

#[derive(Clone, Default)]
struct Resource {
    dsp_id: String,
    isrc: Option<Isrc>,
    title: String,
    artist: String,
}

/// One sales line with what its block says about the recording.
struct Sale {
    line: u64,
    summary_id: String,
    usages: i64,
    resource: Resource,
    upc: Option<Upc>,
}

struct Foot {
    line: u64,
    lines_in_file: u64,
    summary_records: u64,
    blocks_in_file: u64,
}

enum Event {
    Head(u64, Head),
    Summary(u64, String, Summary),
    /// A summary record with errors of its own (already reported), by id.
    BrokenSummary(String),
    Sale(Sale),
    Foot(Foot),
    /// The walk is over: how many lines it saw, with and without `#` comment lines.
    End {
        lines: u64,
        comment_lines: u64,
        blocks: u64,
    },
}

/// One summary's sales lines, totalled in pass one: their usages, and which line has
/// the most (it takes the remainder).
#[derive(Default)]
struct Share {
    usages: i64,
    largest: Option<(u64, i64)>,
}

#[derive(Default)]
struct Plan {
    head: Option<Head>,
    summaries: HashMap<String, Summary>,
    /// Summaries that did not parse: their sales lines are not errors twice over.
    broken: HashSet<String>,
    shares: HashMap<String, Share>,
    foot: Option<Foot>,
    counts: (u64, u64, u64),
    summary_count: u64,
    errors: ErrorLog,
}

impl Plan {
    fn take(&mut self, event: Event) {
        match event {
            Event::Head(line, head) => {
                if self.head.is_some() {
                    self.errors.push(LineError::new(
                        line,
                        "RecordType",
                        "HEAD",
                        "a second HEAD record",
                    ));
                }
                self.head = Some(head);
            }
            Event::Summary(line, id, summary) => {
                self.summary_count += 1;
                if self.summaries.insert(id.clone(), summary).is_some() {
                    self.errors.push(LineError::new(
                        line,
                        "SummaryRecordId",
                        &id,
                        "used by two summary records",
                    ));
                }
            }
            Event::BrokenSummary(id) => {
                self.broken.insert(id);
            }
            Event::Sale(sale) => self.count_sale(sale),
            Event::Foot(foot) => self.foot = Some(foot),
            Event::End { lines, comment_lines, blocks } => {
                self.counts = (lines, comment_lines, blocks)
            }
        }
    }

    fn count_sale(&mut self, sale: Sale) {
        if self.broken.contains(&sale.summary_id) {
            return; // Its summary's own error says what is wrong.
        }
        if !self.summaries.contains_key(&sale.summary_id) {
            self.errors.push(LineError::new(
                sale.line,
                "SummaryRecordId",
                &sale.summary_id,
                "no summary record (SYxx) before this line has this id",
            ));
            return;
        };
        let share = self.shares.entry(sale.summary_id.clone()).or_default();
        share.usages += sale.usages;
        if share.largest.is_none_or(|(_, most)| sale.usages.abs() > most.abs()) {
            share.largest = Some((sale.line, sale.usages));
        }
    }

    /// Checks what can only be checked at the end, and works out each summary's rounding.
    fn finish(&mut self) -> Result<ReportMeta, ErrorLog> {
        let mut warnings = Vec::new();
        if self.head.is_none() {
            self.errors.push(LineError::new(1, "RecordType", "", "the file has no HEAD record"));
        }
        self.reconcile_foot(&mut warnings);
        self.check_summaries_have_usages();
        if !self.errors.is_empty() {
            return Err(std::mem::take(&mut self.errors));
        }
        let head = self.head.as_ref().expect("checked above");
        Ok(ReportMeta {
            format: FORMAT,
            platform: head.platform,
            sender: head.sender.clone(),
            period_start: head.start,
            period_end: head.end,
            warnings,
        })
    }

    fn reconcile_foot(&mut self, warnings: &mut Vec<String>) {
        let (lines, comment_lines, blocks) = self.counts;
        let Some(foot) = &self.foot else {
            self.errors.push(LineError::new(
                lines,
                "RecordType",
                "",
                "the file has no FOOT record: it may be truncated",
            ));
            return;
        };
        let without_comments = lines - comment_lines;
        if foot.lines_in_file == without_comments && foot.lines_in_file == lines {
            // Unambiguous.
        } else if foot.lines_in_file == without_comments || foot.lines_in_file == lines {
            let reading = if foot.lines_in_file == lines { "counting" } else { "not counting" };
            warnings.push(format!(
                "FOOT says {} lines, which matches only when {reading} the {comment_lines} '#' comment lines; \
                 the standard does not say which, so the file was accepted",
                foot.lines_in_file
            ));
        } else {
            self.errors.push(LineError::new(
                foot.line,
                "NumberOfLinesInFile",
                &foot.lines_in_file.to_string(),
                format!("the file has {without_comments} records ({lines} lines with comments)"),
            ));
        }
        if foot.summary_records != self.summary_count {
            self.errors.push(LineError::new(
                foot.line,
                "NumberOfSummaryRecords",
                &foot.summary_records.to_string(),
                format!("the file has {} summary records", self.summary_count),
            ));
        }
        if foot.blocks_in_file != blocks {
            self.errors.push(LineError::new(
                foot.line,
                "NumberOfBlocksInFile",
                &foot.blocks_in_file.to_string(),
                format!("the file has {blocks} blocks"),
            ));
        }
    }

    /// Revenue with no usages to share it by would vanish: refuse it.
    fn check_summaries_have_usages(&mut self) {
        for (id, summary) in &self.summaries {
            let share = self.shares.entry(id.clone()).or_default();
            if share.usages == 0 && !summary.revenue.is_zero() {
                self.errors.push(LineError::new(
                    0,
                    "NetRevenue",
                    &summary.revenue.to_string(),
                    format!(
                        "summary {id} has revenue but its sales lines have no usages to share it by"
                    ),
                ));
            }
        }
    }
}

/// Pass two: each line's share of its summary's revenue. The line with the most usages
/// is held back until every other line of its summary has been given its rounded
/// share, then takes what is left, so each summary's lines sum to it exactly.
#[derive(Default)]
struct Allocation {
    given: HashMap<String, Decimal>,
    held: Vec<Sale>,
}

impl Allocation {
    fn share(&mut self, plan: &Plan, sale: Sale, meta: &ReportMeta) -> Option<Fact> {
        let share = &plan.shares[&sale.summary_id];
        if share.largest.map(|(line, _)| line) == Some(sale.line) {
            self.held.push(sale);
            return None;
        }
        let summary = &plan.summaries[&sale.summary_id];
        let gross = rounded_share(summary.revenue, sale.usages, share.usages);
        *self.given.entry(sale.summary_id.clone()).or_default() += gross;
        Some(fact(summary, sale, gross, meta))
    }

    fn remainders(self, plan: &Plan, meta: &ReportMeta) -> Vec<Fact> {
        let given = self.given;
        self.held
            .into_iter()
            .map(|sale| {
                let summary = &plan.summaries[&sale.summary_id];
                let gross =
                    summary.revenue - given.get(&sale.summary_id).copied().unwrap_or_default();
                fact(summary, sale, gross, meta)
            })
            .collect()
    }
}

fn fact(summary: &Summary, sale: Sale, mut gross: Decimal, meta: &ReportMeta) -> Fact {
    // Every share is written with the same SCALE places, whatever the summary had.
    gross.rescale(SCALE);
    Fact {
        line: sale.line,
        period_start: meta.period_start,
        period_end: meta.period_end,
        territory: summary.territory,
        usage: summary.usage,
        isrc: sale.resource.isrc,
        upc: sale.upc,
        platform_track_id: Some(sale.resource.dsp_id).filter(|id| !id.is_empty()),
        title: sale.resource.title,
        artist: sale.resource.artist,
        units: sale.usages,
        gross,
        currency: summary.currency,
        collector: summary.collector.clone(),
    }
}

fn rounded_share(revenue: Decimal, usages: i64, total: i64) -> Decimal {
    if total == 0 {
        return Decimal::ZERO;
    }
    (revenue * Decimal::from(usages) / Decimal::from(total))
        .round_dp_with_strategy(SCALE, RoundingStrategy::MidpointNearestEven)
}

/// Reads records, keeping the current block, and reports each as an event.
fn walk<R: BufRead>(reader: R, errors: &mut ErrorLog, mut on: impl FnMut(Event)) {
    let mut block = Block::default();
    let mut blocks = 0u64;
    let (mut lines, mut comment_lines) = (0u64, 0u64);
    for item in super::text_lines(reader) {
        let (line, text) = match item {
            Ok(item) => item,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let text = text.as_str();
        lines += 1;
        if text.starts_with('#') {
            comment_lines += 1;
            continue;
        }
        let cells = cells(text);
        let kind = record_kind(cells[0]);
        let record = Record { line, cells: &cells, errors: &mut *errors };
        match kind {
            "HEAD" => {
                if let Some(head) = record.head() {
                    on(Event::Head(line, head));
                }
            }
            "SY" => {
                let id = record.text(1).to_string();
                match record.summary() {
                    Some((id, summary)) => on(Event::Summary(line, id, summary)),
                    None => on(Event::BrokenSummary(id)),
                }
            }
            "RE" | "AS" => {
                let id = record.text(1).to_string();
                if id != block.id {
                    block = Block { id, ..Block::default() };
                    blocks += 1;
                }
                record.describe(kind, &mut block);
            }
            "SU" => {
                if let Some(sale) = record.sale(&mut block, &mut blocks) {
                    on(Event::Sale(sale));
                }
            }
            "FOOT" => {
                if let Some(foot) = record.foot() {
                    on(Event::Foot(foot));
                }
            }
            _ => errors.push(LineError::new(
                line,
                "RecordType",
                cells[0],
                "not a record type of the Basic Audio Profile",
            )),
        }
    }
    on(Event::End { lines, comment_lines, blocks });
}

/// Cells of a line, without the empty cells some senders pad rows with.
fn cells(text: &str) -> Vec<&str> {
    let mut cells: Vec<&str> = text.split('\t').collect();
    while cells.len() > 1 && cells.last().is_some_and(|c| c.is_empty()) {
        cells.pop();
    }
    cells
}

/// `SY02.02` -> `SY`; `HEAD` and `FOOT` as they are.
fn record_kind(cell: &str) -> &str {
    let versioned = cell.len() == 7
        && cell.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
        && cell.as_bytes()[2..4].iter().all(u8::is_ascii_digit)
        && cell.as_bytes()[4] == b'.';
    if versioned { &cell[..2] } else { cell }
}

#[derive(Default)]
struct Block {
    id: String,
    resources: HashMap<String, Resource>,
    releases: HashMap<String, Option<Upc>>,
}

struct Record<'a, 'e> {
    line: u64,
    cells: &'a [&'a str],
    errors: &'e mut ErrorLog,
}

impl Record<'_, '_> {
    /// The cell at `index`, trimmed; empty when the row is shorter.
    fn text(&self, index: usize) -> &str {
        self.cells.get(index).copied().unwrap_or("").trim()
    }

    fn fail(&mut self, column: &str, value: &str, reason: impl Into<String>) {
        self.errors.push(LineError::new(self.line, column, value, reason));
    }

    /// A required cell: missing or empty is an error.
    fn required(&mut self, index: usize, column: &str) -> Option<String> {
        let value = self.text(index).to_string();
        if value.is_empty() {
            self.fail(column, "", format!("{column} is required (cell {})", index + 1));
            None
        } else {
            Some(value)
        }
    }

    fn parsed<T>(
        &mut self,
        index: usize,
        column: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.required(index, column)?;
        match parse(&value) {
            Ok(parsed) => Some(parsed),
            Err(reason) => {
                self.fail(column, &value, reason);
                None
            }
        }
    }

    /// An optional value: empty is `None`, and so is a bad one, which is also an error.
    fn optional<T>(
        &mut self,
        column: &str,
        value: &str,
        parse: impl Fn(&str) -> Result<T, app::domain::ParseError>,
    ) -> Option<T> {
        if value.is_empty() {
            return None;
        }
        parse(value).map_err(|e| self.fail(column, value, e.0)).ok()
    }

    fn head(mut self) -> Option<Head> {
        let start = self.parsed(8, "UsageStartDate", |v| dsr_date(v, false));
        let end = self.parsed(9, "UsageEndDate", |v| dsr_date(v, true));
        let sender = self.required(11, "SenderName")?;
        let platform = match Platform::from_sender_name(&sender) {
            Some(p) => p,
            None => {
                let known: Vec<&str> = Platform::ALL.iter().map(|p| p.name()).collect();
                self.fail(
                    "SenderName",
                    &sender,
                    format!("not a platform Backbeat knows ({})", known.join(", ")),
                );
                return None;
            }
        };
        let (start, end) = (start?, end?);
        if end < start {
            self.fail("UsageEndDate", &end.to_string(), format!("before the start date {start}"));
            return None;
        }
        Some(Head { platform, sender, start, end })
    }

    /// SY01 and SY02 share the cells read here: 1 id, 4 commercial model, 5 use type,
    /// 6 territory, 10 currency, 11 net revenue; SY02 adds 12 RightsController.
    fn summary(mut self) -> Option<(String, Summary)> {
        let id = self.required(1, "SummaryRecordId");
        let usage = self.usage_type();
        let territory = self.parsed(6, "Territory", |v| Territory::parse(v).map_err(|e| e.0));
        let currency =
            self.parsed(10, "CurrencyOfReporting", |v| Currency::parse(v).map_err(|e| e.0));
        let revenue = self.parsed(11, "NetRevenue", decimal);
        let collector = (self.cells[0].starts_with("SY02"))
            .then(|| self.text(12).to_string())
            .filter(|c| !c.is_empty());
        Some((
            id?,
            Summary {
                territory: territory?,
                currency: currency?,
                revenue: revenue?,
                usage: usage?,
                collector,
            },
        ))
    }

    fn usage_type(&mut self) -> Option<UsageType> {
        let model = self.text(4).to_string();
        let use_type = self.text(5).to_string();
        let usage = match (model.as_str(), use_type.as_str()) {
            (_, "PermanentDownload" | "ConditionalDownload") | ("PayAsYouGoModel", _) => {
                UsageType::Download
            }
            (_, "ContentInfluencedStream" | "UserMadeClip") => UsageType::Ugc,
            ("SubscriptionModel", _) => UsageType::Premium,
            ("AdvertisementSupportedModel" | "FreeOfChargeModel", _) => UsageType::AdSupported,
            _ => {
                self.fail(
                    "CommercialModel",
                    &model,
                    "expected SubscriptionModel, AdvertisementSupportedModel, FreeOfChargeModel or PayAsYouGoModel",
                );
                return None;
            }
        };
        Some(usage)
    }

    /// RE: 2 ReleaseReference, 6 ICPN (UPC/EAN). AS: 2 ResourceReference, 3 DspResourceId,
    /// 4 ISRC (several joined by `|`: the first counts), 5 Title, 7 DisplayArtistName.
    fn describe(mut self, kind: &str, block: &mut Block) {
        let Some(reference) =
            self.required(2, if kind == "RE" { "ReleaseReference" } else { "ResourceReference" })
        else {
            return;
        };
        if kind == "RE" {
            let icpn = self.text(6).to_string();
            let upc = self.optional("ICPN", &icpn, Upc::parse);
            block.releases.insert(reference, upc);
            return;
        }
        let raw_isrc = first_of_many(self.text(4)).to_string();
        let isrc = self.optional("ISRC", &raw_isrc, Isrc::parse);
        let resource = Resource {
            dsp_id: self.text(3).to_string(),
            isrc,
            title: self.text(5).to_string(),
            artist: self.text(7).to_string(),
        };
        block.resources.insert(reference, resource);
    }

    /// SU01 (downloads): 8 Usages, 9 Returns. SU02 (streams): 7 NumberOfStreams.
    /// Both: 1 BlockId, 2 SummaryRecordId, 4 TransactedRelease, 5 TransactedResource.
    fn sale(mut self, block: &mut Block, blocks: &mut u64) -> Option<Sale> {
        let block_id = self.required(1, "BlockId")?;
        if block_id != block.id {
            // A block may be sales lines alone.
            *block = Block { id: block_id, ..Block::default() };
            *blocks += 1;
        }
        let summary_id = self.required(2, "SummaryRecordId");
        let usages = if self.cells[0].starts_with("SU01") {
            let sold = self.parsed(8, "Usages", count);
            let returned =
                if self.text(9).is_empty() { Some(0) } else { self.parsed(9, "Returns", count) };
            Some(sold? - returned?)
        } else {
            self.parsed(7, "NumberOfStreams", count)
        };
        let release_ref = self.text(4).to_string();
        let resource_ref = self.text(5).to_string();
        let resource = if resource_ref.is_empty() {
            None
        } else {
            match block.resources.get(&resource_ref) {
                Some(r) => Some(r.clone()),
                None => {
                    self.fail(
                        "TransactedResource",
                        &resource_ref,
                        "no AS record in this block has this ResourceReference",
                    );
                    return None;
                }
            }
        };
        let upc = block.releases.get(&release_ref).cloned().flatten();
        if resource.is_none() && upc.is_none() {
            self.fail(
                "TransactedResource",
                "",
                "the line names neither a resource nor a release of its block",
            );
            return None;
        }
        Some(Sale {
            line: self.line,
            summary_id: summary_id?,
            usages: usages?,
            resource: resource.unwrap_or_default(),
            upc,
        })
    }

    /// FOOT: 1 NumberOfLinesInFile, 3 NumberOfSummaryRecords, 4 NumberOfBlocksInFile.
    fn foot(mut self) -> Option<Foot> {
        let lines_in_file = self.parsed(1, "NumberOfLinesInFile", count);
        let summary_records = self.parsed(3, "NumberOfSummaryRecords", count);
        let blocks_in_file = self.parsed(4, "NumberOfBlocksInFile", count);
        Some(Foot {
            line: self.line,
            lines_in_file: u64::try_from(lines_in_file?).ok()?,
            summary_records: u64::try_from(summary_records?).ok()?,
            blocks_in_file: u64::try_from(blocks_in_file?).ok()?,
        })
    }
}

/// The first of several values joined by `|` (a `\|` is a literal bar).
fn first_of_many(cell: &str) -> &str {
    let bytes = cell.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\') {
            return &cell[..i];
        }
    }
    cell
}

fn count(value: &str) -> Result<i64, String> {
    value.parse::<i64>().map_err(|_| "expected a whole number".to_string())
}

/// Money as DSR writes it: a plain decimal with a dot, any number of places.
pub fn decimal(value: &str) -> Result<Decimal, String> {
    let plain = value.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    match value.parse::<Decimal>() {
        Ok(d) if plain => Ok(d),
        _ => Err("expected a decimal number such as 5000.00".to_string()),
    }
}

/// `YYYY-MM-DD`, `YYYYMMDD`, `YYYY-MM` or `YYYY`: a month or year stands for its first
/// day at the start of a period and its last day at the end.
fn dsr_date(value: &str, end_of_period: bool) -> Result<NaiveDate, String> {
    let bad = || "expected a date as YYYY-MM-DD, YYYYMMDD, YYYY-MM or YYYY".to_string();
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(d);
    }
    if value.len() == 8 {
        return NaiveDate::parse_from_str(value, "%Y%m%d").map_err(|_| bad());
    }
    let month: app::domain::Month = match value.len() {
        7 => value.parse().map_err(|_| bad())?,
        4 => {
            let year: i32 = value.parse().map_err(|_| bad())?;
            let month = if end_of_period { 12 } else { 1 };
            app::domain::Month::new(year, month).map_err(|_| bad())?
        }
        _ => return Err(bad()),
    };
    Ok(if end_of_period { month.last_day() } else { month.first_day() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const SAMPLE: &str = include_str!("../../tests/data/dsr/spotify_2026-03.tsv");

    fn run(text: &str) -> Result<(ReportMeta, Vec<Fact>), ErrorLog> {
        let mut facts = Vec::new();
        let meta = parse(|| Ok(Cursor::new(text.as_bytes().to_vec())), |_, f| facts.push(f))?;
        facts.sort_by_key(|f| f.line);
        Ok((meta, facts))
    }

    fn errors(text: &str) -> Vec<LineError> {
        run(text).expect_err("the file should be refused").kept().to_vec()
    }

    #[test]
    fn the_sample_loads_to_known_totals() {
        let (meta, facts) = run(SAMPLE).unwrap();
        assert_eq!(meta.platform, Platform::Spotify);
        assert_eq!(meta.sender, "Spotify AB");
        assert_eq!(meta.period_end.to_string(), "2026-03-31");
        assert_eq!(facts.len(), 5);
        let lines: Vec<u64> = facts.iter().map(|f| f.line).collect();
        assert_eq!(lines, [8, 9, 10, 12, 14]);
        let first = &facts[0];
        assert_eq!(first.isrc.as_ref().unwrap().as_str(), "USNLR1900001");
        assert_eq!(first.upc.as_ref().unwrap().to_string(), "198410000014");
        assert_eq!(first.platform_track_id.as_deref(), Some("4uLU6hMCjMI75M1A2tKUQC"));
        assert_eq!((first.units, first.gross.to_string()), (2000, "8.0000000000".to_string()));
        assert_eq!(first.usage, UsageType::Premium);
        assert_eq!(
            facts[1].isrc.as_ref().unwrap().as_str(),
            "USNLR1900002",
            "first of several ISRCs"
        );
        assert_eq!(facts[1].gross.to_string(), "4.0000000000");
        // Three single streams share 1.00 GBP: the first (largest, by line) takes the remainder.
        let gbp: Vec<String> = facts[2..].iter().map(|f| f.gross.to_string()).collect();
        assert_eq!(gbp, ["0.3333333334", "0.3333333333", "0.3333333333"]);
        assert!(
            facts[2..]
                .iter()
                .all(|f| f.currency.code() == "GBP" && f.usage == UsageType::AdSupported)
        );
    }

    #[test]
    fn lines_sum_exactly_to_their_summaries() {
        let (_, facts) = run(SAMPLE).unwrap();
        let usd: Decimal =
            facts.iter().filter(|f| f.currency.code() == "USD").map(|f| f.gross).sum();
        let gbp: Decimal =
            facts.iter().filter(|f| f.currency.code() == "GBP").map(|f| f.gross).sum();
        assert_eq!((usd, gbp), (Decimal::new(1200, 2), Decimal::new(100, 2)));
    }

    #[test]
    fn a_footer_that_counts_comment_lines_either_way_is_a_warning() {
        let (meta, _) = run(SAMPLE).unwrap();
        assert_eq!(meta.warnings.len(), 1, "{:?}", meta.warnings);
        assert!(meta.warnings[0].contains("not counting the 1 '#' comment lines"));
        let counted = SAMPLE.replace("FOOT\t14\t14", "FOOT\t15\t15");
        assert!(run(&counted).unwrap().0.warnings[0].contains("when counting"));
    }

    #[test]
    fn a_footer_that_matches_no_reading_is_refused() {
        let errors = errors(&SAMPLE.replace("FOOT\t14\t14\t2\t3", "FOOT\t13\t13\t2\t4"));
        let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(columns, ["NumberOfLinesInFile", "NumberOfBlocksInFile"]);
        assert_eq!(errors[0].line, 15);
        assert_eq!(errors[0].value, "13");
    }

    #[test]
    fn a_truncated_file_is_refused() {
        let truncated: String = SAMPLE.lines().take(10).map(|l| format!("{l}\n")).collect();
        let errors = errors(&truncated);
        assert!(errors.iter().any(|e| e.reason.contains("no FOOT record")), "{errors:?}");
    }

    #[test]
    fn bad_values_are_named_by_line_column_and_value() {
        let bad = SAMPLE
            .replace("USNLR1900001", "USNLR19000X1")
            .replace("\tGBP\t1.00", "\tXYZ\t1.00")
            .replace("\tUSD\t12.00", "\tUSD\t12,00");
        let errors = errors(&bad);
        let found: Vec<(u64, &str, &str)> =
            errors.iter().map(|e| (e.line, e.column.as_str(), e.value.as_str())).collect();
        assert!(found.contains(&(3, "NetRevenue", "12,00")), "{found:?}");
        assert!(found.contains(&(4, "CurrencyOfReporting", "XYZ")), "{found:?}");
        assert!(found.contains(&(6, "ISRC", "USNLR19000X1")), "{found:?}");
    }

    #[test]
    fn an_unknown_sender_is_refused() {
        let errors = errors(&SAMPLE.replace("Spotify AB", "Unlimited Music"));
        assert_eq!((errors[0].line, errors[0].column.as_str()), (1, "SenderName"));
    }

    #[test]
    fn padding_tabs_blank_lines_and_a_bom_are_normal() {
        let messy = format!("\u{feff}{}\n\n", SAMPLE.replace("\r\n", "\t\t\t\r\n"));
        let (_, facts) = run(&messy).unwrap();
        assert_eq!(facts.len(), 5);
    }

    #[test]
    fn downloads_net_their_returns() {
        let with_download = SAMPLE
            .replace("SY02.02\tS2\tSpotify\tPADPIDA2011021101M\tAdvertisementSupportedModel\tOnDemandStream", "SY02.02\tS2\tSpotify\tPADPIDA2011021101M\tPayAsYouGoModel\tPermanentDownload")
            .replace("SU02.02\tB3\tS2\tT5\t\tA4\tTRUE\t1", "SU01.02\tB3\tS2\tT5\t\tA4\tTRUE\tFALSE\t2\t3");
        let (_, facts) = run(&with_download).unwrap();
        let returned = facts.iter().find(|f| f.line == 14).unwrap();
        assert_eq!((returned.units, returned.usage), (-1, UsageType::Download));
    }
}
