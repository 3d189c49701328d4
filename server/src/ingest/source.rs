//! Opening a report file as platforms deliver it: plain, gzip or zip, read as a stream.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// A report on disk, ready to be read as many times as its parser needs.
pub struct ReportSource {
    /// The file as received (for its name, size and checksum).
    pub path: PathBuf,
    /// Where its report text is: the file itself, or the report extracted from a zip.
    text_path: PathBuf,
    gzip: bool,
    /// Keeps an extracted zip entry on disk until the source is dropped.
    _extracted: Option<tempfile::NamedTempFile>,
}

impl ReportSource {
    /// Looks at the first bytes to tell gzip and zip from plain text; a zip's first
    /// report entry (one that is not a folder or a macOS resource file) is extracted.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut magic = [0u8; 4];
        let read = File::open(path)?.read(&mut magic)?;
        let magic = &magic[..read];
        if magic.starts_with(&[0x1f, 0x8b]) {
            return Ok(ReportSource {
                path: path.into(),
                text_path: path.into(),
                gzip: true,
                _extracted: None,
            });
        }
        if magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06") {
            let (extracted, gzip) = extract_first_report(path)?;
            let text_path = extracted.path().to_path_buf();
            return Ok(ReportSource {
                path: path.into(),
                text_path,
                gzip,
                _extracted: Some(extracted),
            });
        }
        Ok(ReportSource {
            path: path.into(),
            text_path: path.into(),
            gzip: false,
            _extracted: None,
        })
    }

    /// A fresh reader over the report text, decompressed.
    pub fn reader(&self) -> io::Result<Box<dyn BufRead + Send>> {
        let file = File::open(&self.text_path)?;
        Ok(if self.gzip {
            Box::new(BufReader::with_capacity(1 << 16, flate2::read::MultiGzDecoder::new(file)))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, file))
        })
    }
}

fn extract_first_report(path: &Path) -> io::Result<(tempfile::NamedTempFile, bool)> {
    let mut archive = zip::ZipArchive::new(File::open(path)?).map_err(io::Error::other)?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(io::Error::other)?;
        let name = entry.name().map_err(io::Error::other)?.to_string();
        if entry.is_dir()
            || name.starts_with("__MACOSX/")
            || name.rsplit('/').next().is_some_and(|n| n.starts_with('.'))
        {
            continue;
        }
        let mut out = tempfile::NamedTempFile::new()?;
        io::copy(&mut entry, &mut out)?;
        let gzip = name.ends_with(".gz");
        return Ok((out, gzip));
    }
    Err(io::Error::new(io::ErrorKind::InvalidData, "the zip archive holds no report file"))
}

/// The file's SHA-256 (lower-case hex) and size, read as a stream.
pub fn checksum(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    let hex: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, size))
}
