use super::ParseError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// How a use was paid for: per-stream rates differ by an order of magnitude between
/// them, so every figure is kept and shown per usage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageType {
    /// Free tiers paid by advertising.
    AdSupported,
    /// Paid subscriptions.
    Premium,
    /// User-generated content monetised through Content ID claims.
    Ugc,
    /// Permanent downloads (sales and returns).
    Download,
}

impl UsageType {
    pub const ALL: [UsageType; 4] =
        [UsageType::AdSupported, UsageType::Premium, UsageType::Ugc, UsageType::Download];

    pub fn code(self) -> &'static str {
        match self {
            UsageType::AdSupported => "ad_supported",
            UsageType::Premium => "premium",
            UsageType::Ugc => "ugc",
            UsageType::Download => "download",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UsageType::AdSupported => "ad-supported",
            UsageType::Premium => "premium",
            UsageType::Ugc => "UGC",
            UsageType::Download => "download",
        }
    }
}

impl fmt::Display for UsageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for UsageType {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        UsageType::ALL.into_iter().find(|u| u.code() == key).ok_or_else(|| {
            ParseError(format!(
                "'{s}' is not a usage type: use ad_supported, premium, ugc or download"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for u in UsageType::ALL {
            assert_eq!(u.code().parse::<UsageType>().unwrap(), u);
        }
        assert!("radio".parse::<UsageType>().is_err());
    }
}
