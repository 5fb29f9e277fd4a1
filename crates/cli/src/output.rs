//! Output that people and programs read: tables (TSV with a header, or JSON
//! lines with the same field names), and one-line messages on stderr.

use std::io::{self, Write};

use serde_json::{Map, Value};

use crate::flags::OutputFormat;

/// Rows of values under named columns.
pub struct Table<'a> {
    format: OutputFormat,
    columns: &'a [&'a str],
}

impl<'a> Table<'a> {
    pub fn new(format: OutputFormat, columns: &'a [&'a str]) -> Table<'a> {
        Table { format, columns }
    }

    /// The TSV header line; JSON lines have none.
    pub fn header(&self, out: &mut impl Write) -> io::Result<()> {
        if self.format == OutputFormat::Tsv {
            writeln!(out, "{}", self.columns.join("\t"))?;
        }
        Ok(())
    }

    /// One row; `values` in column order.
    pub fn row(&self, out: &mut impl Write, values: Vec<Value>) -> io::Result<()> {
        match self.format {
            OutputFormat::Tsv => {
                let cells: Vec<String> = values
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => escape_tsv(&s),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .collect();
                writeln!(out, "{}", cells.join("\t"))
            }
            OutputFormat::Json => {
                let object: Map<String, Value> = self
                    .columns
                    .iter()
                    .map(|c| c.to_string())
                    .zip(values)
                    .collect();
                writeln!(out, "{}", Value::Object(object))
            }
        }
    }
}

/// What a stderr line is.
#[derive(Clone, Copy)]
pub enum Message {
    /// Something could not be done (`"error": code` in JSON).
    Error,
    /// Something worth knowing (`"notice": code` in JSON).
    Notice,
}

/// One stderr line about a file or query: `hashwatch: SUBJECT: message`, or
/// a JSON object with the subject under `subject_key`, the code, the
/// message and any details.
pub fn message_line(
    format: OutputFormat,
    kind: Message,
    subject_key: &str,
    subject: &str,
    code: &str,
    message: &str,
    details: Value,
) -> String {
    match format {
        OutputFormat::Tsv => format!("hashwatch: {subject}: {message}"),
        OutputFormat::Json => {
            let kind_key = match kind {
                Message::Error => "error",
                Message::Notice => "notice",
            };
            let mut object = Map::new();
            object.insert(subject_key.to_string(), Value::from(subject));
            object.insert(kind_key.to_string(), Value::from(code));
            object.insert("message".to_string(), Value::from(message));
            if let Value::Object(extra) = details {
                object.extend(extra);
            }
            Value::Object(object).to_string()
        }
    }
}

/// Tabs, newlines and backslashes in a value would break the TSV layout;
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
