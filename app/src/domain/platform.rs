use super::ParseError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A service that reports streams and revenue. Spotify and Amazon Music deliver DDEX
/// DSR files; Apple its financial report; YouTube its reporting-API CSVs. Other DSR
/// senders are recognised by their party id or name in the file's HEAD record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Spotify,
    AppleMusic,
    AmazonMusic,
    YouTube,
    Deezer,
    Tidal,
}

impl Platform {
    pub const ALL: [Platform; 6] = [
        Platform::Spotify,
        Platform::AppleMusic,
        Platform::AmazonMusic,
        Platform::YouTube,
        Platform::Deezer,
        Platform::Tidal,
    ];

    /// The spelling in the database and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Platform::Spotify => "spotify",
            Platform::AppleMusic => "apple_music",
            Platform::AmazonMusic => "amazon_music",
            Platform::YouTube => "youtube",
            Platform::Deezer => "deezer",
            Platform::Tidal => "tidal",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Platform::Spotify => "Spotify",
            Platform::AppleMusic => "Apple Music",
            Platform::AmazonMusic => "Amazon Music",
            Platform::YouTube => "YouTube",
            Platform::Deezer => "Deezer",
            Platform::Tidal => "TIDAL",
        }
    }

    /// The name people read for a platform's database code, or the code itself for a
    /// platform this build does not know.
    pub fn name_of(code: &str) -> &str {
        code.parse::<Platform>().map(|p| p.name()).unwrap_or(code)
    }

    /// The platform behind a DSR sender, from its name (`Spotify AB`, `Amazon Digital
    /// Services LLC`): senders spell their names in many ways, so match on a word.
    pub fn from_sender_name(name: &str) -> Option<Platform> {
        let name = name.to_ascii_lowercase();
        [
            ("spotify", Platform::Spotify),
            ("amazon", Platform::AmazonMusic),
            ("apple", Platform::AppleMusic),
            ("itunes", Platform::AppleMusic),
            ("youtube", Platform::YouTube),
            ("google", Platform::YouTube),
            ("deezer", Platform::Deezer),
            ("tidal", Platform::Tidal),
        ]
        .into_iter()
        .find(|(word, _)| name.contains(word))
        .map(|(_, platform)| platform)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Platform {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Platform::ALL.into_iter().find(|p| p.code() == key).ok_or_else(|| {
            let known: Vec<&str> = Platform::ALL.iter().map(|p| p.code()).collect();
            ParseError(format!("'{s}' is not a platform: use one of {}", known.join(", ")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_senders_are_recognised() {
        for p in Platform::ALL {
            assert_eq!(p.code().parse::<Platform>().unwrap(), p);
        }
        assert_eq!("Apple Music".parse::<Platform>().unwrap(), Platform::AppleMusic);
        assert_eq!(Platform::from_sender_name("Spotify AB"), Some(Platform::Spotify));
        assert_eq!(
            Platform::from_sender_name("Amazon Digital Services LLC"),
            Some(Platform::AmazonMusic)
        );
        assert_eq!(Platform::from_sender_name("Unlimited Music"), None);
        assert!("napster".parse::<Platform>().is_err());
    }
}
