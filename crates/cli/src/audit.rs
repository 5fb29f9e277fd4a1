//! `hashwatch audit`: checks of the audit log, run on the database
//! directly.

use std::process::ExitCode;

use hashwatch_operations::Caller;
use serde_json::json;

use crate::db;
use crate::flags::{AuditCommand, DbFlags, OutputFormat};

pub fn run(command: &AuditCommand, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { format } => {
            let checked = db::operations(db_flags)?.verify_audit(&Caller::operator())?;
            let (line, status) = match &checked {
                Ok(v) => (
                    json!({"ok": true, "entries": v.entries, "unchained": v.unchained}),
                    ExitCode::SUCCESS,
                ),
                Err(broken) => (
                    json!({"ok": false, "entry": broken_entry(broken), "problem": broken.to_string()}),
                    ExitCode::from(1),
                ),
            };
            match format {
                OutputFormat::Json => println!("{line}"),
                OutputFormat::Tsv => match &checked {
                    Ok(v) => println!(
                        "the audit chain holds: {} entries checked, {} written before the chain",
                        v.entries, v.unchained
                    ),
                    Err(broken) => println!("{broken}"),
                },
            }
            Ok(status)
        }
    }
}

fn broken_entry(broken: &hashwatch_model::audit::Broken) -> i64 {
    use hashwatch_model::audit::Broken;
    match broken {
        Broken::Changed(id) | Broken::Unlinked(id) => *id,
        Broken::Truncated { last } => *last,
    }
}
