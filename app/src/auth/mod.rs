//! Who is asking: login, logout, password changes, and the guard every server
//! function goes through (`ssr::require_user`, `ssr::require_role`).

use crate::{domain::Role, error::AppError};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod ssr;
#[cfg(feature = "ssr")]
pub mod throttle;

/// The logged-in person, as pages and server functions see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub artist_id: Option<i64>,
    pub label_id: Option<i64>,
    /// Whose numbers this login sees: the artist's or the label's name, or "All labels".
    pub scope_name: String,
    pub must_change_password: bool,
}

impl SessionUser {
    /// The part of the catalog this user may see. Queries take it and filter in SQL.
    pub fn scope(&self) -> Scope {
        match (self.role, self.artist_id, self.label_id) {
            (Role::Artist, Some(id), _) => Scope::Artist(id),
            (Role::LabelManager, _, Some(id)) => Scope::Label(id),
            (Role::Staff, _, _) => Scope::Everything,
            // The users_role_link constraint makes this impossible; see nothing if it happens.
            _ => Scope::Nothing,
        }
    }
}

/// What a query may return for a user. Passed to SQL as a kind and an id (see
/// `Scope::kind` and `Scope::id`) so that every query states its own filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Artist(i64),
    Label(i64),
    Everything,
    Nothing,
}

impl Scope {
    pub fn kind(self) -> &'static str {
        match self {
            Scope::Artist(_) => "artist",
            Scope::Label(_) => "label",
            Scope::Everything => "all",
            Scope::Nothing => "none",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Scope::Artist(id) | Scope::Label(id) => id,
            Scope::Everything | Scope::Nothing => 0,
        }
    }
}

/// The current user, or `None` when nobody is logged in. Never an error for anonymous
/// callers: the login page asks this too.
#[server(prefix = "/api", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    ssr::session_user().await
}

/// Logs in, then sends the browser to `next` (the page that asked for a login), or
/// to the account page when a one-time password must be changed first.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<SessionUser, AppError> {
    let user = ssr::login(&email, &password).await?;
    let next = if user.must_change_password { "/account" } else { local_path(next.as_deref()) };
    leptos_axum::redirect(next);
    Ok(user)
}

/// `path` if it is a path on this site, else `/`: a login link must not be able to
/// send people elsewhere (`//evil.example`, `https://...`, `/\\evil`, or `/<tab>/evil`,
/// which browsers read as `//evil`), nor put control characters into a header.
pub fn local_path(path: Option<&str>) -> &str {
    match path {
        Some(p)
            if p.starts_with('/')
                && !matches!(p.as_bytes().get(1), Some(b'/' | b'\\'))
                && p.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            p
        }
        _ => "/",
    }
}

/// Ends the session (its row is deleted) and goes to the login page.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    ssr::logout().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Changes the caller's own password and ends their other sessions.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    ssr::change_own_password(&current_password, &new_password, &confirm_password).await
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn login_only_redirects_within_the_site() {
        assert_eq!(local_path(Some("/tracks/7")), "/tracks/7");
        assert_eq!(local_path(Some("/users?x=1")), "/users?x=1");
        let outside = [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n",
            "/ x",
            "evil",
            "",
        ];
        for outside in outside {
            assert_eq!(local_path(Some(outside)), "/", "{outside}");
        }
        assert_eq!(local_path(None), "/");
    }
}
