//! Command-line flags. Parsing only: `main` turns them into library objects.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// hashwatch: detect, report and remove known abuse material by hash,
/// without handling the material itself.
#[derive(Debug, Parser)]
#[command(name = "hashwatch", version, about, long_about = None)]
pub struct Flags {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Hash image files: PDQ (bit-exact with Meta's reference), MD5, SHA-1, SHA-256.
    ///
    /// Prints one line per file, in the order given (directories sorted by
    /// name). A file that cannot be read or decoded gets one error line on
    /// stderr and the rest are still hashed.
    ///
    /// Exit status: 0 when every file was hashed, 1 when any failed, 2 on a
    /// usage error.
    Hash(HashFlags),
}

#[derive(Debug, clap::Args)]
pub struct HashFlags {
    /// Files and directories (searched recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format: tab-separated with a header line, or JSON lines.
    #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
    pub format: OutputFormat,

    /// Also print the hashes of the image's 7 rotations and flips
    /// (columns pdq_rot90 … pdq_flipminus1, as Meta's reference names them).
    #[arg(long)]
    pub dihedral: bool,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Refuse images whose header claims more pixels than this.
    #[arg(long, value_name = "PIXELS", default_value_t = hashwatch_media::DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,

    /// Refuse files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = hashwatch_signals::DEFAULT_MAX_FILE_BYTES)]
    pub max_file_size: u64,

    /// Rotate and flip images by their EXIF orientation tag before hashing.
    /// Off by default, as in HMA and python-threatexchange, so hashes match
    /// theirs.
    #[arg(long)]
    pub exif_orientation: bool,

    /// Follow symbolic links when searching directories.
    #[arg(long, short = 'L')]
    pub follow: bool,

    /// Never show a progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tab-separated values with a header line.
    Tsv,
    /// One JSON object per line.
    Json,
}
