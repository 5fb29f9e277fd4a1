//! Hashing a video held in memory (an upload) without writing it to disk:
//! the bytes go into an anonymous in-memory file (`memfd_create`) that
//! libavformat opens by its `/proc/self/fd` path, so seeking containers
//! (MP4 with its index at the end) work as they do from a file.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use crate::decode::{hash_file_with_progress, Error, Options, Progress, Video};

/// The vPDQ features of a video held in memory.
pub fn hash_bytes(bytes: &[u8], options: &Options) -> Result<Video, Error> {
    hash_bytes_with_progress(bytes, options, &mut |_| {})
}

/// As [`hash_bytes`], telling `progress` after each hashed frame.
pub fn hash_bytes_with_progress(
    bytes: &[u8],
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Video, Error> {
    let io = |e: std::io::Error| Error::Io(e.to_string());
    let fd = rustix::fs::memfd_create("hashwatch-video", rustix::fs::MemfdFlags::CLOEXEC)
        .map_err(|e| io(e.into()))?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes).map_err(io)?;
    // The file stays open (and so in memory) until hashing is done.
    let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    let outcome = hash_file_with_progress(&path, options, progress);
    drop(file);
    outcome
}
