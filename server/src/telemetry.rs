//! Logging: human-readable lines on stderr, filtered by RUST_LOG.

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    // Ignore the error when a test already installed a subscriber.
    let _ = fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
