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
//! [`write_export`] writes the bank export format that reads back in.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod read;
mod write;

pub use crate::read::{read_list, Error, ListFormat, ReadList, ReadOptions};
pub use crate::write::{export_cells, write_export, EXPORT_COLUMNS};
