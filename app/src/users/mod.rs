//! Account management: staff add users, change their role and link, disable them
//! and set one-time passwords. Every function here is staff-only.

use crate::{domain::Role, error::AppError};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod ssr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The artist or label the login is tied to; `None` for staff.
    pub link_name: Option<String>,
    /// The value of the link select for this user (see [`Link`]).
    pub link_value: String,
    pub disabled: bool,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// What an account is tied to, written in forms as `artist:7`, `label:3` or empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Artist(i64),
    Label(i64),
    None,
}

impl Link {
    pub fn parse(value: &str) -> Result<Self, AppError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(Link::None);
        }
        let bad = || AppError::invalid(format!("'{value}' is not an artist or a label"));
        let (kind, id) = value.split_once(':').ok_or_else(bad)?;
        let id: i64 = id.parse().map_err(|_| bad())?;
        match kind {
            "artist" => Ok(Link::Artist(id)),
            "label" => Ok(Link::Label(id)),
            _ => Err(bad()),
        }
    }

    pub fn form_value(self) -> String {
        match self {
            Link::Artist(id) => format!("artist:{id}"),
            Link::Label(id) => format!("label:{id}"),
            Link::None => String::new(),
        }
    }

    /// An artist login needs an artist, a label manager a label, staff neither.
    pub fn check_fits(self, role: Role) -> Result<(), AppError> {
        match (role, self) {
            (Role::Artist, Link::Artist(_))
            | (Role::LabelManager, Link::Label(_))
            | (Role::Staff, Link::None) => Ok(()),
            (Role::Artist, _) => {
                Err(AppError::invalid("An artist login must be tied to an artist."))
            }
            (Role::LabelManager, _) => {
                Err(AppError::invalid("A label manager login must be tied to a label."))
            }
            (Role::Staff, _) => Err(AppError::invalid(
                "A staff login sees everything: tie it to no artist or label.",
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkChoices {
    pub labels: Vec<(i64, String)>,
    pub artists: Vec<(i64, String)>,
}

#[server(prefix = "/api", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    crate::auth::ssr::require_role(&[Role::Staff]).await?;
    ssr::list(&crate::db::pool()?).await
}

#[server(prefix = "/api", endpoint = "link_choices")]
pub async fn get_link_choices() -> Result<LinkChoices, AppError> {
    crate::auth::ssr::require_role(&[Role::Staff]).await?;
    ssr::link_choices(&crate::db::pool()?).await
}

/// Adds a login. Staff choose a one-time password, which the user must change at first login.
#[server(prefix = "/api", endpoint = "create_user")]
pub async fn create_user(
    email: String,
    role: String,
    link: String,
    password: String,
) -> Result<i64, AppError> {
    use crate::domain::{Email, Password};
    crate::auth::ssr::require_role(&[Role::Staff]).await?;
    let new = ssr::NewUser {
        email: Email::parse(&email)?,
        role: role.parse()?,
        link: Link::parse(&link)?,
        password: Password::parse(&password)?,
        must_change_password: true,
    };
    ssr::insert(&crate::db::pool()?, &new).await
}

#[server(prefix = "/api", endpoint = "update_user_access")]
pub async fn update_user_access(user_id: i64, role: String, link: String) -> Result<(), AppError> {
    let staff = crate::auth::ssr::require_role(&[Role::Staff]).await?;
    let role: Role = role.parse()?;
    if staff.id == user_id && role != Role::Staff {
        return Err(AppError::invalid("You cannot take away your own staff role."));
    }
    ssr::update_access(&crate::db::pool()?, user_id, role, Link::parse(&link)?).await
}

/// Disabling ends the user's sessions at once; enabling lets them log in again.
#[server(prefix = "/api", endpoint = "set_user_disabled")]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<(), AppError> {
    let staff = crate::auth::ssr::require_role(&[Role::Staff]).await?;
    if staff.id == user_id && disabled {
        return Err(AppError::invalid("You cannot disable your own account."));
    }
    ssr::set_disabled(&crate::db::pool()?, user_id, disabled).await
}

/// Sets a password the user must change at their next login, and ends their sessions.
#[server(prefix = "/api", endpoint = "set_one_time_password")]
pub async fn set_one_time_password(user_id: i64, password: String) -> Result<(), AppError> {
    crate::auth::ssr::require_role(&[Role::Staff]).await?;
    let password = crate::domain::Password::parse(&password)?;
    ssr::set_one_time_password(&crate::db::pool()?, user_id, password).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_round_trips_and_checks_the_role() {
        for link in [Link::Artist(7), Link::Label(3), Link::None] {
            assert_eq!(Link::parse(&link.form_value()).unwrap(), link);
        }
        assert!(Link::parse("band:1").is_err());
        assert!(Link::parse("artist:x").is_err());
        assert!(Link::Artist(1).check_fits(Role::Artist).is_ok());
        assert!(Link::Label(1).check_fits(Role::Artist).is_err());
        assert!(Link::None.check_fits(Role::LabelManager).is_err());
        assert!(Link::Artist(1).check_fits(Role::Staff).is_err());
    }
}
