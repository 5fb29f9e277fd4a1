//! `hashwatch audit`: checks of the audit log, run on the database
//! directly.

use std::process::ExitCode;

use hashwatch_operations::Caller;
use serde_json::json;

use crate::db;
use crate::flags::{AuditCommand, DbFlags, OutputFormat};

pub fn run(command: &AuditCommand, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { format, kept_head } => {
            let checked = db::operations(db_flags)?
                .verify_audit(&Caller::operator(), kept_head.as_deref())?;
            let (line, status) = match &checked {
                Ok(v) => (
                    json!({
                        "ok": true,
                        "entries": v.entries,
                        "unchained": v.unchained,
                        "cuts": v.cuts,
                        "newest": v.newest,
                        "head": v.head,
                    }),
                    ExitCode::SUCCESS,
                ),
                Err(broken) => (
                    json!({"ok": false, "entry": broken.entry(), "problem": broken.to_string()}),
                    ExitCode::from(1),
                ),
            };
            match format {
                OutputFormat::Json => println!("{line}"),
                OutputFormat::Tsv => match &checked {
                    Ok(v) => println!(
                        "the audit chain holds: {} entries checked, {} written before the chain, {} cuts named by purges\nhead (keep it elsewhere): entry {} {}",
                        v.entries, v.unchained, v.cuts, v.newest, v.head
                    ),
                    Err(broken) => println!("{broken}"),
                },
            }
            Ok(status)
        }
    }
}
