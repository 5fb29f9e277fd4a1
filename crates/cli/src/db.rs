//! Opening the bank database.

use std::path::PathBuf;

use anyhow::Context;
use hashwatch_store::SqliteStore;

use crate::flags::DbFlags;

/// `--db`, else `$HASHWATCH_DB` (clap reads both), else hashwatch.db in the
/// user's data directory.
pub fn path(flags: &DbFlags) -> anyhow::Result<PathBuf> {
    if let Some(path) = &flags.db {
        return Ok(path.clone());
    }
    let dir = dirs::data_dir().context("no data directory for this user; give --db PATH")?;
    Ok(dir.join("hashwatch").join("hashwatch.db"))
}

pub fn open(flags: &DbFlags) -> anyhow::Result<SqliteStore> {
    let path = path(flags)?;
    SqliteStore::open(&path)
        .with_context(|| format!("cannot open bank database {}", path.display()))
}
