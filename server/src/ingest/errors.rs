//! What was wrong with a file, line by line, as staff will read it.

use std::fmt;

/// One problem: the line (1-based, counting every physical line), the column by its
/// name in the format, the value found there, and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl LineError {
    pub fn new(line: u64, column: &str, value: &str, reason: impl Into<String>) -> Self {
        // A whole binary blob is no use to anyone reading the error table.
        let value: String = value.chars().take(200).collect();
        LineError { line, column: column.to_string(), value, reason: reason.into() }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {} (value '{}')",
            self.line, self.column, self.reason, self.value
        )
    }
}

/// Every error of a file, keeping the first [`ErrorLog::KEPT`] and counting the rest.
#[derive(Debug, Default)]
pub struct ErrorLog {
    kept: Vec<LineError>,
    total: u64,
}

impl ErrorLog {
    pub const KEPT: usize = 1000;

    /// A log of the one error that the file could not be read at all.
    pub fn unreadable(e: std::io::Error) -> Self {
        let mut log = ErrorLog::default();
        log.push(LineError::new(0, "-", "", format!("the file could not be read: {e}")));
        log
    }

    pub fn push(&mut self, error: LineError) {
        self.total += 1;
        if self.kept.len() < Self::KEPT {
            self.kept.push(error);
        }
    }

    /// Adds another log's errors (kept ones while there is room) and its count.
    pub fn absorb(&mut self, other: ErrorLog) {
        let room = Self::KEPT.saturating_sub(self.kept.len());
        self.kept.extend(other.kept.into_iter().take(room));
        self.total += other.total;
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn kept(&self) -> &[LineError] {
        &self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_thousand_and_counts_all() {
        let mut log = ErrorLog::default();
        for line in 1..=1500 {
            log.push(LineError::new(line, "ISRC", "x", "bad"));
        }
        assert_eq!(log.total(), 1500);
        assert_eq!(log.kept().len(), 1000);
        assert_eq!(log.kept()[999].line, 1000);
    }

    #[test]
    fn long_values_are_cut() {
        let e = LineError::new(1, "Title", &"x".repeat(5000), "too long");
        assert_eq!(e.value.len(), 200);
    }
}
