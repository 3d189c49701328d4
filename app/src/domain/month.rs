use super::ParseError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// The accounting month a fact belongs to: the month in which its reported period
/// ends (Apple's fiscal month of 28 September to 25 October is October).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Result<Self, ParseError> {
        if (1..=12).contains(&month) && (1900..=9999).contains(&year) {
            Ok(Month { year, month })
        } else {
            Err(ParseError(format!("{year}-{month:02} is not a month")))
        }
    }

    /// The month in which a reported period ending on `end` is accounted.
    pub fn of_period_end(end: NaiveDate) -> Self {
        Month { year: end.year(), month: end.month() }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month has a first day")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("months have days")
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = ParseError;
    /// `YYYY-MM`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError(format!("'{s}' is not a month: expected YYYY-MM"));
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        Month::new(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?)
    }
}

text_serde!(Month, |s: &str| s.parse::<Month>(), |m: &Month| m.to_string());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_walks_months() {
        let m: Month = "2026-12".parse().unwrap();
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(m.first_day(), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!("2024-02".parse::<Month>().unwrap().last_day().day(), 29);
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", ""] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    #[test]
    fn apples_fiscal_october_is_october() {
        let end = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        assert_eq!(Month::of_period_end(end).to_string(), "2026-10");
    }
}
