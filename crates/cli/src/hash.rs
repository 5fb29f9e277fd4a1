//! `hashwatch hash`: hash files in parallel, print results in input order.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use hashwatch_pdq::Hasher;
use hashwatch_signals::{MediaSignals, SignalHasher, SignalHasherBuilder};
use serde_json::{json, Value};

use crate::flags::{HashFlags, OutputFormat};
use crate::output::{message_line, Message, Table};
use crate::parallel;
use crate::progress::{MediaProgress, Progress};
use crate::walk::{self, Entry};

/// The columns of every file; videos fill `video_md5` (HMA's name for the
/// MD5 of a video file) and `vpdq`, images the PDQ columns (an animated
/// GIF both).
const COLUMNS: [&str; 10] = [
    "path",
    "pdq",
    "quality",
    "md5",
    "sha1",
    "sha256",
    "width",
    "height",
    "video_md5",
    "vpdq",
];

/// The dihedral columns, after the others.
const DIHEDRAL_COLUMNS: [&str; 7] = [
    "pdq_rot90",
    "pdq_rot180",
    "pdq_rot270",
    "pdq_flipx",
    "pdq_flipy",
    "pdq_flipplus1",
    "pdq_flipminus1",
];

/// The derived hashes' column, after the others.
const DERIVED_COLUMN: &str = "pdq_derived";

/// Derived hashes as the `pdq_derived` column holds them: a list of
/// objects in JSON lines, `VIEW:HASH:QUALITY` separated by spaces in TSV
/// (what `bank import` reads).
fn derived_value(derived: &[hashwatch_robust::ViewHash], format: OutputFormat) -> Value {
    match format {
        OutputFormat::Json => Value::Array(
            derived
                .iter()
                .map(|d| json!({"view": d.view.name(), "pdq": d.hash.to_string(), "quality": d.quality}))
                .collect(),
        ),
        OutputFormat::Tsv => Value::from(
            derived
                .iter()
                .map(|d| format!("{}:{}:{}", d.view, d.hash, d.quality))
                .collect::<Vec<_>>()
                .join(" "),
        ),
    }
}

/// A file's output values, in column order. The vPDQ is the list of
/// frames in JSON lines, python-threatexchange's exchange form in TSV.
fn row(path: &Path, signals: &MediaSignals, flags: &HashFlags) -> Vec<Value> {
    let (dihedral, format) = (flags.dihedral, flags.format);
    let image = signals.image();
    let video = signals.video();
    let digests = signals.digests();
    let (width, height) = match (image, video) {
        (Some(image), _) => (image.width, image.height),
        (None, Some(video)) => (video.video.width, video.video.height),
        (None, None) => (0, 0),
    };
    let vpdq = video.map(|v| match format {
        OutputFormat::Json => Value::Array(
            v.video
                .features
                .iter()
                .map(|f| {
                    json!({
                        "frame": f.frame,
                        "pdq": f.pdq.to_string(),
                        "quality": f.quality,
                        "timestamp": f.timestamp,
                    })
                })
                .collect(),
        ),
        OutputFormat::Tsv => Value::from(hashwatch_video::to_pytx(&v.video.compact())),
    });
    let mut values = vec![
        Value::from(path.to_string_lossy()),
        image.map_or(Value::Null, |i| Value::from(i.pdq.hash.to_string())),
        image.map_or(Value::Null, |i| Value::from(i.pdq.quality)),
        Value::from(digests.md5_hex()),
        Value::from(digests.sha1_hex()),
        Value::from(digests.sha256_hex()),
        Value::from(width),
        Value::from(height),
        video.map_or(Value::Null, |_| Value::from(digests.md5_hex())),
        vpdq.unwrap_or(Value::Null),
    ];
    if dihedral {
        // Variant 0 is the original, already in the `pdq` column.
        let hashes = image.and_then(|i| i.dihedral).map(|d| d.hashes);
        for k in 1..8 {
            values.push(hashes.map_or(Value::Null, |h| Value::from(h[k].to_string())));
        }
    }
    if flags.robust {
        values.push(image.map_or(Value::Null, |i| derived_value(&i.derived, format)));
    }
    values
}

/// Why one file produced no hashes.
pub struct Failure {
    pub code: &'static str,
    pub message: String,
}

pub fn run(flags: &HashFlags) -> anyhow::Result<ExitCode> {
    let mut builder = SignalHasherBuilder::new();
    builder
        .dihedral(flags.dihedral)
        .derived_hashes(flags.robust)
        .max_pixels(flags.max_pixels)
        .max_file_bytes(flags.max_file_size)
        .apply_orientation(flags.exif_orientation);
    flags.video.apply(&mut builder);
    let hasher = builder.build();
    let mut columns = COLUMNS.to_vec();
    if flags.dihedral {
        columns.extend(DIHEDRAL_COLUMNS);
    }
    if flags.robust {
        columns.push(DERIVED_COLUMN);
    }
    let table = Table::new(flags.format, &columns);
    let entries = walk::expand(&flags.paths, flags.follow);
    let mut progress = Progress::new(entries.len() as u64, !flags.no_progress);
    let media_progress = progress.media();
    let mut out = BufWriter::new(io::stdout().lock());
    table.header(&mut out)?;
    let mut failures = 0u64;
    let result = parallel::ordered(
        &entries,
        flags.threads,
        Hasher::new,
        |pdq, entry| hash_entry(&hasher, pdq, entry, &media_progress),
        |i, outcome| {
            let path = entries[i].path();
            progress.tick(outcome.is_err());
            match outcome {
                Ok(signals) => table.row(&mut out, row(path, &signals, flags)),
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

/// Hashes one file found by the walk: an image, or a video (whose decode
/// `progress` shows).
pub fn hash_entry(
    hasher: &SignalHasher,
    pdq: &mut Hasher,
    entry: &Entry,
    progress: &MediaProgress,
) -> Result<MediaSignals, Failure> {
    match entry {
        Entry::File(path) => hasher
            .hash_media_file(pdq, path, &mut |p| progress.video(path, p))
            .map_err(|e| Failure {
                code: e.code(),
                message: e.kind().to_string(),
            }),
        Entry::Unreadable { reason, .. } => Err(Failure {
            code: "io",
            message: format!("cannot read: {reason}"),
        }),
    }
}
