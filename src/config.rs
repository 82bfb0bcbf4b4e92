//! Settings: the built-in `config/default.toml`, then an optional file named by
//! `FOCUSBOARD_CONFIG`, then `FOCUSBOARD_*` environment variables, each overriding the last.

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;
use std::path::PathBuf;

const DEFAULTS: &str = include_str!("../config/default.toml");

/// `FOCUSBOARD_*` variables that are not settings: read by the command line (the new
/// password) or by the project's own scripts and tests. Any other is an unknown setting.
const NOT_SETTINGS: &[&str] = &["config", "new_password", "bin", "test_pg_url", "pg_dir", "bench_log", "advisory_db"];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
    pub reply_address: String,
    pub imap_url: String,
    pub imap_folder: String,
    pub imap_done_folder: String,
    pub imap_ca_file: PathBuf,
    pub inbox_dir: PathBuf,
    pub inbox_interval_secs: u64,
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
        Self::from_figment(figment.merge(Env::prefixed("FOCUSBOARD_").ignore(NOT_SETTINGS)))
    }

    /// Settings from `figment`, completed and checked: an unknown key is an error naming it
    /// and where it came from.
    fn from_figment(figment: Figment) -> anyhow::Result<Self> {
        let mut settings: Settings = figment.extract().map_err(|e| anyhow::anyhow!("{}", unknown_key(e)))?;
        settings.complete();
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone; what tests start from.
    pub fn defaults() -> Self {
        let mut settings: Settings =
            Figment::from(Toml::string(DEFAULTS)).extract().expect("config/default.toml is valid");
        settings.complete();
        settings
    }

    /// Fills in what follows from other settings: an empty `base_url` is http:// and the bind
    /// address.
    fn complete(&mut self) {
        if self.base_url.trim().is_empty() {
            let host = match self.bind.rsplit_once(':') {
                Some(("0.0.0.0" | "[::]" | "", port)) => format!("localhost:{port}"),
                _ => self.bind.clone(),
            };
            self.base_url = format!("http://{host}");
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        let url = self.database_url.trim();
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        if let Some(scheme) = scheme.filter(|s| !matches!(s.as_str(), "sqlite" | "postgres" | "postgresql")) {
            anyhow::bail!(
                "database_url must be a SQLite file path (or sqlite://path) or a postgres:// URL; \
                 {scheme}:// is not supported"
            );
        }
        if url.is_empty() {
            anyhow::bail!("database_url is empty: give a SQLite file path or a postgres:// URL");
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            anyhow::bail!("base_url must start with http:// or https://, got {:?}", self.base_url);
        }
        if crate::domain::email::EmailAddress::parse(&self.mail_from).is_err()
            && !self.mail_from.ends_with("@localhost")
        {
            anyhow::bail!("mail_from must be an email address, got {:?}", self.mail_from);
        }
        let reply = self.reply_address();
        if crate::domain::email::EmailAddress::parse(reply).is_err() && !reply.ends_with("@localhost") {
            anyhow::bail!("reply_address must be an email address, got {reply:?}");
        }
        let imap = self.imap_url.trim();
        if !imap.is_empty() && !imap.starts_with("imaps://") {
            anyhow::bail!("imap_url must start with imaps:// (IMAP over TLS, usually port 993), or be empty");
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

    /// The address replies are sent to, before a key is added to it.
    pub fn reply_address(&self) -> &str {
        match self.reply_address.trim() {
            "" => self.mail_from.trim(),
            a => a,
        }
    }

    /// The folder of .eml files read as incoming mail when no IMAP mailbox is set.
    pub fn inbox_folder(&self) -> PathBuf {
        if self.inbox_dir.as_os_str().is_empty() {
            self.data_dir.join("inbox")
        } else {
            self.inbox_dir.clone()
        }
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

/// Figment's error, with an unknown key said plainly first.
fn unknown_key(e: figment::Error) -> String {
    match &e.kind {
        figment::error::Kind::UnknownField(field, _) => {
            let source = e.metadata.as_ref().map(|m| m.name.to_string()).unwrap_or_default();
            let hint = if source.to_lowercase().contains("environment") {
                format!(" (the environment variable FOCUSBOARD_{})", field.to_uppercase())
            } else {
                format!(" (in {source})")
            };
            format!("unknown setting `{field}`{hint}; see config/default.toml for the settings there are")
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::Serialized;

    fn with(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        for (k, v) in pairs {
            figment = figment.merge(Serialized::default(k, v));
        }
        Settings::from_figment(figment)
    }

    #[test]
    fn an_unknown_setting_is_an_error_naming_it() {
        let err = with(&[("databse_url", "x.db")]).unwrap_err().to_string();
        assert!(err.contains("unknown setting `databse_url`"), "{err}");
        let err = Settings::from_figment(Figment::from(Toml::string(DEFAULTS)).merge(Toml::string("bnd = \"x\"")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`bnd`"), "{err}");
    }

    #[test]
    fn a_database_url_of_another_kind_is_refused() {
        let err = with(&[("database_url", "mysql://u@localhost/db")]).unwrap_err().to_string();
        assert!(err.contains("mysql:// is not supported"), "{err}");
        assert!(with(&[("database_url", "postgres://u@localhost/db")]).is_ok());
        assert!(with(&[("database_url", "data/x.db")]).is_ok());
        assert!(with(&[("database_url", "sqlite://data/x.db")]).is_ok());
    }

    #[test]
    fn the_base_url_follows_the_bind_address_unless_given() {
        assert_eq!(with(&[("bind", "127.0.0.1:9000")]).unwrap().base_url, "http://127.0.0.1:9000");
        assert_eq!(with(&[("bind", "0.0.0.0:9000")]).unwrap().base_url, "http://localhost:9000");
        let given = with(&[("bind", "0.0.0.0:9000"), ("base_url", "https://board.example.org")]).unwrap();
        assert_eq!(given.base_url, "https://board.example.org");
        assert_eq!(Settings::defaults().base_url, "http://127.0.0.1:8080");
    }
}
