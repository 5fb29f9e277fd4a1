//! Writing hashwatch's bank export.

use std::io::{self, Write};

use hashwatch_store::Entry;

/// The export's columns, in order.
pub const EXPORT_COLUMNS: [&str; 11] = [
    "entry_id",
    "signal_type",
    "hash",
    "quality",
    "content_id",
    "category",
    "source",
    "added_at",
    "added_version",
    "revoked_at",
    "revoke_reason",
];

/// Cells of one entry, in [`EXPORT_COLUMNS`] order; absent values are empty.
pub fn export_cells(entry: &Entry) -> [String; 11] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        entry.id.to_string(),
        entry.signal.signal_type.name().to_string(),
        entry.value_hex(),
        entry
            .signal
            .quality
            .map(|q| q.to_string())
            .unwrap_or_default(),
        opt(&entry.signal.content_id),
        opt(&entry.signal.category),
        opt(&entry.signal.source),
        entry.added_at.clone(),
        entry.added_version.to_string(),
        opt(&entry.revoked_at),
        opt(&entry.revoke_reason),
    ]
}

/// Writes entries as TSV with a header. Tabs and newlines inside values
/// become spaces, so every row stays one line.
pub fn write_export<W: Write>(
    out: &mut W,
    entries: impl IntoIterator<Item = Entry>,
) -> io::Result<()> {
    writeln!(out, "{}", EXPORT_COLUMNS.join("\t"))?;
    for entry in entries {
        let cells = export_cells(&entry).map(|c| c.replace(['\t', '\n', '\r'], " "));
        writeln!(out, "{}", cells.join("\t"))?;
    }
    Ok(())
}
