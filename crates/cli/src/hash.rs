//! `hashwatch hash`: hash files in parallel, print results in input order.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use hashwatch_pdq::Hasher;
use hashwatch_signals::{ImageSignals, SignalHasher, SignalHasherBuilder};
use serde_json::Value;

use crate::flags::HashFlags;
use crate::output::{message_line, Message, Table};
use crate::parallel;
use crate::progress::Progress;
use crate::walk::{self, Entry};

const COLUMNS: [&str; 15] = [
    "path",
    "pdq",
    "quality",
    "md5",
    "sha1",
    "sha256",
    "width",
    "height",
    "pdq_rot90",
    "pdq_rot180",
    "pdq_rot270",
    "pdq_flipx",
    "pdq_flipy",
    "pdq_flipplus1",
    "pdq_flipminus1",
];

/// A file's output values, in `COLUMNS` order.
fn row(path: &Path, signals: &ImageSignals, dihedral: bool) -> Vec<Value> {
    let mut values = vec![
        Value::from(path.to_string_lossy()),
        Value::from(signals.pdq.hash.to_string()),
        Value::from(signals.pdq.quality),
        Value::from(signals.digests.md5_hex()),
        Value::from(signals.digests.sha1_hex()),
        Value::from(signals.digests.sha256_hex()),
        Value::from(signals.width),
        Value::from(signals.height),
    ];
    if dihedral {
        // Variant 0 is the original, already in the `pdq` column.
        let hashes = signals.dihedral.map(|d| d.hashes);
        for k in 1..8 {
            values.push(Value::from(
                hashes.map(|h| h[k].to_string()).unwrap_or_default(),
            ));
        }
    }
    values
}

/// Why one file produced no hashes.
pub struct Failure {
    pub code: &'static str,
    pub message: String,
}

pub fn run(flags: &HashFlags) -> anyhow::Result<ExitCode> {
    let hasher = SignalHasherBuilder::new()
        .dihedral(flags.dihedral)
        .max_pixels(flags.max_pixels)
        .max_file_bytes(flags.max_file_size)
        .apply_orientation(flags.exif_orientation)
        .build();
    let columns = if flags.dihedral {
        &COLUMNS[..]
    } else {
        &COLUMNS[..8]
    };
    let table = Table::new(flags.format, columns);
    let entries = walk::expand(&flags.paths, flags.follow);
    let mut progress = Progress::new(entries.len() as u64, !flags.no_progress);
    let mut out = BufWriter::new(io::stdout().lock());
    table.header(&mut out)?;
    let mut failures = 0u64;
    let result = parallel::ordered(
        &entries,
        flags.threads,
        Hasher::new,
        |pdq, entry| hash_entry(&hasher, pdq, entry),
        |i, outcome| {
            let path = entries[i].path();
            progress.tick(outcome.is_err());
            match outcome {
                Ok(signals) => table.row(&mut out, row(path, &signals, flags.dihedral)),
                Err(failure) => {
                    failures += 1;
                    progress.eprintln(&message_line(
                        flags.format,
                        Message::Error,
                        "path",
                        &path.to_string_lossy(),
                        failure.code,
                        &failure.message,
                        Value::Null,
                    ));
                    Ok(())
                }
            }
        },
    );
    progress.finish();
    result?;
    out.flush()?;
    Ok(if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Hashes one file found by the walk.
pub fn hash_entry(
    hasher: &SignalHasher,
    pdq: &mut Hasher,
    entry: &Entry,
) -> Result<ImageSignals, Failure> {
    match entry {
        Entry::File(path) => hasher.hash_file(pdq, path).map_err(|e| Failure {
            code: e.code(),
            message: e.kind().to_string(),
        }),
        Entry::Unreadable { reason, .. } => Err(Failure {
            code: "io",
            message: format!("cannot read: {reason}"),
        }),
    }
}
