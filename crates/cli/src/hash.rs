//! `hashwatch hash`: hash files in parallel, print results in input order.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use anyhow::Context;
use hashwatch_pdq::Hasher;
use hashwatch_signals::{ImageSignals, SignalHasher, SignalHasherBuilder};
use rayon::prelude::*;

use crate::flags::HashFlags;
use crate::output::Printer;
use crate::progress::Progress;
use crate::walk::{self, Entry};

/// Why one file produced no hashes.
struct Failure {
    code: &'static str,
    message: String,
}

type Outcome = Result<ImageSignals, Failure>;

pub fn run(flags: &HashFlags) -> anyhow::Result<ExitCode> {
    let hasher = SignalHasherBuilder::new()
        .dihedral(flags.dihedral)
        .max_pixels(flags.max_pixels)
        .max_file_bytes(flags.max_file_size)
        .apply_orientation(flags.exif_orientation)
        .build();
    let printer = Printer::new(flags.format, flags.dihedral);
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = flags.threads {
        pool = pool.num_threads(n.max(1));
    }
    let pool = pool.build().context("cannot start worker threads")?;

    let entries = walk::expand(&flags.paths, flags.follow);
    let mut progress = Progress::new(entries.len() as u64, !flags.no_progress);
    let mut out = BufWriter::new(io::stdout().lock());
    printer.header(&mut out)?;

    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<(usize, Outcome)>(1024);
    let mut failures = 0u64;
    let written: io::Result<()> = std::thread::scope(|scope| {
        let (entries, hasher, stop) = (&entries, &hasher, &stop);
        scope.spawn(move || {
            pool.install(|| {
                entries.par_iter().enumerate().for_each_init(
                    || (tx.clone(), Hasher::new()),
                    |(tx, pdq), (i, entry)| {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let _ = tx.send((i, hash_entry(hasher, pdq, entry)));
                    },
                )
            });
        });
        // Results arrive in completion order and leave in input order.
        let mut pending: BTreeMap<usize, Outcome> = BTreeMap::new();
        let mut next = 0;
        for (i, outcome) in rx.iter() {
            pending.insert(i, outcome);
            while let Some(outcome) = pending.remove(&next) {
                let path = entry_path(&entries[next]);
                progress.tick(outcome.is_err());
                let result = match outcome {
                    Ok(signals) => printer.row(&mut out, path, &signals),
                    Err(failure) => {
                        failures += 1;
                        progress.eprintln(&printer.error_line(
                            path,
                            failure.code,
                            &failure.message,
                        ));
                        Ok(())
                    }
                };
                if let Err(e) = result {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
                next += 1;
            }
        }
        Ok(())
    });
    progress.finish();
    written?;
    out.flush()?;
    Ok(if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn entry_path(entry: &Entry) -> &std::path::Path {
    match entry {
        Entry::File(path) | Entry::Unreadable { path, .. } => path,
    }
}

fn hash_entry(hasher: &SignalHasher, pdq: &mut Hasher, entry: &Entry) -> Outcome {
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
