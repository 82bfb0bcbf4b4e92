//! Settings: the built-in `config/default.toml`, then an optional file named by
//! `FOCUSBOARD_CONFIG`, then `FOCUSBOARD_*` environment variables, each overriding the last.

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;
use std::path::PathBuf;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub session_key: String,
    pub sign_in_link_days: i64,
    pub session_idle_hours: i64,
    pub session_days: i64,
    pub token_days: i64,
    pub scheduler_interval_secs: u64,
    pub max_body_bytes: usize,
    pub body_idle_secs: u64,
    pub body_total_secs: u64,
    pub db_pool_size: u32,
    pub sqlite_synchronous: crate::db::Synchronous,
    pub sqlite_group_commit: bool,
    pub smtp_url: String,
    pub mail_from: String,
    pub mail_from_name: String,
    pub mail_dir: PathBuf,
    pub smtp_connections: u32,
    pub email_max_attempts: i32,
    pub email_retry_secs: i64,
    pub outbox_interval_ms: u64,
    pub read_marks_flush_ms: u64,
    pub page_cache_mb: u64,
    pub email_lease_secs: i64,
    pub instance_id: String,
    pub trusted_proxies: Vec<String>,
    pub shutdown_drain_secs: u64,
    pub log: String,
    pub log_format: String,
}

impl Settings {
    pub fn load() -> anyhow::Result<Self> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Ok(path) = std::env::var("FOCUSBOARD_CONFIG") {
            if !std::path::Path::new(&path).is_file() {
                anyhow::bail!("FOCUSBOARD_CONFIG names {path}, which is not a readable file");
            }
            figment = figment.merge(Toml::file(path));
        }
        let settings: Settings = figment.merge(Env::prefixed("FOCUSBOARD_").ignore(&["config"])).extract()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone; what tests start from.
    pub fn defaults() -> Self {
        Figment::from(Toml::string(DEFAULTS)).extract().expect("config/default.toml is valid")
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            anyhow::bail!("base_url must start with http:// or https://, got {:?}", self.base_url);
        }
        if crate::domain::email::EmailAddress::parse(&self.mail_from).is_err()
            && !self.mail_from.ends_with("@localhost")
        {
            anyhow::bail!("mail_from must be an email address, got {:?}", self.mail_from);
        }
        if !(1..=256).contains(&self.smtp_connections) {
            anyhow::bail!("smtp_connections must be between 1 and 256");
        }
        if self.email_max_attempts < 1 {
            anyhow::bail!("email_max_attempts must be at least 1");
        }
        crate::domain::throttle::parse_trusted(&self.trusted_proxies).map_err(|e| anyhow::anyhow!(e))?;
        if self.sign_in_link_days < 1 {
            anyhow::bail!("sign_in_link_days must be at least 1");
        }
        Ok(())
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// What names this instance in the outbox's claims: `instance_id`, or the host's name and
    /// the address it listens on, which stay the same when the instance restarts.
    pub fn instance_name(&self) -> String {
        if !self.instance_id.trim().is_empty() {
            return self.instance_id.trim().to_string();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        format!("{host}/{}", self.bind)
    }

    /// `base_url` without a trailing slash, ready to have a path appended.
    pub fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}
