//! How hash results are printed: TSV with a header, or JSON lines, with the
//! same fields in the same order either way.

use std::io::{self, Write};
use std::path::Path;

use hashwatch_pdq::Dihedral;
use hashwatch_signals::ImageSignals;
use serde_json::{Map, Value};

use crate::flags::OutputFormat;

const BASE_COLUMNS: [&str; 8] = [
    "path", "pdq", "quality", "md5", "sha1", "sha256", "width", "height",
];
const DIHEDRAL_COLUMNS: [&str; 7] = [
    "pdq_rot90",
    "pdq_rot180",
    "pdq_rot270",
    "pdq_flipx",
    "pdq_flipy",
    "pdq_flipplus1",
    "pdq_flipminus1",
];

/// One value of an output row.
enum Field {
    Text(String),
    Number(u64),
}

/// Writes result rows in the chosen format.
pub struct Printer {
    format: OutputFormat,
    dihedral: bool,
}

impl Printer {
    pub fn new(format: OutputFormat, dihedral: bool) -> Printer {
        Printer { format, dihedral }
    }

    fn columns(&self) -> impl Iterator<Item = &'static str> {
        let extra: &[&str] = if self.dihedral {
            &DIHEDRAL_COLUMNS
        } else {
            &[]
        };
        BASE_COLUMNS.iter().chain(extra.iter()).copied()
    }

    /// The TSV header line; JSON lines have none.
    pub fn header(&self, out: &mut impl Write) -> io::Result<()> {
        if self.format == OutputFormat::Tsv {
            let names: Vec<&str> = self.columns().collect();
            writeln!(out, "{}", names.join("\t"))?;
        }
        Ok(())
    }

    pub fn row(&self, out: &mut impl Write, path: &Path, signals: &ImageSignals) -> io::Result<()> {
        let mut fields = vec![
            Field::Text(path.to_string_lossy().into_owned()),
            Field::Text(signals.pdq.hash.to_string()),
            Field::Number(signals.pdq.quality.into()),
            Field::Text(signals.digests.md5_hex()),
            Field::Text(signals.digests.sha1_hex()),
            Field::Text(signals.digests.sha256_hex()),
            Field::Number(signals.width.into()),
            Field::Number(signals.height.into()),
        ];
        if self.dihedral {
            // Index 0 is the original, already in the `pdq` column.
            let hashes = signals.dihedral.map(|d: Dihedral| d.hashes);
            for k in 1..8 {
                let text = hashes.map(|h| h[k].to_string()).unwrap_or_default();
                fields.push(Field::Text(text));
            }
        }
        match self.format {
            OutputFormat::Tsv => {
                let cells: Vec<String> = fields
                    .into_iter()
                    .map(|f| match f {
                        Field::Text(s) => escape_tsv(&s),
                        Field::Number(n) => n.to_string(),
                    })
                    .collect();
                writeln!(out, "{}", cells.join("\t"))
            }
            OutputFormat::Json => {
                let object: Map<String, Value> = self
                    .columns()
                    .zip(fields)
                    .map(|(name, f)| {
                        let value = match f {
                            Field::Text(s) => Value::String(s),
                            Field::Number(n) => Value::from(n),
                        };
                        (name.to_string(), value)
                    })
                    .collect();
                writeln!(out, "{}", Value::Object(object))
            }
        }
    }

    /// The one stderr line for a file that could not be hashed.
    pub fn error_line(&self, path: &Path, code: &str, message: &str) -> String {
        match self.format {
            OutputFormat::Tsv => format!("hashwatch: {}: {message}", path.display()),
            OutputFormat::Json => serde_json::json!({
                "path": path.to_string_lossy(),
                "error": code,
                "message": message,
            })
            .to_string(),
        }
    }
}

/// Tabs, newlines and backslashes in a path would break the TSV layout;
/// they are written as `\t`, `\n`, `\r` and `\\`.
fn escape_tsv(s: &str) -> String {
    if !s.contains(['\t', '\n', '\r', '\\']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out
}
