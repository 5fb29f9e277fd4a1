//! The `hashwatch` command: wires the library crates to the terminal.

mod audit;
mod bank;
mod db;
mod feed;
mod flags;
mod hash;
mod hashes;
mod hold;
mod hotline;
mod key;
mod match_cmd;
mod output;
mod parallel;
mod progress;
mod serve;
mod walk;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::flags::{Command, Flags};

// Hashing allocates and frees full-size pixel and file buffers for every
// image; mimalloc keeps and reuses those pages where glibc's allocator maps
// and faults them in afresh (PNG scan, one thread: 169 ms with glibc, 150 ms
// with mimalloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                // `hashwatch hash … | head` is not an error.
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "hashwatch: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let flags = Flags::parse();
    match flags.command {
        Command::Hash(args) => hash::run(&args),
        Command::Bank { command } => bank::run(&command, &flags.db),
        Command::Match(args) => match_cmd::run(&args, &flags.db),
        Command::Serve(args) => serve::run(&args, &flags.db, &flags.outbound),
        Command::Key { command } => key::run(&command, &flags.db),
        Command::Audit { command } => audit::run(&command, &flags.db),
        Command::Hold { command } => hold::run(&command, &flags.db),
        Command::Feed { command } => feed::run(&command, &flags.db, &flags.outbound),
        Command::Hotline { command } => hotline::run(&command, &flags.db, &flags.outbound),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
