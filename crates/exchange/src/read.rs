//! Reading hash lists.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use hashwatch_model::{value_order, NewEntry, SignalType, ValueError};

/// How to read a list.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The column holding the hashes, in a table with a header.
    pub column: Option<String>,
    /// The signal type of every value (otherwise from the column name or
    /// the value's length).
    pub signal_type: Option<SignalType>,
    /// Category for entries that carry none.
    pub category: Option<String>,
    /// Source for entries that carry none.
    pub source: Option<String>,
    /// Skip repeated values instead of refusing the file.
    pub skip_duplicates: bool,
}

/// Columns hashwatch reads itself; any other column's cells are kept as the
/// entry's metadata.
const KNOWN_COLUMNS: [&str; 26] = [
    "path",
    "pdq",
    "vpdq",
    "quality",
    "md5",
    "sha1",
    "sha256",
    "photodna",
    "video_md5",
    "signal_type",
    "hash",
    "value",
    "signal_value",
    "signal_str",
    "content_id",
    "category",
    "source",
    "entry_id",
    "added_at",
    "added_version",
    "revoked_at",
    "revoke_reason",
    "metadata",
    "mediaid",
    "derived",
    "pdq_derived",
];

/// A signal type by the names hash lists use: hashwatch's, HMA's
/// `video_md5`, ThreatExchange's `HASH_MD5` and `HASH_VIDEO_VPDQ`, VICS's
/// `PhotoDNA`.
pub fn type_named(name: &str) -> Option<SignalType> {
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_prefix("hash_").unwrap_or(&name);
    match name {
        "pdq" => Some(SignalType::Pdq),
        "md5" | "video_md5" => Some(SignalType::Md5),
        "sha1" => Some(SignalType::Sha1),
        "sha256" => Some(SignalType::Sha256),
        "photodna" => Some(SignalType::PhotoDna),
        "vpdq" | "video_vpdq" => Some(SignalType::Vpdq),
        _ => None,
    }
}

/// The formats recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    /// The output of `hashwatch hash`.
    HashOutput,
    /// A table with `signal_type` and a value column (hashwatch's export).
    Typed,
    /// A table with the hashes in a named column.
    Column,
    /// One hex value per line, or `TYPE VALUE` / `TYPE,VALUE` per line (as
    /// python-threatexchange prints signals).
    Plain,
    /// A table with a column per signal type (`MD5`, `SHA1`, `PhotoDNA`, …),
    /// one item per row: ICSE-style `;`-separated CSV, or any CSV/TSV.
    Wide,
    /// Project VIC's VICS JSON: records under `value`, with `MD5`, `SHA1`,
    /// `PhotoDNA`, `Category`, `Series` and the rest kept as metadata.
    Vics,
}

/// A list read whole.
#[derive(Debug, Clone)]
pub struct ReadList {
    /// The entries, in file order.
    pub entries: Vec<NewEntry>,
    /// The format found.
    pub format: ListFormat,
    /// Rows of an export that were revoked there, and not read.
    pub skipped_revoked: usize,
    /// Repeated values skipped (only with `skip_duplicates`).
    pub skipped_duplicates: usize,
    /// Rows (items) that share a value with an earlier row of another item:
    /// two files with one picture. They are kept, each as its own item.
    pub shared_rows: usize,
}

/// Why a list cannot be read: the file, the line (1-based) when one is to
/// blame, and what to fix.
#[derive(Debug)]
pub struct Error {
    /// The file.
    pub path: PathBuf,
    /// The line, when one line is to blame.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Reads and validates a whole list. Nothing is returned unless every line
/// is good.
pub fn read_list(path: &Path, options: &ReadOptions) -> Result<ReadList, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    read_bytes(path, bytes, options)
}

/// As [`read_list`], for a list already in memory (an upload); `name` is
/// what errors call it.
pub fn read_bytes(name: &Path, bytes: Vec<u8>, options: &ReadOptions) -> Result<ReadList, Error> {
    let path = name;
    let fail = |line: Option<u64>, message: String| Error {
        path: path.to_path_buf(),
        line,
        message,
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        fail(Some(line), "not UTF-8 text".to_string())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or_else(|| fail(None, "empty file: no hashes in it".to_string()))?;

    // About one entry a line: reserving up front saves growing (and
    // copying) a vector of a million entries twenty times.
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut sink = Sink::new(options, lines);
    let format = if first.starts_with('{') || first.starts_with('[') {
        read_vics(text, &mut sink).map_err(|(line, m)| fail(line, m))?;
        ListFormat::Vics
    } else if options.column.is_some() || looks_like_header(first) {
        read_table(text, first, options, &mut sink).map_err(|(line, m)| fail(line, m))?
    } else {
        read_plain(text, options, &mut sink).map_err(|(line, m)| fail(Some(line), m))?;
        ListFormat::Plain
    };
    if sink.entries.is_empty() {
        return Err(fail(None, "no hashes in it".to_string()));
    }
    sink.dedup().map_err(|(line, m)| fail(Some(line), m))?;
    Ok(ReadList {
        entries: sink.entries,
        format,
        skipped_revoked: sink.skipped_revoked,
        skipped_duplicates: sink.skipped_duplicates,
        shared_rows: sink.shared_rows,
    })
}

/// A header names columns; a hash list's first line is a hash, or a type
/// and a hash.
fn looks_like_header(line: &str) -> bool {
    if typed_line(line).is_some() {
        return false;
    }
    let cells: Vec<&str> = line.split(['\t', ',', ';']).map(str::trim).collect();
    cells.len() > 1
        || !cells
            .iter()
            .all(|c| c.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Collects entries, then refuses (or skips) repeats.
struct Sink<'a> {
    options: &'a ReadOptions,
    entries: Vec<NewEntry>,
    /// The line of each entry.
    lines: Vec<u64>,
    skipped_revoked: usize,
    skipped_duplicates: usize,
    shared_rows: usize,
}

impl<'a> Sink<'a> {
    fn new(options: &'a ReadOptions, capacity: usize) -> Sink<'a> {
        Sink {
            options,
            entries: Vec::with_capacity(capacity),
            lines: Vec::with_capacity(capacity),
            skipped_revoked: 0,
            skipped_duplicates: 0,
            shared_rows: 0,
        }
    }

    fn push(&mut self, line: u64, mut entry: NewEntry) -> Result<(), String> {
        if entry.category.is_none() {
            entry.category.clone_from(&self.options.category);
        }
        if entry.source.is_none() {
            entry.source.clone_from(&self.options.source);
        }
        self.entries.push(entry);
        self.lines.push(line);
        Ok(())
    }

    /// Finds repeated values by sorting (no hashing of untrusted input, no
    /// copy of the values). A value an earlier row gave for another item
    /// (two files with one picture) is kept: each item gets its entry, and
    /// the row is counted in `shared_rows`. A value repeated for the same
    /// item (or in a list without items) refuses the file, naming the
    /// earliest such line, or with `skip_duplicates` keeps the first.
    fn dedup(&mut self) -> Result<(), (u64, String)> {
        // (a repeat, the first occurrence of its value for that item)
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        let mut shared_lines: Vec<u64> = Vec::new();
        let order = value_order(&self.entries);
        let mut group: Vec<usize> = Vec::new();
        for (i, place) in order.iter().enumerate() {
            group.push(place.at);
            let group_ends = order.get(i + 1).is_none_or(|next| !next.repeat);
            if !group_ends {
                continue;
            }
            if group.len() > 1 {
                self.sort_out(&group, &mut repeats, &mut shared_lines);
            }
            group.clear();
        }
        shared_lines.sort_unstable();
        shared_lines.dedup();
        self.shared_rows = shared_lines.len();
        if repeats.is_empty() {
            return Ok(());
        }
        if !self.options.skip_duplicates {
            let (later, first) = repeats.iter().min().copied().unwrap_or_default();
            let e = &self.entries[later];
            return Err((
                self.lines[later],
                format!(
                    "{} {} repeats line {} (use --skip-duplicates to keep the first)",
                    e.signal_type,
                    e.signal_type.format_value(&e.value),
                    self.lines[first]
                ),
            ));
        }
        let mut drop = vec![false; self.entries.len()];
        for (later, _) in &repeats {
            drop[*later] = true;
        }
        self.skipped_duplicates = repeats.len();
        let mut keep = drop.iter().map(|d| !d);
        self.entries.retain(|_| keep.next().unwrap_or(true));
        let mut keep = drop.iter().map(|d| !d);
        self.lines.retain(|_| keep.next().unwrap_or(true));
        Ok(())
    }

    /// Splits the positions of one value (in file order) into repeats for
    /// an item that already has it, and rows of other items sharing it.
    fn sort_out(
        &self,
        group: &[usize],
        repeats: &mut Vec<(usize, usize)>,
        shared_lines: &mut Vec<u64>,
    ) {
        // By item, then file order: an item's repeats follow its first.
        let mut by_item = group.to_vec();
        by_item.sort_by(|&a, &b| {
            (&self.entries[a].content_id, a).cmp(&(&self.entries[b].content_id, b))
        });
        // Entries without an item (a plain list) sort first and are
        // repeats of each other.
        let mut first = by_item[0];
        let mut local = Vec::new();
        for pair in by_item.windows(2) {
            let (previous, at) = (pair[0], pair[1]);
            if self.entries[at].content_id == self.entries[previous].content_id {
                local.push((at, first));
            } else {
                first = at;
            }
        }
        local.sort_unstable();
        let earliest = group[0];
        for &at in &group[1..] {
            debug_assert!(at > earliest);
            if local.binary_search_by_key(&at, |(r, _)| *r).is_err() {
                shared_lines.push(self.lines[at]);
            }
        }
        repeats.extend(local);
    }
}

/// Parses `text` as a value of `signal_type`, or of the type its length
/// implies.
fn parse_value(
    text: &str,
    signal_type: Option<SignalType>,
) -> Result<(SignalType, Vec<u8>), String> {
    let text = text.trim();
    let t = match signal_type {
        Some(t) => t,
        None => SignalType::for_hex_len(text.len()).ok_or_else(|| {
            if text.bytes().all(|b| b.is_ascii_hexdigit()) {
                ValueError::UnknownLength(text.len()).to_string()
            } else {
                format!("{text:?} is not a hex hash")
            }
        })?,
    };
    let value = t.parse_value(text).map_err(|e| format!("{text:?}: {e}"))?;
    Ok((t, value))
}

fn read_plain(text: &str, options: &ReadOptions, sink: &mut Sink<'_>) -> Result<(), (u64, String)> {
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (t, value) = match typed_line(line) {
            Some((t, text)) => {
                if options.signal_type.is_some_and(|only| only != t) {
                    continue;
                }
                parse_value(text, Some(t))
            }
            None => parse_value(line, options.signal_type),
        }
        .map_err(|m| (n, m))?;
        sink.push(n, NewEntry::new(t, value)).map_err(|m| (n, m))?;
    }
    Ok(())
}

/// Column positions of a table's known fields.
struct Columns {
    index: HashMap<String, usize>,
}

impl Columns {
    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        self.index
            .get(name)
            .and_then(|&i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

fn read_table(
    text: &str,
    header_line: &str,
    options: &ReadOptions,
    sink: &mut Sink<'_>,
) -> Result<ListFormat, (Option<u64>, String)> {
    let tab = header_line.contains('\t');
    // ICSE's lists are `;`-separated.
    let semicolon = !tab && header_line.contains(';') && !header_line.contains(',');
    let delimiter = match (tab, semicolon) {
        (true, _) => b'\t',
        (_, true) => b';',
        _ => b',',
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        // TSV has no quoting: a quote is an ordinary character.
        .quoting(!tab)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| (Some(1), format!("unreadable header: {e}")))?
        .clone();
    let columns = Columns {
        index: headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_ascii_lowercase(), i))
            .collect(),
    };
    let has = |name: &str| columns.index.contains_key(name);
    let value_column = ["hash", "value", "signal_value", "signal_str"]
        .into_iter()
        .find(|c| has(c));
    let format = if let Some(column) = &options.column {
        if !has(&column.to_ascii_lowercase()) {
            return Err((
                Some(1),
                format!(
                    "no column {column:?}; the header has: {}",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        ListFormat::Column
    } else if has("path") && has("pdq") && has("quality") {
        ListFormat::HashOutput
    } else if has("signal_type") && value_column.is_some() {
        ListFormat::Typed
    } else if headers.iter().any(|h| type_named(h).is_some()) {
        ListFormat::Wide
    } else {
        return Err((
            Some(1),
            format!(
                "a header without a known hash column ({}); name the column with --column",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    };

    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            (line, format!("malformed row: {e}"))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let at = |m: String| (Some(line), m);
        let metadata = row_metadata(&headers, &record).map_err(at)?;
        let provenance = |mut e: NewEntry| {
            e.content_id = columns.get(&record, "content_id").map(str::to_string);
            e.category = columns.get(&record, "category").map(str::to_string);
            e.source = columns.get(&record, "source").map(str::to_string);
            e.metadata.clone_from(&metadata);
            e
        };
        match format {
            ListFormat::Column => {
                let name = options
                    .column
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let cell = columns
                    .get(&record, &name)
                    .ok_or_else(|| at(format!("no value in column {name:?}")))?;
                let (t, value) = parse_value(cell, options.signal_type).map_err(at)?;
                sink.push(line, provenance(NewEntry::new(t, value)))
                    .map_err(at)?;
            }
            ListFormat::Typed => {
                if columns.get(&record, "revoked_at").is_some() {
                    sink.skipped_revoked += 1;
                    continue;
                }
                let type_name = columns
                    .get(&record, "signal_type")
                    .ok_or_else(|| at("no signal_type".to_string()))?;
                let t = type_named(type_name)
                    .ok_or_else(|| at(format!("unknown signal type {type_name:?}")))?;
                if options.signal_type.is_some_and(|only| only != t) {
                    continue;
                }
                let cell = value_column
                    .and_then(|c| columns.get(&record, c))
                    .ok_or_else(|| at("no hash value".to_string()))?;
                let (t, value) = parse_value(cell, Some(t)).map_err(at)?;
                let mut entry = provenance(NewEntry::new(t, value));
                entry.quality = quality(&columns, &record).map_err(at)?;
                entry.derived = match columns.get(&record, "derived") {
                    None => None,
                    Some(_) if t != SignalType::Pdq => {
                        return Err(at(format!(
                            "a derived {t} value: only PDQ hashes are derived"
                        )))
                    }
                    Some(view) => Some(view_name(view).map_err(at)?),
                };
                sink.push(line, entry).map_err(at)?;
            }
            ListFormat::HashOutput => {
                // `hashwatch hash` makes every type but PhotoDNA: the
                // digests for every file, PDQ for images, vPDQ for videos
                // (an animated GIF has both; older output has no vpdq).
                let pictures = [SignalType::Pdq, SignalType::Vpdq];
                if pictures
                    .iter()
                    .all(|t| columns.get(&record, t.name()).is_none())
                {
                    return Err(at("no pdq or vpdq value".to_string()));
                }
                for t in SignalType::ALL
                    .into_iter()
                    .filter(|t| *t != SignalType::PhotoDna)
                {
                    if options.signal_type.is_some_and(|only| only != t) {
                        continue;
                    }
                    let cell = match columns.get(&record, t.name()) {
                        None if pictures.contains(&t) => continue,
                        cell => cell.ok_or_else(|| at(format!("no {t} value")))?,
                    };
                    let (t, value) = parse_value(cell, Some(t)).map_err(at)?;
                    let mut entry = NewEntry::new(t, value);
                    entry.content_id = columns.get(&record, "path").map(str::to_string);
                    if t == SignalType::Pdq {
                        entry.quality = quality(&columns, &record).map_err(at)?;
                    }
                    sink.push(line, entry).map_err(at)?;
                }
                let wanted = options.signal_type.is_none_or(|t| t == SignalType::Pdq);
                if let Some(cell) = columns.get(&record, "pdq_derived").filter(|_| wanted) {
                    for item in cell.split_whitespace() {
                        let mut entry = derived_entry(item).map_err(at)?;
                        entry.content_id = columns.get(&record, "path").map(str::to_string);
                        sink.push(line, entry).map_err(at)?;
                    }
                }
            }
            ListFormat::Wide => {
                let mut found = false;
                let content_id = columns
                    .get(&record, "content_id")
                    .or_else(|| columns.get(&record, "mediaid"))
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("row {line}"));
                for (i, header) in headers.iter().enumerate() {
                    let Some(t) = type_named(header) else {
                        continue;
                    };
                    let Some(cell) = record.get(i).map(str::trim).filter(|c| !c.is_empty()) else {
                        continue;
                    };
                    found = true;
                    if options.signal_type.is_some_and(|only| only != t) {
                        continue;
                    }
                    let (t, value) = parse_value(cell, Some(t)).map_err(at)?;
                    let mut entry = provenance(NewEntry::new(t, value));
                    entry.content_id = Some(content_id.clone());
                    sink.push(line, entry).map_err(at)?;
                }
                if !found {
                    return Err(at("a row without any hash".to_string()));
                }
            }
            ListFormat::Plain | ListFormat::Vics => {}
        }
    }
    Ok(format)
}

/// A view name as hashwatch-robust spells it, checked.
fn view_name(text: &str) -> Result<String, String> {
    text.parse::<hashwatch_model::view::View>()
        .map(|v| v.name())
        .map_err(|e| e.to_string())
}

/// A derived hash from `hashwatch hash --robust`'s `VIEW:HASH:QUALITY`.
fn derived_entry(item: &str) -> Result<NewEntry, String> {
    let mut parts = item.split(':');
    let (Some(view), Some(hash), Some(q), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("derived hash {item:?} is not VIEW:HASH:QUALITY"));
    };
    let value = SignalType::Pdq
        .parse_value(hash)
        .map_err(|e| format!("derived hash {item:?}: {e}"))?;
    let quality = q
        .parse::<u8>()
        .ok()
        .filter(|q| *q <= 100)
        .ok_or_else(|| format!("derived hash {item:?}: quality {q:?} is not 0-100"))?;
    let mut entry = NewEntry::new(SignalType::Pdq, value);
    entry.quality = Some(quality);
    entry.derived = Some(view_name(view).map_err(|e| format!("derived hash {item:?}: {e}"))?);
    Ok(entry)
}

fn quality(columns: &Columns, record: &csv::StringRecord) -> Result<Option<u8>, String> {
    columns
        .get(record, "quality")
        .map(|q| {
            q.parse::<u8>()
                .ok()
                .filter(|q| *q <= 100)
                .ok_or_else(|| format!("quality {q:?} is not a number from 0 to 100"))
        })
        .transpose()
}

/// `TYPE VALUE` or `TYPE,VALUE` with a known type name.
fn typed_line(line: &str) -> Option<(SignalType, &str)> {
    let (name, value) = line.trim().split_once([' ', ',', '\t'])?;
    let value = value.trim();
    // A vPDQ value is a JSON list, spaces and commas included.
    if type_named(name) == Some(SignalType::Vpdq) {
        return Some((SignalType::Vpdq, value));
    }
    if value.contains([' ', ',', '\t']) {
        return None;
    }
    Some((type_named(name)?, value))
}

/// The cells of columns hashwatch does not read, with a `metadata` column's
/// JSON object merged in, as one JSON object (`None` when empty).
fn row_metadata(
    headers: &csv::StringRecord,
    record: &csv::StringRecord,
) -> Result<Option<String>, String> {
    let mut object = serde_json::Map::new();
    for (header, cell) in headers.iter().zip(record.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let lower = header.trim().to_ascii_lowercase();
        if lower == "metadata" {
            match serde_json::from_str::<serde_json::Value>(cell) {
                Ok(serde_json::Value::Object(fields)) => object.extend(fields),
                _ => return Err(format!("metadata {cell:?} is not a JSON object")),
            }
        } else if !KNOWN_COLUMNS.contains(&lower.as_str()) && type_named(&lower).is_none() {
            object.insert(
                header.trim().to_string(),
                serde_json::Value::String(cell.to_string()),
            );
        }
    }
    Ok((!object.is_empty()).then(|| serde_json::Value::Object(object).to_string()))
}

/// The 1-based line of the first occurrence of `needle`, to point at a bad
/// value in a JSON file.
fn line_of(text: &str, needle: &str) -> Option<u64> {
    let at = text.find(needle)?;
    Some(1 + text[..at].bytes().filter(|&b| b == b'\n').count() as u64)
}

/// VICS JSON: `{"value": [records]}` (or a bare list). Each record's `MD5`,
/// `SHA1`, `PhotoDNA` (and `SHA256`, `PDQ`) become entries of one item;
/// `Category` becomes the category; `MediaID` the content id; everything
/// else (Series, victim and offender flags, file names) the metadata.
fn read_vics(text: &str, sink: &mut Sink<'_>) -> Result<(), (Option<u64>, String)> {
    use serde_json::Value;
    let root: Value = serde_json::from_str(text)
        .map_err(|e| (Some(e.line() as u64), format!("not valid JSON: {e}")))?;
    let records = match &root {
        Value::Array(records) => records,
        Value::Object(o) => o
            .get("value")
            .or_else(|| o.get("Media"))
            .and_then(Value::as_array)
            .ok_or((
                None,
                "a VICS file keeps its records in a \"value\" list".to_string(),
            ))?,
        _ => return Err((Some(1), "a VICS file is a JSON object".to_string())),
    };
    let only = sink.options.signal_type;
    for (i, record) in records.iter().enumerate() {
        let n = i + 1;
        let Some(fields) = record.as_object() else {
            return Err((None, format!("record {n} is not a JSON object")));
        };
        let text_of = |v: &Value| match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let content_id = fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("MediaID"))
            .and_then(|(_, v)| text_of(v))
            .unwrap_or_else(|| format!("record {n}"));
        let category = fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Category"))
            .and_then(|(_, v)| text_of(v));
        let mut metadata = serde_json::Map::new();
        let mut signals = Vec::new();
        for (key, value) in fields {
            match type_named(key) {
                Some(t) => match value {
                    Value::String(s) if !s.trim().is_empty() => signals.push((t, s.trim())),
                    Value::Null => {}
                    Value::String(_) => {}
                    _ => {
                        return Err((None, format!("record {n}: {key} is not a string")));
                    }
                },
                None if key.eq_ignore_ascii_case("Category") => {}
                None => {
                    metadata.insert(key.clone(), value.clone());
                }
            }
        }
        if signals.is_empty() {
            return Err((None, format!("record {n} has no MD5, SHA1 or PhotoDNA")));
        }
        let metadata = (!metadata.is_empty()).then(|| Value::Object(metadata).to_string());
        for (t, value_text) in signals {
            let line = line_of(text, value_text).unwrap_or(0);
            if only.is_some_and(|o| o != t) {
                continue;
            }
            let (t, value) = parse_value(value_text, Some(t))
                .map_err(|m| (Some(line), format!("record {n}: {m}")))?;
            let mut entry = NewEntry::new(t, value);
            entry.content_id = Some(content_id.clone());
            entry.category.clone_from(&category);
            entry.metadata.clone_from(&metadata);
            sink.push(line, entry).map_err(|m| (Some(line), m))?;
        }
    }
    Ok(())
}
