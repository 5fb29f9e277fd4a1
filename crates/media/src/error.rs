//! The media error type: what went wrong, and with which file.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why an image could not be decoded, naming the file when there is one.
#[derive(Debug)]
pub struct Error {
    path: Option<PathBuf>,
    kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    Io(std::io::Error),
    /// The file has no bytes.
    Empty,
    /// The bytes are not an image in a supported format.
    UnknownFormat,
    /// The header claims more pixels than the configured limit allows.
    TooManyPixels {
        /// Width from the header.
        width: u64,
        /// Height from the header.
        height: u64,
        /// The limit in pixels.
        limit: u64,
    },
    /// The header claims a zero width or height.
    ZeroSize,
    /// The file is larger than the configured byte limit.
    TooManyBytes {
        /// The file's size.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The image data is corrupt, truncated or uses an unsupported feature.
    Decode {
        /// The format the bytes claim to be.
        format: &'static str,
        /// The decoder's explanation.
        reason: String,
    },
    /// The decoder panicked on this input; the panic was contained.
    DecoderPanic {
        /// The format the bytes claim to be.
        format: &'static str,
    },
    /// The decode was stopped through its [`crate::Cancel`].
    Cancelled,
    /// A video could not be hashed (see the `video` crate).
    Video {
        /// The video error's stable name.
        code: &'static str,
        /// What went wrong.
        reason: String,
    },
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { path: None, kind }
    }

    /// A video's error, by its stable name and explanation (the video
    /// crate decodes through FFmpeg and keeps its own error type).
    pub fn video(code: &'static str, reason: impl Into<String>) -> Error {
        Error::new(ErrorKind::Video {
            code,
            reason: reason.into(),
        })
    }

    /// A file that could not be read.
    pub fn io(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }

    /// A file of `size` bytes, over the `limit`.
    pub fn too_many_bytes(size: u64, limit: u64) -> Error {
        Error::new(ErrorKind::TooManyBytes { size, limit })
    }

    /// Attaches the file the error is about.
    pub fn with_path(mut self, path: impl AsRef<Path>) -> Error {
        self.path = Some(path.as_ref().to_path_buf());
        self
    }

    /// The file, if known.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// A stable machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::Io(_) => "io",
            ErrorKind::Empty => "empty_file",
            ErrorKind::UnknownFormat => "unknown_format",
            ErrorKind::TooManyPixels { .. } => "too_many_pixels",
            ErrorKind::ZeroSize => "zero_size",
            ErrorKind::TooManyBytes { .. } => "too_many_bytes",
            ErrorKind::Decode { .. } => "decode",
            ErrorKind::DecoderPanic { .. } => "decoder_panic",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Video { code, .. } => code,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(e) => write!(f, "cannot read: {e}"),
            ErrorKind::Empty => write!(f, "empty file"),
            ErrorKind::UnknownFormat => write!(
                f,
                "not an image in a supported format (PNG, JPEG, GIF, BMP, WebP, TIFF)"
            ),
            ErrorKind::TooManyPixels {
                width,
                height,
                limit,
            } => write!(
                f,
                "header claims {width}x{height} pixels, over the limit of {limit} pixels"
            ),
            ErrorKind::ZeroSize => write!(f, "header claims a zero width or height"),
            ErrorKind::TooManyBytes { size, limit } => {
                write!(f, "file has {size} bytes, over the limit of {limit} bytes")
            }
            ErrorKind::Decode { format, reason } => write!(f, "invalid {format}: {reason}"),
            ErrorKind::DecoderPanic { format } => {
                write!(f, "invalid {format}: the decoder failed on this input")
            }
            ErrorKind::Cancelled => write!(f, "{}", crate::cancel::CANCELLED),
            ErrorKind::Video { reason, .. } => f.write_str(reason),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}: {}", path.display(), self.kind),
            None => self.kind.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}
