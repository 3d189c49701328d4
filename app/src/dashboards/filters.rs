//! What a dashboard shows, as it stands in the URL: a period, the slices picked, and for
//! each table how it is sorted and which page is open. Parsed once here, for the pages,
//! the server functions and the CSV exports alike, so a shared link, a page and its
//! export always mean the same numbers.

use crate::domain::{Currency, Month, ParseError, Platform, Territory, UsageType};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The slice of revenue a dashboard is about. `None` is "all".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// First and last accounting month, both included.
    pub from: Option<Month>,
    pub to: Option<Month>,
    pub platform: Option<Platform>,
    pub territory: Option<Territory>,
    pub usage: Option<UsageType>,
    /// Staff only: one label (its amounts are then in its own currency).
    pub label: Option<i64>,
    pub artist: Option<i64>,
    pub release: Option<i64>,
    pub track: Option<i64>,
    /// An artist paid in several currencies picks one; the main one otherwise.
    pub currency: Option<Currency>,
}

/// The period as long as `now` just before it: what an overview compares `now` with.
pub fn period_before((from, to): (Month, Month)) -> (Month, Month) {
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let end = from.previous();
    let start = (0..months).fold(end, |m, _| m.previous());
    (start, end)
}

/// The URL keys of [`Filters`], in the order a query string lists them.
pub const FILTER_KEYS: [&str; 10] = [
    "from",
    "to",
    "platform",
    "territory",
    "usage",
    "label",
    "artist",
    "release",
    "track",
    "currency",
];

impl Filters {
    /// Reads the filters from URL query pairs (`get("platform")`); an empty value is
    /// "all". A value that does not parse is an error naming the key and the value.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Filters, ParseError> {
        let value = |key: &str| get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let id = |key: &str| -> Result<Option<i64>, ParseError> {
            value(key)
                .map(|v| {
                    v.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                        ParseError(format!("{key}={v} is not an id: expected a number"))
                    })
                })
                .transpose()
        };
        let filters = Filters {
            from: value("from").map(|v| v.parse()).transpose()?,
            to: value("to").map(|v| v.parse()).transpose()?,
            platform: value("platform").map(|v| v.parse()).transpose()?,
            territory: value("territory").map(|v| Territory::parse(&v)).transpose()?,
            usage: value("usage").map(|v| v.parse()).transpose()?,
            label: id("label")?,
            artist: id("artist")?,
            release: id("release")?,
            track: id("track")?,
            currency: value("currency").map(|v| Currency::parse(&v)).transpose()?,
        };
        if let (Some(from), Some(to)) = (filters.from, filters.to)
            && from > to
        {
            return Err(ParseError(format!("the period starts ({from}) after it ends ({to})")));
        }
        Ok(filters)
    }

    /// The filters as URL pairs, "all" left out.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let values = [
            self.from.map(|m| m.to_string()),
            self.to.map(|m| m.to_string()),
            self.platform.map(|p| p.code().to_string()),
            self.territory.map(|t| t.to_string()),
            self.usage.map(|u| u.code().to_string()),
            self.label.map(|id| id.to_string()),
            self.artist.map(|id| id.to_string()),
            self.release.map(|id| id.to_string()),
            self.track.map(|id| id.to_string()),
            self.currency.map(|c| c.code().to_string()),
        ];
        FILTER_KEYS.into_iter().zip(values).filter_map(|(k, v)| v.map(|v| (k, v))).collect()
    }

    /// `key=value&...`, without the `?`.
    pub fn query_string(&self) -> String {
        encode(&self.pairs())
    }

    /// Whether only the period is chosen (or nothing).
    pub fn is_whole_catalog(&self) -> bool {
        Filters { from: None, to: None, currency: None, ..self.clone() } == Filters::default()
    }
}

/// What a query string escapes: everything but RFC 3986's unreserved characters, as
/// the browser's `encodeURIComponent` nearly does. One encoding on the server and in the
/// browser keeps a link the same whichever side drew it (`territory_sort=-streams`, not
/// `territory%5Fsort=%2Dstreams`).
const QUERY: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes URL query pairs.
pub fn encode(pairs: &[(&str, String)]) -> String {
    use percent_encoding::utf8_percent_encode;
    let mut out = String::new();
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        let _ = write!(
            out,
            "{}={}",
            utf8_percent_encode(key, QUERY),
            utf8_percent_encode(value, QUERY)
        );
    }
    out
}

/// What a table's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Month,
    Platform,
    Territory,
    Usage,
    Label,
    Artist,
    Release,
    Track,
}

impl Dimension {
    pub const ALL: [Dimension; 8] = [
        Dimension::Month,
        Dimension::Platform,
        Dimension::Territory,
        Dimension::Usage,
        Dimension::Label,
        Dimension::Artist,
        Dimension::Release,
        Dimension::Track,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Dimension::Month => "month",
            Dimension::Platform => "platform",
            Dimension::Territory => "territory",
            Dimension::Usage => "usage",
            Dimension::Label => "label",
            Dimension::Artist => "artist",
            Dimension::Release => "release",
            Dimension::Track => "track",
        }
    }

    /// The table's first column.
    pub fn heading(self) -> &'static str {
        match self {
            Dimension::Month => "Month",
            Dimension::Platform => "Platform",
            Dimension::Territory => "Territory",
            Dimension::Usage => "Usage type",
            Dimension::Label => "Label",
            Dimension::Artist => "Artist",
            Dimension::Release => "Release",
            Dimension::Track => "Track",
        }
    }

    /// Months read best newest first; everything else largest first.
    pub fn default_sort(self) -> Sort {
        match self {
            Dimension::Month => Sort { key: SortKey::Name, descending: true },
            _ => Sort { key: SortKey::Amount, descending: true },
        }
    }

    /// The URL keys of this table's sort and page (`territory_sort`, `territory_page`).
    pub fn sort_key(self) -> String {
        format!("{}_sort", self.code())
    }

    pub fn page_key(self) -> String {
        format!("{}_page", self.code())
    }

    /// The filter a row of this table applies when followed (months set the period).
    pub fn filter_key(self) -> Option<&'static str> {
        match self {
            Dimension::Month => None,
            other => Some(other.code()),
        }
    }
}

impl std::str::FromStr for Dimension {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dimension::ALL.into_iter().find(|d| d.code() == s).ok_or_else(|| {
            let known: Vec<&str> = Dimension::ALL.iter().map(|d| d.code()).collect();
            ParseError(format!("'{s}' is not a breakdown: use one of {}", known.join(", ")))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    Name,
    Streams,
    Amount,
    PerStream,
}

/// A table's order: `amount` ascending, `-amount` descending in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    const KEYS: [(&'static str, SortKey); 4] = [
        ("name", SortKey::Name),
        ("streams", SortKey::Streams),
        ("amount", SortKey::Amount),
        ("per_stream", SortKey::PerStream),
    ];

    pub fn parse(text: &str) -> Result<Sort, ParseError> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text),
        };
        let key = Self::KEYS.iter().find(|(k, _)| *k == name).map(|(_, key)| *key);
        key.map(|key| Sort { key, descending }).ok_or_else(|| {
            ParseError(format!("'{text}' is not a sort: use name, streams, amount or per_stream"))
        })
    }

    pub fn code(self) -> String {
        let name = Self::KEYS.iter().find(|(_, k)| *k == self.key).map(|(n, _)| *n);
        format!("{}{}", if self.descending { "-" } else { "" }, name.unwrap_or("amount"))
    }

    /// Clicking a column's heading: its natural order first, the other way on a repeat.
    pub fn toggled(self, key: SortKey) -> Sort {
        if self.key == key {
            Sort { key, descending: !self.descending }
        } else {
            Sort { key, descending: key != SortKey::Name }
        }
    }
}

/// One table's state in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableState {
    pub by: Dimension,
    pub sort: Sort,
    /// From 1.
    pub page: u32,
}

impl TableState {
    pub fn parse(by: Dimension, get: impl Fn(&str) -> Option<String>) -> Result<Self, ParseError> {
        let sort = match get(&by.sort_key()).filter(|s| !s.is_empty()) {
            Some(text) => Sort::parse(&text)?,
            None => by.default_sort(),
        };
        let page = match get(&by.page_key()).filter(|s| !s.is_empty()) {
            Some(text) => text.parse::<u32>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                ParseError(format!("'{text}' is not a page number: expected 1 or more"))
            })?,
            None => 1,
        };
        Ok(TableState { by, sort, page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(query: &[(&str, &str)]) -> Result<Filters, ParseError> {
        let map: HashMap<String, String> =
            query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Filters::parse(|k| map.get(k).cloned())
    }

    #[test]
    fn filters_round_trip_through_the_url() {
        let f = parse(&[
            ("from", "2026-01"),
            ("to", "2026-06"),
            ("platform", "apple_music"),
            ("territory", "gb"),
            ("usage", "premium"),
            ("artist", "7"),
            ("currency", "eur"),
            ("release", ""),
        ])
        .unwrap();
        assert_eq!(f.territory.unwrap().as_str(), "GB");
        assert_eq!(f.release, None, "empty is all");
        let pairs = f.pairs();
        let again =
            Filters::parse(|k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone()));
        assert_eq!(again.unwrap(), f);
        assert_eq!(
            f.query_string(),
            "from=2026-01&to=2026-06&platform=apple_music&territory=GB&usage=premium&artist=7&currency=EUR"
        );
    }

    #[test]
    fn bad_values_say_which_and_why() {
        let e = parse(&[("platform", "myspace")]).unwrap_err();
        assert!(e.0.contains("'myspace' is not a platform"), "{e}");
        let e = parse(&[("artist", "x")]).unwrap_err();
        assert_eq!(e.0, "artist=x is not an id: expected a number");
        let e = parse(&[("from", "2026-07"), ("to", "2026-01")]).unwrap_err();
        assert!(e.0.contains("starts (2026-07) after it ends (2026-01)"), "{e}");
        assert!(parse(&[("territory", "XX")]).is_err());
    }

    #[test]
    fn sorts_and_pages_parse_with_defaults() {
        let none = |_: &str| None;
        let t = TableState::parse(Dimension::Territory, none).unwrap();
        assert_eq!((t.sort.code(), t.page), ("-amount".to_string(), 1));
        let t = TableState::parse(Dimension::Month, none).unwrap();
        assert_eq!(t.sort.code(), "-name");
        let get = |k: &str| match k {
            "track_sort" => Some("per_stream".to_string()),
            "track_page" => Some("3".to_string()),
            _ => None,
        };
        let t = TableState::parse(Dimension::Track, get).unwrap();
        assert_eq!((t.sort, t.page), (Sort { key: SortKey::PerStream, descending: false }, 3));
        assert!(TableState::parse(Dimension::Track, |_| Some("0".into())).is_err());
        assert_eq!(t.sort.toggled(SortKey::PerStream).code(), "-per_stream");
        assert_eq!(t.sort.toggled(SortKey::Name).code(), "name");
    }
}
