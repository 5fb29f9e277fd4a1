//! vPDQ: the PDQ hash of one decoded frame per interval (one a second by
//! default) with its frame number, quality and timestamp, as Meta's vpdq
//! computes it.
//!
//! Decoding is FFmpeg's (libavformat, libavcodec, libswscale through
//! `ffmpeg-next`); the frame selection, the pixel conversion and the
//! hashing follow the reference (`vpdq/cpp/hashing/filehasher.cpp` and
//! `ffmpegwrapper.cpp` in facebook/ThreatExchange), so that with the same
//! libav* build every frame hash, quality, frame number and timestamp is
//! the reference's:
//!
//! - the first video stream of the container, decoded in order;
//! - the interval in frames is `seconds_per_hash × frame rate`, truncated
//!   (1 when that is 0), the frame rate being the stream's average rate,
//!   else its real base rate;
//! - frame `n` (counted from 0 as the decoder returns them) is hashed when
//!   `n` is a multiple of the interval, after conversion to RGB24 by
//!   libswscale with area averaging at the stream's own size;
//! - the timestamp is `n / frame rate` in single precision;
//! - as in the reference, the decoder is drained at the end only when the
//!   video stream is the container's first stream.
//!
//! Hostile input is expected: [`Limits`] on duration, frame count and frame
//! size are checked against the container's claims before decoding and
//! against the decoded frames during it, and a decode stops at its next
//! packet when its [`Options::cancel`] is set or its deadline passes.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod decode;
mod memory;
mod sniff;

pub use crate::decode::{
    frame_memory, hash_file, hash_file_with_progress, Error, Feature, Limits, Options, Progress,
    Video, DECODER_BYTES, DECODER_FRAMES, DEFAULT_MAX_FRAMES, DEFAULT_MAX_FRAME_PIXELS,
    DEFAULT_MAX_SECONDS, HASHING_BYTES_PER_PIXEL,
};
pub use crate::memory::{hash_bytes, hash_bytes_with_progress};
pub use crate::sniff::{is_video, SNIFF_BYTES};
pub use hashwatch_pdq::vpdq::{to_pytx, VpdqFeature};
