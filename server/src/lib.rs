//! The Backbeat server: configuration, database, the HTTP application, and the
//! command-line tasks (`migrate`, `demo`, `ingest`, `generate`, `user add`). Pages and server functions live
//! in the `app` crate; this crate wires them to axum, Postgres and sessions.

pub mod cli;
pub mod config;
pub mod database;
pub mod demo;
pub mod exports;
pub mod generate;
pub mod import;
pub mod ingest;
pub mod startup;
pub mod statements;
pub mod telemetry;
