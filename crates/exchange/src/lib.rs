//! Hash lists in and out.
//!
//! [`read_list`] reads a whole file into bank entries and validates every
//! line before returning, so an import either has every entry or names the
//! file and line that is wrong ([`Error`]). It recognises, from the first
//! line:
//!
//! - the output of `hashwatch hash` (a header starting `path pdq quality`):
//!   each row gives its PDQ hash (with quality) and MD5, SHA-1, SHA-256;
//! - hashwatch's bank export, and any table with `signal_type` and
//!   `hash`/`value`/`signal_value` columns;
//! - any TSV or CSV with a header, the hash column named by
//!   [`ReadOptions::column`];
//! - a plain list of hex hashes, one per line (`#` comments and blank lines
//!   ignored); the type follows from the length (32 MD5, 40 SHA-1, 64 PDQ)
//!   unless [`ReadOptions::signal_type`] says otherwise.
//!
//! - Project VIC's VICS JSON (`MD5`, `SHA1`, `PhotoDNA` kept as an opaque
//!   signal, `Category`; `Series`, victim and offender flags and every other
//!   field kept as metadata);
//! - ICSE-style `;`-separated CSV, and any table with a column per signal
//!   type;
//! - python-threatexchange's dataset CSV and its `TYPE VALUE` lines.
//!
//! Columns and fields hashwatch does not use are kept as each entry's
//! metadata (a JSON object), never dropped. [`write_list`] writes every
//! format back ([`ExportFormat`]); [`write_export`] writes hashwatch's own
//! TSV, which carries everything.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod read;
mod write;

pub use crate::read::{
    read_bytes, read_list, type_named, Error, ListFormat, ReadList, ReadOptions,
};
pub use crate::write::{
    export_cells, write_export, write_export_header, write_export_row, write_list, ExportFormat,
    EXPORT_COLUMNS,
};
