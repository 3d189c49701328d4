//! Integration tests: the real server on a fresh Postgres database per test, spoken to
//! over HTTP as a browser or script would.

mod accounts;
mod auth;
mod authorization;
mod bench_data;
mod catalog;
mod conflicts;
mod dashboards;
mod helpers;
mod import;
mod ingest;
mod ingest_jobs;
mod payouts;
mod revenue;
mod summaries;
