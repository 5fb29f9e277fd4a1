//! Every signal hashwatch matches on, from one read of a file.
//!
//! [`SignalHasher`] (configured through [`SignalHasherBuilder`]) takes a
//! file's bytes once and gives [`ImageSignals`]: the PDQ hash and quality
//! (optionally the eight dihedral hashes) of the decoded image, and the
//! [`Digests`] (MD5, SHA-1, SHA-256) of the bytes themselves, which exact
//! hash lists use. Only these values ever need to leave the machine.
//!
//! ```no_run
//! use hashwatch_signals::SignalHasherBuilder;
//!
//! let hasher = SignalHasherBuilder::new().dihedral(true).build();
//! let mut pdq = hashwatch_pdq::Hasher::new();
//! let signals = hasher.hash_file(&mut pdq, "photo.jpg".as_ref())?;
//! println!("{} {} {}", signals.pdq.hash, signals.pdq.quality, signals.digests.sha256_hex());
//! # Ok::<(), hashwatch_media::Error>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod digests;
mod video;

use std::path::Path;

use hashwatch_media::{Decoded, Decoder, DecoderBuilder, Error, Format, Pixels};
use hashwatch_pdq::{Dihedral, Hasher, Image, PdqHash};
use hashwatch_robust::{Picture, ViewHash, ViewHasher};

pub use crate::digests::Digests;
pub use crate::video::{MediaSignals, VideoSignals, DEFAULT_MAX_VIDEO_BYTES};

/// The default largest file read: 256 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 << 20;

/// Bytes per pixel the hashing of a decoded photo holds: PDQ's luminance
/// and buffers beside the 8-bit pixels, then the views' picture.
pub const PHOTO_HASHING_BYTES_PER_PIXEL: u64 = 9;

/// Bytes per pixel added to the measured peaks (allocator slack).
pub const PHOTO_SLACK_BYTES_PER_PIXEL: u64 = 2;

/// What hashing a photo holds whatever its size.
pub const PHOTO_BASE_BYTES: u64 = 8 << 20;

/// The memory hashing a photo of this header takes at its peak, charged
/// before it is decoded: the decoder's buffer beside its 8-bit RGB copy,
/// or the hashing after it, whichever is more, and the slack. 11 bytes a
/// pixel for 8-bit photos, 13 for 16-bit RGBA, 21 for float RGBA.
/// Measured peaks of photos of 100 M pixels (resident memory of
/// `hashwatch serve`): 7.9 bytes a pixel for a grey PNG, 9.9 for RGB PNG
/// and JPEG, 10.7 for 16-bit RGBA PNG.
pub fn photo_memory(probe: &hashwatch_media::Probe) -> u64 {
    let decoding = u64::from(probe.decoded_bytes_per_pixel) + 3;
    let per_pixel = decoding.max(PHOTO_HASHING_BYTES_PER_PIXEL) + PHOTO_SLACK_BYTES_PER_PIXEL;
    probe
        .pixels()
        .saturating_mul(per_pixel)
        .saturating_add(PHOTO_BASE_BYTES)
}

/// The signals of one image file.
#[derive(Debug, Clone)]
pub struct ImageSignals {
    /// PDQ hash and quality, as `pdqhash.compute` gives them.
    pub pdq: PdqHash,
    /// The eight dihedral hashes, when asked for.
    pub dihedral: Option<Dihedral>,
    /// Exact digests of the file's bytes.
    pub digests: Digests,
    /// The decoded format.
    pub format: Format,
    /// Width in pixels, as hashed.
    pub width: u32,
    /// Height in pixels, as hashed.
    pub height: u32,
    /// Views of the picture to match robustly (query side), when asked
    /// for.
    pub views: Vec<ViewHash>,
    /// Derived hashes to bank beside the picture's own (bank side), when
    /// asked for.
    pub derived: Vec<ViewHash>,
}

/// Configures a [`SignalHasher`].
#[derive(Debug, Clone, Default)]
pub struct SignalHasherBuilder {
    decoder: DecoderBuilder,
    dihedral: bool,
    views: Option<ViewHasher>,
    derived: Option<ViewHasher>,
    max_file_bytes: Option<u64>,
    video: crate::video::VideoSettings,
}

impl SignalHasherBuilder {
    /// The defaults: no dihedral hashes, the media crate's pixel limit,
    /// [`DEFAULT_MAX_FILE_BYTES`].
    pub fn new() -> SignalHasherBuilder {
        SignalHasherBuilder::default()
    }

    /// Also computes the eight dihedral hashes.
    pub fn dihedral(&mut self, yes: bool) -> &mut SignalHasherBuilder {
        self.dihedral = yes;
        self
    }

    /// Also hashes the views of each picture, and of each hashed video
    /// frame, that robust matching looks for (a query's side).
    pub fn query_views(&mut self, yes: bool) -> &mut SignalHasherBuilder {
        self.views = yes.then(ViewHasher::default);
        self.video.views = self.views.clone();
        self
    }

    /// Also hashes the derived hashes a bank keeps beside each picture's
    /// own (a bank's side).
    pub fn derived_hashes(&mut self, yes: bool) -> &mut SignalHasherBuilder {
        self.derived = yes.then(ViewHasher::default);
        self
    }

    /// Refuses images whose header claims more than `limit` pixels.
    pub fn max_pixels(&mut self, limit: u64) -> &mut SignalHasherBuilder {
        self.decoder.max_pixels(limit);
        self
    }

    /// Refuses files larger than `limit` bytes without reading them.
    pub fn max_file_bytes(&mut self, limit: u64) -> &mut SignalHasherBuilder {
        self.max_file_bytes = Some(limit);
        self
    }

    /// Applies EXIF orientation before hashing (off by default, as in the
    /// reference pipeline).
    pub fn apply_orientation(&mut self, yes: bool) -> &mut SignalHasherBuilder {
        self.decoder.apply_orientation(yes);
        self
    }

    /// Stops decodes (images and videos) once `cancel` is set.
    pub fn cancel(&mut self, cancel: hashwatch_media::Cancel) -> &mut SignalHasherBuilder {
        self.decoder.cancel(cancel.clone());
        self.video.cancel = Some(cancel);
        self
    }

    /// Video limits: duration, frames, frame size.
    pub fn video_limits(&mut self, limits: hashwatch_video::Limits) -> &mut SignalHasherBuilder {
        self.video.limits = limits;
        self
    }

    /// Refuses video files larger than `limit` bytes without reading them.
    pub fn max_video_bytes(&mut self, limit: u64) -> &mut SignalHasherBuilder {
        self.video.max_bytes = limit;
        self
    }

    /// Seconds between hashed video frames (1 by default, as vpdq).
    pub fn seconds_per_hash(&mut self, seconds: f64) -> &mut SignalHasherBuilder {
        self.video.seconds_per_hash = seconds;
        self
    }

    /// Stops a video's decode after this long.
    pub fn video_budget(
        &mut self,
        budget: Option<std::time::Duration>,
    ) -> &mut SignalHasherBuilder {
        self.video.budget = budget;
        self
    }

    /// The hasher.
    pub fn build(&self) -> SignalHasher {
        SignalHasher {
            decoder: self.decoder.build(),
            dihedral: self.dihedral,
            views: self.views.clone(),
            derived: self.derived.clone(),
            max_file_bytes: self.max_file_bytes.unwrap_or(DEFAULT_MAX_FILE_BYTES),
            video: self.video.clone(),
        }
    }
}

/// Hashes files and byte buffers. Share one across threads; give each
/// thread its own [`hashwatch_pdq::Hasher`] for its buffers.
#[derive(Debug, Clone)]
pub struct SignalHasher {
    decoder: Decoder,
    dihedral: bool,
    views: Option<ViewHasher>,
    derived: Option<ViewHasher>,
    max_file_bytes: u64,
    video: crate::video::VideoSettings,
}

impl SignalHasher {
    /// Reads `path` once, then hashes its bytes. Errors name the file.
    pub fn hash_file(&self, pdq: &mut Hasher, path: &Path) -> Result<ImageSignals, Error> {
        let bytes = hashwatch_media::read_file(path, self.max_file_bytes)?;
        self.hash_bytes(pdq, &bytes).map_err(|e| e.with_path(path))
    }

    /// Decodes and hashes an image held in memory.
    pub fn hash_bytes(&self, pdq: &mut Hasher, bytes: &[u8]) -> Result<ImageSignals, Error> {
        let decoded = self.decoder.decode(bytes)?;
        let digests = Digests::of(bytes);
        let (pdq_hash, dihedral) = hash_pixels(pdq, &decoded, self.dihedral);
        let (views, derived) = match (&self.views, &self.derived) {
            (None, None) => (Vec::new(), Vec::new()),
            (views, derived) => match picture(&decoded) {
                Some(p) => (
                    views
                        .as_ref()
                        .map(|v| v.query_views(pdq, &p))
                        .unwrap_or_default(),
                    derived
                        .as_ref()
                        .map(|v| v.derived(pdq, &p))
                        .unwrap_or_default(),
                ),
                None => (Vec::new(), Vec::new()),
            },
        };
        Ok(ImageSignals {
            pdq: pdq_hash,
            dihedral,
            digests,
            format: decoded.format,
            width: decoded.width,
            height: decoded.height,
            views,
            derived,
        })
    }
}

/// Decoded pixels as the robust views take them (a copy).
pub fn picture(decoded: &Decoded) -> Option<Picture> {
    let (width, height) = (decoded.width as usize, decoded.height as usize);
    match &decoded.pixels {
        Pixels::Rgb(p) => Picture::from_rgb(width, height, p.clone()),
        Pixels::Grey(p) => Picture::from_grey(width, height, p),
    }
}

/// PDQ of decoded pixels, with the dihedral set when asked for.
pub fn hash_pixels(
    pdq: &mut Hasher,
    decoded: &Decoded,
    dihedral: bool,
) -> (PdqHash, Option<Dihedral>) {
    let (width, height) = (decoded.width as usize, decoded.height as usize);
    // The media crate sizes its buffers from the dimensions, so a mismatch
    // is a bug there; hash nothing rather than panic.
    let image = match &decoded.pixels {
        Pixels::Rgb(p) => Image::rgb(p, width, height),
        Pixels::Grey(p) => Image::grey(p, width, height),
    };
    let Ok(image) = image else {
        let zero = PdqHash {
            hash: hashwatch_pdq::Hash256::ZERO,
            quality: 0,
        };
        return (zero, None);
    };
    if dihedral {
        let (plain, all) = pdq.hash_with_dihedral(&image);
        (plain, Some(all))
    } else {
        (pdq.hash(&image), None)
    }
}
