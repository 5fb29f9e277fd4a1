//! Writing hash lists: hashwatch's bank export, VICS JSON, ICSE-style CSV,
//! python-threatexchange's dataset CSV and plain lists.

use std::io::{self, Write};

use hashwatch_model::{Entry, SignalType};
use serde_json::{Map, Value};

/// The export's columns, in order.
pub const EXPORT_COLUMNS: [&str; 13] = [
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
    "metadata",
    "derived",
];

/// Cells of one entry, in [`EXPORT_COLUMNS`] order; absent values are empty.
pub fn export_cells(entry: &Entry) -> [String; 13] {
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
        opt(&entry.signal.metadata),
        opt(&entry.signal.derived),
    ]
}

/// Writes entries as TSV with a header. Tabs and newlines inside values
/// become spaces, so every row stays one line.
pub fn write_export<W: Write>(
    out: &mut W,
    entries: impl IntoIterator<Item = Entry>,
) -> io::Result<()> {
    write_export_header(out)?;
    for entry in entries {
        write_export_row(out, &entry)?;
    }
    Ok(())
}

/// The TSV export's header line: with [`write_export_row`], an export
/// written one entry at a time, as a store hands them out.
pub fn write_export_header<W: Write>(out: &mut W) -> io::Result<()> {
    writeln!(out, "{}", EXPORT_COLUMNS.join("\t"))
}

/// One entry's line of the TSV export.
pub fn write_export_row<W: Write>(out: &mut W, entry: &Entry) -> io::Result<()> {
    let cells = export_cells(entry).map(|c| c.replace(['\t', '\n', '\r'], " "));
    writeln!(out, "{}", cells.join("\t"))
}

/// The formats a bank can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// hashwatch's TSV export (everything, reads back in).
    Tsv,
    /// Project VIC's VICS JSON: one record per item.
    Vics,
    /// ICSE-style `;`-separated CSV: one row per item.
    Icse,
    /// python-threatexchange's dataset CSV
    /// (`collab,signal_type,signal_str,category,tags`).
    Pytx,
    /// `TYPE VALUE` per line.
    Plain,
}

/// Entries grouped into items by content id, in order of first appearance
/// (entries without one are items of their own).
fn items(entries: &[Entry]) -> Vec<Vec<&Entry>> {
    let mut order: Vec<Vec<&Entry>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for e in entries {
        match &e.signal.content_id {
            Some(id) => {
                let slot = *index.entry(id.as_str()).or_insert_with(|| {
                    order.push(Vec::new());
                    order.len() - 1
                });
                order[slot].push(e);
            }
            None => order.push(vec![e]),
        }
    }
    order
}

fn metadata_of(item: &[&Entry]) -> Map<String, Value> {
    item.iter()
        .find_map(|e| e.signal.metadata.as_deref())
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .and_then(|v| match v {
            Value::Object(o) => Some(o),
            _ => None,
        })
        .unwrap_or_default()
}

/// An item's id for VICS and ICSE, unless it is one the reader made up
/// for an item that had none.
fn media_id(entry: &Entry) -> Option<String> {
    entry
        .signal
        .content_id
        .clone()
        .filter(|id| !id.starts_with("record ") && !id.starts_with("row "))
}

/// The key a signal type has in VICS and ICSE lists.
fn wide_name(t: SignalType) -> &'static str {
    match t {
        SignalType::Md5 => "MD5",
        SignalType::Sha1 => "SHA1",
        SignalType::Sha256 => "SHA256",
        SignalType::PhotoDna => "PhotoDNA",
        SignalType::Pdq => "PDQ",
        SignalType::Vpdq => "vPDQ",
    }
}

/// The first entry of each value: lists without items (plain, pytx) name a
/// value shared by several items once, so that they read back.
fn once_per_value(entries: &[Entry]) -> impl Iterator<Item = &Entry> {
    let mut seen = std::collections::HashSet::new();
    entries
        .iter()
        .filter(move |e| seen.insert((e.signal.signal_type, e.signal.value.as_slice())))
}

/// Writes entries in `format`. VICS and ICSE group entries into items by
/// content id and give each item's metadata back as fields or columns.
pub fn write_list<W: Write>(
    out: &mut W,
    format: ExportFormat,
    entries: &[Entry],
) -> io::Result<()> {
    if format != ExportFormat::Tsv && entries.iter().any(|e| e.signal.derived.is_some()) {
        // Derived hashes are marked only in hashwatch's TSV: in any other
        // list they would pass for the item's own hash.
        let own: Vec<Entry> = entries
            .iter()
            .filter(|e| e.signal.derived.is_none())
            .cloned()
            .collect();
        return write_list(out, format, &own);
    }
    match format {
        ExportFormat::Tsv => write_export(out, entries.iter().cloned()),
        ExportFormat::Plain => {
            for e in once_per_value(entries) {
                writeln!(out, "{} {}", e.signal.signal_type, e.value_hex())?;
            }
            Ok(())
        }
        ExportFormat::Pytx => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["collab", "signal_type", "signal_str", "category", "tags"])?;
            for e in once_per_value(entries) {
                let tags = metadata_of(&[e])
                    .get("tags")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let collab = metadata_of(&[e])
                    .get("collab")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                w.write_record([
                    collab.as_str(),
                    e.signal.signal_type.name(),
                    &e.value_hex(),
                    e.signal.category.as_deref().unwrap_or_default(),
                    &tags,
                ])?;
            }
            w.flush()
        }
        ExportFormat::Vics => {
            let records: Vec<Value> = items(entries)
                .iter()
                .map(|item| {
                    let mut record = Map::new();
                    if let Some(id) = media_id(item[0]) {
                        let id = id
                            .parse::<u64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| Value::from(id));
                        record.insert("MediaID".into(), id);
                    }
                    if let Some(c) = item[0].signal.category.as_deref() {
                        let c = c
                            .parse::<i64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| Value::from(c));
                        record.insert("Category".into(), c);
                    }
                    for e in item {
                        record.insert(
                            wide_name(e.signal.signal_type).into(),
                            Value::from(e.value_hex()),
                        );
                    }
                    for (k, v) in metadata_of(item) {
                        record.entry(k).or_insert(v);
                    }
                    Value::Object(record)
                })
                .collect();
            let document = serde_json::json!({
                "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media",
                "value": records,
            });
            serde_json::to_writer_pretty(&mut *out, &document)?;
            writeln!(out)
        }
        ExportFormat::Icse => {
            let items = items(entries);
            let mut extra: Vec<String> = Vec::new();
            for item in &items {
                for k in metadata_of(item).keys() {
                    if !extra.contains(k) {
                        extra.push(k.clone());
                    }
                }
            }
            let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
            let mut header: Vec<String> = [
                "MediaID", "MD5", "SHA1", "SHA256", "PhotoDNA", "PDQ", "Category",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            header.extend(extra.iter().cloned());
            w.write_record(&header)?;
            for item in &items {
                let value_of = |t: SignalType| {
                    item.iter()
                        .find(|e| e.signal.signal_type == t)
                        .map(|e| e.value_hex())
                        .unwrap_or_default()
                };
                let mut row = vec![
                    media_id(item[0]).unwrap_or_default(),
                    value_of(SignalType::Md5),
                    value_of(SignalType::Sha1),
                    value_of(SignalType::Sha256),
                    value_of(SignalType::PhotoDna),
                    value_of(SignalType::Pdq),
                    item[0].signal.category.clone().unwrap_or_default(),
                ];
                let metadata = metadata_of(item);
                for k in &extra {
                    row.push(match metadata.get(k) {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Null) | None => String::new(),
                        Some(other) => other.to_string(),
                    });
                }
                w.write_record(&row)?;
            }
            w.flush()
        }
    }
}
