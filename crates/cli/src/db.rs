//! Opening the bank database.

use std::path::PathBuf;

use anyhow::Context;
use hashwatch_store::{SqliteStore, Store};

use crate::flags::DbFlags;

/// `--db`, else `$HASHWATCH_DB` (clap reads both), else hashwatch.db in the
/// user's data directory.
pub fn spec(flags: &DbFlags) -> anyhow::Result<PathBuf> {
    if let Some(path) = &flags.db {
        return Ok(path.clone());
    }
    let dir = dirs::data_dir().context("no data directory for this user; give --db PATH")?;
    Ok(dir.join("hashwatch").join("hashwatch.db"))
}

/// A `postgres://` URL opens PostgreSQL; anything else is a SQLite file.
pub fn open(flags: &DbFlags) -> anyhow::Result<Box<dyn Store + Send + Sync>> {
    let spec = spec(flags)?;
    let opened = match spec.to_str() {
        Some(text) => hashwatch_store::open(text),
        // Not UTF-8, so not a URL.
        None => SqliteStore::open(&spec).map(|s| Box::new(s) as Box<dyn Store + Send + Sync>),
    };
    // Never print a URL: it may carry a password.
    let shown = match spec.to_str() {
        Some(t) if t.contains("://") => "the PostgreSQL database".to_string(),
        _ => spec.display().to_string(),
    };
    opened.with_context(|| format!("cannot open bank database {shown}"))
}

/// The operations on the database `flags` name, the command line acting
/// as the local operator (under the default permission model: the
/// hotline's tenant is `default`).
pub fn operations(flags: &DbFlags) -> anyhow::Result<hashwatch_operations::Operations> {
    operations_with(flags, hashwatch_access::Policy::default())
}

/// [`operations`] under `policy` (a hotline of another tenant).
pub fn operations_with(
    flags: &DbFlags,
    policy: hashwatch_access::Policy,
) -> anyhow::Result<hashwatch_operations::Operations> {
    let store: std::sync::Arc<dyn Store + Send + Sync> = open(flags)?.into();
    Ok(hashwatch_operations::Operations::new(
        store,
        std::sync::Arc::new(policy),
    ))
}
