//! `hashwatch bank …`: the list reader and the bank operations, run as the
//! local operator (under the same legal holds and audit as the API).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use hashwatch_exchange::{
    export_cells, read_list, write_list, ExportFormat, ListFormat, ReadOptions, EXPORT_COLUMNS,
};
use hashwatch_model::{BankKind, EntryRef, ImportSummary};
use hashwatch_operations::banks::{Import, ImportKind, NewBank};
use hashwatch_operations::{Caller, Kind, Operations};
use serde_json::{json, Value};

use crate::flags::DbFlags;
use crate::flags::{BankCommand, ExportFlag, OutputFormat};
use crate::output::Table;
use crate::progress::Progress;
use crate::{db, hashes};

/// The columns of `bank series`.
const SERIES_COLUMNS: [&str; 5] = ["series", "size", "entry_id", "item", "merged"];

pub fn run(command: &BankCommand, db_flags: &DbFlags) -> anyhow::Result<ExitCode> {
    let ops = db::operations(db_flags)?;
    let caller = Caller::operator();
    let mut out = BufWriter::new(io::stdout().lock());
    match command {
        BankCommand::Create {
            name,
            negative,
            description,
        } => {
            let kind = if *negative {
                BankKind::Negative
            } else {
                BankKind::Positive
            };
            let new = NewBank {
                name: name.clone(),
                kind,
                enabled_ratio: None,
                description: description.clone(),
            };
            let bank = ops.create_bank(&caller, &new)?;
            eprintln!("created {} bank {:?}", kind.name(), bank.name);
        }
        BankCommand::List { format } => {
            let table = Table::new(*format, &LIST_COLUMNS);
            table.header(&mut out)?;
            for (b, _) in ops.banks(&caller)? {
                table.row(
                    &mut out,
                    vec![
                        Value::from(b.name),
                        Value::from(b.kind.name()),
                        Value::from(b.active),
                        Value::from(b.revoked),
                        Value::from(b.version),
                        Value::from(b.created_at),
                        Value::from(b.description.unwrap_or_default()),
                    ],
                )?;
            }
        }
        BankCommand::Delete { name } => {
            let bank = ops.delete_bank(&caller, name)?;
            eprintln!(
                "deleted bank {:?} ({} active and {} revoked entries)",
                bank.name, bank.active, bank.revoked
            );
        }
        BankCommand::Import {
            name,
            file,
            column,
            signal_type,
            category,
            source,
            skip_duplicates,
            create,
            series,
            no_progress,
        } => {
            match ops.bank(&caller, name) {
                Err(e) if *create && e.kind == Kind::NotFound => {
                    let new = NewBank {
                        name: name.clone(),
                        kind: BankKind::Positive,
                        enabled_ratio: None,
                        description: None,
                    };
                    ops.create_bank(&caller, &new)?;
                }
                other => {
                    other?;
                }
            }
            let options = ReadOptions {
                column: column.clone(),
                signal_type: *signal_type,
                category: category.clone(),
                source: source
                    .clone()
                    .or_else(|| file.file_name().map(|f| f.to_string_lossy().into_owned())),
                skip_duplicates: *skip_duplicates,
            };
            let list = read_list(file, &options)?;
            // Entries are numbered in order: those above the bank's last
            // before the import are the imported ones.
            let last_before = match series {
                Some(_) => {
                    let mut last = 0;
                    ops.entries(&caller, name, true, &mut |e| last = last.max(e.id))?;
                    Some(last)
                }
                None => None,
            };
            let mut progress = Progress::new(list.entries.len() as u64, !no_progress);
            let origin = file.to_string_lossy();
            let format = format!("{:?}", list.format).to_ascii_lowercase();
            let detail = |s: &ImportSummary| {
                json!({
                    "file": origin,
                    "format": format,
                    "added": s.added,
                    "already_present": s.already_present,
                    "skipped_duplicates": list.skipped_duplicates,
                    "shared_rows": list.shared_rows,
                    "version": s.version,
                })
            };
            let import = Import {
                bank: name,
                entries: &list.entries,
                origin: &origin,
                kind: ImportKind::List,
                detail: &detail,
            };
            let (_, summary) =
                ops.import(&caller, import, &mut |done| progress.set(done as u64))?;
            progress.finish();
            let mut note = format!(
                "imported {} entries into {:?} (version {}); {} already present",
                summary.added, name, summary.version, summary.already_present
            );
            if list.shared_rows > 0 {
                let what = match (list.format, list.shared_rows) {
                    (ListFormat::HashOutput, 1) => "file",
                    (ListFormat::HashOutput, _) => "files",
                    (_, 1) => "item",
                    _ => "items",
                };
                note += &format!(
                    "; {} {what} shared a hash with an earlier row (each is kept as its own item)",
                    list.shared_rows
                );
            }
            if list.skipped_duplicates > 0 {
                note += &format!(
                    "; {} repeated in the file, skipped",
                    list.skipped_duplicates
                );
            }
            if list.skipped_revoked > 0 {
                note += &format!(
                    "; {} revoked in the export, not imported",
                    list.skipped_revoked
                );
            }
            eprintln!("{note}");
            if let (Some(radius), Some(last_before)) = (series, last_before) {
                let grouping = ops.bank_series(&caller, name, *radius)?;
                for merge in grouping.merges().iter().filter(|m| m.entry > last_before) {
                    let merged: Vec<String> = merge.merged.iter().map(u64::to_string).collect();
                    eprintln!(
                        "entry {} (item {:?}) merged series {} into series {} (radius {radius})",
                        merge.entry,
                        grouping.item_of(merge.entry).unwrap_or_default(),
                        merged.join(", "),
                        merge.into,
                    );
                }
            }
        }
        BankCommand::Export {
            name,
            include_revoked,
            format,
        } => {
            let list_format = match format {
                ExportFlag::Tsv | ExportFlag::Json => None,
                ExportFlag::Vics => Some(ExportFormat::Vics),
                ExportFlag::Icse => Some(ExportFormat::Icse),
                ExportFlag::Pytx => Some(ExportFormat::Pytx),
                ExportFlag::Plain => Some(ExportFormat::Plain),
            };
            if let Some(list_format) = list_format {
                // These formats group an item's entries, so they are
                // gathered first.
                let mut entries = Vec::new();
                ops.entries(&caller, name, false, &mut |e| entries.push(e))?;
                write_list(&mut out, list_format, &entries)?;
                out.flush()?;
                return Ok(ExitCode::SUCCESS);
            }
            let table_format = if *format == ExportFlag::Json {
                OutputFormat::Json
            } else {
                OutputFormat::Tsv
            };
            let table = Table::new(table_format, &EXPORT_COLUMNS);
            table.header(&mut out)?;
            // Streamed: a bank may hold millions of entries.
            let mut written = Ok(());
            ops.entries(&caller, name, *include_revoked, &mut |entry| {
                if written.is_ok() {
                    let cells = export_cells(&entry).into_iter().map(Value::from).collect();
                    written = table.row(&mut out, cells);
                }
            })?;
            written?;
        }
        BankCommand::Series {
            name,
            radius,
            format,
        } => {
            let started = std::time::Instant::now();
            let grouping = ops.bank_series(&caller, name, *radius)?;
            let merged_by: std::collections::HashMap<u64, &Vec<u64>> = grouping
                .merges()
                .iter()
                .map(|m| (m.entry, &m.merged))
                .collect();
            let table = Table::new(*format, &SERIES_COLUMNS);
            table.header(&mut out)?;
            let series = grouping.series();
            for (id, entries) in &series {
                let size = grouping.series_of(*id).map_or(entries.len(), |s| s.1);
                for entry in entries {
                    let merged = merged_by
                        .get(entry)
                        .map(|m| m.iter().map(u64::to_string).collect::<Vec<_>>().join(" "));
                    table.row(
                        &mut out,
                        vec![
                            Value::from(*id),
                            Value::from(size),
                            Value::from(*entry),
                            Value::from(grouping.item_of(*entry).unwrap_or_default()),
                            Value::from(merged.unwrap_or_default()),
                        ],
                    )?;
                }
            }
            eprintln!(
                "{} series of {} PDQ entries (radius {radius}, {} merges) in {:.1?}",
                series.len(),
                series.iter().map(|(_, e)| e.len()).sum::<usize>(),
                grouping.merges().len(),
                started.elapsed()
            );
        }
        BankCommand::Revoke {
            name,
            entries,
            reason,
        } => {
            if reason.trim().is_empty() {
                bail!("give a reason for the revocation: it stays in the history");
            }
            for entry in entries {
                revoke_one(&ops, &caller, name, entry, reason)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Revokes one entry, given by id or hash.
fn revoke_one(
    ops: &Operations,
    caller: &Caller,
    name: &str,
    entry: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let refs: Vec<EntryRef> = match entry.parse::<u64>() {
        Ok(id) if entry.len() < 32 => vec![EntryRef::Id(id)],
        _ => hashes::parse(entry)
            .with_context(|| format!("{entry:?} is neither an entry id nor a hash"))?
            .into_iter()
            .map(|(t, v)| EntryRef::Value(t, v))
            .collect(),
    };
    // Bare 64-digit hex may be PDQ or SHA-256: revoke whichever is there.
    let mut last_err = None;
    for r in &refs {
        match ops.revoke(caller, name, r, reason) {
            Ok(ids) => {
                let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
                eprintln!("revoked entries {} in {name:?}", ids.join(", "));
                return Ok(());
            }
            Err(e) => last_err = Some(e),
        }
    }
    match last_err {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

const LIST_COLUMNS: [&str; 7] = [
    "name",
    "kind",
    "active",
    "revoked",
    "version",
    "created_at",
    "description",
];
