//! What the fuzz targets (`fuzz/`) run: each parser on arbitrary bytes. A parser may
//! refuse anything, but never panic, hang or let a bad line through unnamed. The same
//! functions replay the committed corpus in `make test` (see the test below), so
//! every crash the fuzzer ever found stays fixed.

use super::{ErrorLog, apple, dsr, parse_bytes, youtube};
use std::io::Cursor;

/// DDEX DSR, whatever the first line says.
pub fn dsr(data: &[u8]) {
    let result = dsr::parse(|| Ok(Cursor::new(data)), |_, _| {});
    check(result.map(drop));
}

/// Apple's financial report.
pub fn apple(data: &[u8]) {
    check(apple::parse(Cursor::new(data), |_, _| {}).map(drop));
}

/// YouTube's CSV.
pub fn youtube(data: &[u8]) {
    check(youtube::parse(Cursor::new(data), |_, _| {}).map(drop));
}

/// Format detection and whichever parser it picks.
pub fn any(data: &[u8]) {
    check(parse_bytes(data, |_, _| {}).map(drop));
}

/// A refusal must say where and why.
fn check(result: Result<(), ErrorLog>) {
    if let Err(errors) = result {
        assert!(errors.total() > 0, "a refusal with no errors");
        for error in errors.kept() {
            assert!(!error.reason.is_empty(), "an error without a reason: {error:?}");
        }
    }
}

/// A fuzz target: takes any bytes, panics only on a bug.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/corpus/<name>/` and `fuzz/fuzz_targets/<name>.rs`.
pub const TARGETS: [(&str, Target); 4] =
    [("dsr", dsr), ("apple", apple), ("youtube", youtube), ("any", any)];

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn the_fuzz_corpus_replays_without_a_panic() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
        let mut replayed = 0;
        for (name, target) in super::TARGETS {
            let dir = corpus.join(name);
            let entries =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{name} panicked on {}", path.display());
                replayed += 1;
            }
        }
        assert!(replayed >= 20, "the corpus holds {replayed} inputs: is it there?");
    }
}
