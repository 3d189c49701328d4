use super::ParseError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// What a login may see and do. See ../shared/DESIGN.md, "People and what they do".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees only the tracks they earn from.
    Artist,
    /// Sees the whole catalog of their label.
    LabelManager,
    /// Distributor operations: sees and manages everything.
    Staff,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Artist, Role::LabelManager, Role::Staff];

    /// The spelling stored in `users.role` and used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Artist => "artist",
            Role::LabelManager => "label_manager",
            Role::Staff => "staff",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Artist => "Artist",
            Role::LabelManager => "Label manager",
            Role::Staff => "Staff",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "artist" => Ok(Role::Artist),
            "label_manager" | "label" => Ok(Role::LabelManager),
            "staff" => Ok(Role::Staff),
            _ => {
                Err(ParseError(format!("'{s}' is not a role: use artist, label_manager or staff")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_stored_spelling() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert_eq!("Label-Manager".parse::<Role>().unwrap(), Role::LabelManager);
        assert!("admin".parse::<Role>().is_err());
    }
}
