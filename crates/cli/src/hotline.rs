//! `hashwatch hotline …`: canonical URLs, cases and the blocklist from the
//! database, and a check of the provider registry.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use hashwatch_hotline::{canonical_url, Registry};
use hashwatch_store::hotline;
use serde_json::{json, Value};

use crate::db;
use crate::flags::{DbFlags, HotlineCommand};
use crate::output::Table;

const CASE_COLUMNS: [&str; 9] = [
    "id",
    "state",
    "url",
    "category",
    "provider",
    "jurisdiction",
    "notices",
    "reports",
    "removed_at",
];

pub fn run(command: &HotlineCommand, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut status = ExitCode::SUCCESS;
    match command {
        HotlineCommand::Canonical { urls, format } => {
            let table = Table::new(*format, &["input", "url", "sha256"]);
            table.header(&mut out)?;
            for input in urls {
                match canonical_url(input) {
                    Ok(c) => {
                        table.row(&mut out, vec![json!(input), json!(c.url), json!(c.sha256)])?
                    }
                    Err(e) => {
                        eprintln!("hashwatch: {e}");
                        status = ExitCode::from(1);
                    }
                }
            }
        }
        HotlineCommand::Cases {
            state,
            limit,
            format,
        } => {
            let store = db::open(db_flags)?;
            let table = Table::new(*format, &CASE_COLUMNS);
            table.header(&mut out)?;
            for c in hotline(store.as_ref()).cases(state.as_deref(), *limit)? {
                let row: Vec<Value> = vec![
                    json!(c.id),
                    json!(c.state),
                    json!(c.url),
                    json!(c.category),
                    json!(c.provider),
                    json!(c.jurisdiction),
                    json!(c.notices),
                    json!(c.reports),
                    json!(c.removed_at),
                ];
                table.row(&mut out, row)?;
            }
        }
        HotlineCommand::Blocklist { format } => {
            let store = db::open(db_flags)?;
            let (_, list) = hotline(store.as_ref()).blocklist()?;
            for c in list {
                let line = if format == "sha256" {
                    c.url_sha256
                } else {
                    c.url
                };
                writeln!(out, "{line}")?;
            }
        }
        HotlineCommand::Providers { file, ips } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let registry =
                Registry::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            eprintln!("{}: {} providers", file.display(), registry.len());
            for ip in ips {
                match registry.provider_for(*ip) {
                    Some(p) => writeln!(out, "{ip}\t{}\t{}\t{}", p.name, p.abuse, p.jurisdiction)?,
                    None => {
                        writeln!(out, "{ip}\tunknown")?;
                        status = ExitCode::from(1);
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(status)
}
