//! `focusboard backup` and `focusboard restore` for the embedded SQLite database: a consistent
//! snapshot of a running server, and bringing it back into an empty data folder. The backup is
//! a ZIP holding the database (images included) and the session key, without which the
//! sign-in links already emailed to participants stop working.

use crate::config::Settings;
use crate::db::{self, Backend, Db};
use anyhow::{bail, Context};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const DB_ENTRY: &str = "focusboard.db";
const KEY_ENTRY: &str = "session.key";

fn sqlite_path(settings: &Settings) -> anyhow::Result<PathBuf> {
    if Backend::of_url(&settings.database_url) != Backend::Sqlite {
        bail!("backup and restore are for the embedded SQLite database; for PostgreSQL use pg_dump and pg_restore (see the README)");
    }
    Ok(PathBuf::from(settings.database_url.strip_prefix("sqlite://").unwrap_or(&settings.database_url)))
}

/// Writes the backup to `output` (through a temporary file beside it, so a half-written backup
/// never has the final name). Safe while the server runs.
pub fn backup(settings: &Settings, output: &Path) -> anyhow::Result<String> {
    let path = sqlite_path(settings)?;
    if !path.exists() {
        bail!("there is no database at {}", path.display());
    }
    let dir = tempfile::tempdir()?;
    let snapshot = dir.path().join(DB_ENTRY);
    let db = Db::connect(&settings.database_url, 1)?;
    let mut conn = db.get().map_err(|e| anyhow::anyhow!(e.detail()))?;
    db::sqlite_snapshot_into(&mut conn, &snapshot).map_err(|e| anyhow::anyhow!(e.detail()))?;
    let parent = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(parent).with_context(|| format!("cannot write in {}", parent.display()))?;
    {
        let mut zip = zip::ZipWriter::new(&mut tmp);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file(DB_ENTRY, options)?;
        std::io::copy(&mut std::fs::File::open(&snapshot)?, &mut zip)?;
        let key_file = settings.data_dir.join("session.key");
        if settings.session_key.is_empty() && key_file.exists() {
            zip.start_file(KEY_ENTRY, options)?;
            zip.write_all(std::fs::read(&key_file)?.as_slice())?;
        }
        zip.finish()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(output).map_err(|e| anyhow::anyhow!("cannot write {}: {}", output.display(), e.error))?;
    let note = if settings.session_key.is_empty() {
        "with the session key"
    } else {
        "without the session key, which comes from your settings: keep FOCUSBOARD_SESSION_KEY with the backup"
    };
    Ok(format!("Backup written to {} ({note}).", output.display()))
}

/// Restores a backup into an empty data folder; refuses to overwrite a database that holds
/// boards or accounts.
pub fn restore(settings: &Settings, input: &Path) -> anyhow::Result<String> {
    let path = sqlite_path(settings)?;
    if path.exists() {
        let db = Db::connect(&settings.database_url, 1)?;
        let mut conn = db.get().map_err(|e| anyhow::anyhow!(e.detail()))?;
        let _ = db::run_migrations(&mut conn);
        if db::has_data(&mut conn).map_err(|e| anyhow::anyhow!(e.detail()))? {
            bail!("{} already holds boards or accounts; restore into an empty data folder", path.display());
        }
        drop(conn);
        drop(db);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(input).with_context(|| format!("cannot open {}", input.display()))?)
            .with_context(|| format!("{} is not a focusboard backup", input.display()))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    {
        let mut entry = zip.by_name(DB_ENTRY).with_context(|| format!("{} holds no database", input.display()))?;
        let mut out = std::fs::File::create(&path)?;
        std::io::copy(&mut entry, &mut out)?;
        out.sync_all()?;
    }
    let mut restored_key = false;
    if let Ok(mut entry) = zip.by_name(KEY_ENTRY) {
        let mut key = Vec::new();
        entry.read_to_end(&mut key)?;
        let key_file = settings.data_dir.join("session.key");
        match std::fs::read(&key_file) {
            Ok(existing) if existing != key => {
                bail!("{} holds another session key; move it away to restore this backup's", key_file.display())
            }
            Ok(_) => {}
            Err(_) => {
                std::fs::create_dir_all(&settings.data_dir)?;
                std::fs::write(&key_file, key)?;
            }
        }
        restored_key = true;
    }
    let db = Db::connect(&settings.database_url, 1)?;
    let mut conn = db.get().map_err(|e| anyhow::anyhow!(e.detail()))?;
    let check = db::sqlite_integrity(&mut conn).map_err(|e| anyhow::anyhow!(e.detail()))?;
    if check != "ok" {
        bail!("the restored database is damaged: {check}");
    }
    let applied = db::run_migrations(&mut conn)?;
    db::search::rebuild(&mut conn)?;
    Ok(format!(
        "Restored {} from {}{}{}.",
        path.display(),
        input.display(),
        if restored_key { ", with its session key" } else { "" },
        if applied.is_empty() { String::new() } else { format!(", then applied {} migration(s)", applied.len()) }
    ))
}
