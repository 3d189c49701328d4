//! Backbeat's Leptos application: pages, components and server functions.
//!
//! Built twice: with `ssr` into the server (server functions run, SQL compiled in) and
//! with `hydrate` into the browser's wasm bundle (server functions become HTTP calls).
//! Server-only code sits in `ssr` modules so the wasm build never sees it.

// Leptos views are nested types; the staff tables go deeper than the default 128 in
// the wasm build.
#![recursion_limit = "256"]

pub mod auth;
pub mod catalog;
pub mod conflicts;
pub mod dashboards;
#[cfg(feature = "ssr")]
pub mod db;
pub mod domain;
pub mod error;
pub mod ingestion;
pub mod pages;
pub mod payouts;
pub mod revenue;
pub mod terms;
pub mod users;

pub use pages::{App, shell};

/// The wasm entry point: attaches the app to the server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Browser tests wait for this before using forms that answer in the page.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}
