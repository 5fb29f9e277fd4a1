//! Expands the paths given on the command line into the files to hash.

use std::path::PathBuf;

/// A file to hash, or a path that could not be searched.
pub enum Entry {
    File(PathBuf),
    Unreadable { path: PathBuf, reason: String },
}

impl Entry {
    /// The path, readable or not.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Entry::File(path) | Entry::Unreadable { path, .. } => path,
        }
    }
}

/// Files in the order given; directories recursively, sorted by name so
/// output is the same from run to run.
pub fn expand(paths: &[PathBuf], follow_links: bool) -> Vec<Entry> {
    let mut entries = Vec::new();
    for path in paths {
        for item in walkdir::WalkDir::new(path)
            .follow_links(follow_links)
            .sort_by_file_name()
        {
            match item {
                Ok(e) if e.file_type().is_dir() => {}
                // A link to a directory that is not followed is not a file.
                Ok(e) if e.path_is_symlink() && e.path().is_dir() && e.depth() > 0 => {}
                Ok(e) => entries.push(Entry::File(e.into_path())),
                Err(err) => {
                    let path = err
                        .path()
                        .map(PathBuf::from)
                        .unwrap_or_else(|| path.clone());
                    let reason = match err.io_error() {
                        Some(io) => io.to_string(),
                        None => err.to_string(),
                    };
                    entries.push(Entry::Unreadable { path, reason });
                }
            }
        }
    }
    entries
}
