//! `hashwatch hash`: hash files in parallel, print results in input order.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use hashwatch_pdq::Hasher;
use hashwatch_signals::{ImageSignals, SignalHasher, SignalHasherBuilder};

use crate::flags::HashFlags;
use crate::output::Printer;
use crate::parallel;
use crate::progress::Progress;
use crate::walk::{self, Entry};

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
    let printer = Printer::new(flags.format, flags.dihedral);
    let entries = walk::expand(&flags.paths, flags.follow);
    let mut progress = Progress::new(entries.len() as u64, !flags.no_progress);
    let mut out = BufWriter::new(io::stdout().lock());
    printer.header(&mut out)?;
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
                Ok(signals) => printer.row(&mut out, path, &signals),
                Err(failure) => {
                    failures += 1;
                    progress.eprintln(&printer.error_line(path, failure.code, &failure.message));
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
