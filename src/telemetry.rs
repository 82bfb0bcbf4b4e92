//! Structured logs with tracing; each request's log lines carry its request id.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init(filter: &str, format: &str) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second call (tests start many apps) keeps the first subscriber.
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}
