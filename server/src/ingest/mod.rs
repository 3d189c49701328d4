//! Ingestion: platform report files in, facts out.
//!
//! Each format module reads a file in two streaming passes where it must (DDEX DSR
//! shares summary revenue out over usage lines) and hands every parsed line to the
//! caller as a [`Fact`], or every problem as a [`LineError`]. Nothing here touches
//! the database: the loader decides what is written, all or nothing.

pub mod apple;
pub mod command;
pub mod dsr;
pub mod errors;
pub mod fact;
pub mod fuzzing;
pub mod loader;
pub mod matcher;
pub mod scheduler;
pub mod source;
pub mod upload;
pub mod youtube;

pub use errors::{ErrorLog, LineError};
pub use fact::{Fact, ReportMeta};
pub use source::ReportSource;

/// Parses a report in whichever format its first line shows, passing each fact to
/// `emit` with what the file says about itself.
pub fn parse(
    report: &ReportSource,
    emit: impl FnMut(&ReportMeta, Fact),
) -> Result<ReportMeta, ErrorLog> {
    parse_with(|| report.reader(), emit)
}

/// [`parse`] for a report already in memory (the fuzz targets' way in).
pub fn parse_bytes(
    bytes: &[u8],
    emit: impl FnMut(&ReportMeta, Fact),
) -> Result<ReportMeta, ErrorLog> {
    parse_with(|| Ok(std::io::Cursor::new(bytes)), emit)
}

fn parse_with<R: std::io::BufRead>(
    open: impl Fn() -> std::io::Result<R>,
    mut emit: impl FnMut(&ReportMeta, Fact),
) -> Result<ReportMeta, ErrorLog> {
    let first_line =
        first_line(open().map_err(ErrorLog::unreadable)?).map_err(ErrorLog::unreadable)?;
    if dsr::recognises(&first_line) {
        dsr::parse(open, emit)
    } else if apple::recognises(&first_line) {
        apple::parse(open().map_err(ErrorLog::unreadable)?, &mut emit)
    } else if youtube::recognises(&first_line) {
        youtube::parse(open().map_err(ErrorLog::unreadable)?, &mut emit)
    } else {
        let mut log = ErrorLog::default();
        let reason = "not a report format Backbeat reads (see docs/formats.md)";
        log.push(LineError::new(1, "-", first_line.trim_end(), reason));
        Err(log)
    }
}

/// The first line of a report (for recognising its format), lossily decoded; at most
/// 64 KiB of it, whatever the file holds.
pub fn first_line(reader: impl std::io::BufRead) -> std::io::Result<String> {
    use std::io::BufRead;
    let mut line = Vec::new();
    reader.take(64 * 1024).read_until(b'\n', &mut line)?;
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// The non-blank lines of a text report with their physical line numbers (1-based),
/// without line ends or a leading BOM. A line that is not UTF-8 is an error; a read
/// error (a truncated gzip, say) is the last item.
pub fn text_lines(
    reader: impl std::io::BufRead,
) -> impl Iterator<Item = Result<(u64, String), LineError>> {
    let mut failed = false;
    reader
        .split(b'\n')
        .enumerate()
        .map_while(move |(index, read)| {
            if failed {
                return None;
            }
            let line = index as u64 + 1;
            let bytes = match read {
                Ok(bytes) => bytes,
                Err(e) => {
                    failed = true;
                    return Some(Some(Err(LineError::new(
                        line,
                        "-",
                        "",
                        format!("the file could not be read: {e}"),
                    ))));
                }
            };
            let Ok(text) = String::from_utf8(bytes) else {
                return Some(Some(Err(LineError::new(line, "-", "", "not UTF-8 text"))));
            };
            let text = text.strip_suffix('\r').unwrap_or(&text);
            let text = if line == 1 { text.trim_start_matches('\u{feff}') } else { text };
            Some((!text.trim().is_empty()).then(|| Ok((line, text.to_string()))))
        })
        .flatten()
}
