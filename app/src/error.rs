//! One error type for every server function, shared by server and browser.
//!
//! Variants say what the person can do about it; internals (SQL, stack traces) are
//! logged on the server and never sent. `AppError::status` picks the HTTP status; the
//! server sets it on every server-function error response in one place (a middleware),
//! so that browsers, scripts and tests see 401/403/404/422 rather than a bare 500.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please log in to continue.")]
    Unauthorized,
    #[error("Please choose a new password before continuing.")]
    PasswordChangeRequired,
    #[error("You do not have access to this.")]
    Forbidden,
    /// Also the answer for things that exist but belong to someone else, so that
    /// the answer reveals nothing.
    #[error("Not found.")]
    NotFound,
    /// Bad input; the message names the field and the value.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Throttled(String),
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Internal,
    /// The request never reached our code, or its answer never came back.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Invalid(message.into())
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::PasswordChangeRequired | AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Invalid(_) => 422,
            AppError::Throttled(_) => 429,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl From<crate::domain::ParseError> for AppError {
    fn from(e: crate::domain::ParseError) -> Self {
        AppError::Invalid(e.0)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request reached the server but its fields did not make sense.
            ServerFnErrorErr::Args(e) => {
                AppError::Invalid(format!("The request was not understood: {e}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error");
        AppError::Internal
    }
}
