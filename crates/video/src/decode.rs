//! Decoding a video file and hashing its frames (see the crate's docs for
//! the rules).

use std::fmt;
use std::path::Path;
use std::sync::Once;
use std::time::Instant;

use ffmpeg::format::Pixel;
use ffmpeg::media::Type;
use ffmpeg::software::scaling::{Context as Scaler, Flags};
use ffmpeg_next as ffmpeg;
use hashwatch_media::{Cancel, MemoryBudget, OverBudget};
use hashwatch_pdq::vpdq::VpdqFeature;
use hashwatch_pdq::{Hash256, Hasher, Image};
use hashwatch_robust::{FrameViews, Picture, ViewHasher};

/// The smallest width and height the reference hashes.
const MIN_SIDE: u32 = 5;

/// The defaults of [`Limits`]: three hours, a million decoded frames and
/// 8K (7680×4320) frames.
pub const DEFAULT_MAX_SECONDS: f64 = 3.0 * 3600.0;
/// See [`DEFAULT_MAX_SECONDS`].
pub const DEFAULT_MAX_FRAMES: u64 = 1_000_000;
/// See [`DEFAULT_MAX_SECONDS`].
pub const DEFAULT_MAX_FRAME_PIXELS: u64 = 7680 * 4320;

/// What a video may be before it is refused. The container's own claims
/// are checked before decoding; the decoded frames are checked too, so
/// a container that understates them is refused when it is found out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The longest duration, in seconds.
    pub max_seconds: f64,
    /// The most frames decoded (hashed or not).
    pub max_frames: u64,
    /// The most pixels in one frame.
    pub max_frame_pixels: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_seconds: DEFAULT_MAX_SECONDS,
            max_frames: DEFAULT_MAX_FRAMES,
            max_frame_pixels: DEFAULT_MAX_FRAME_PIXELS,
        }
    }
}

/// How to hash.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seconds between hashed frames (the reference's default is 1; 0
    /// hashes every frame).
    pub seconds_per_hash: f64,
    /// What a video may be.
    pub limits: Limits,
    /// Stops the decode at its next packet once set.
    pub cancel: Option<Cancel>,
    /// Stops the decode at its next packet after this instant (the decode
    /// time budget).
    pub deadline: Option<Instant>,
    /// Also the views of each hashed frame (trimmed bars, framed content,
    /// undone turns), for robust matching: a letterboxed still in a
    /// slideshow is found among known pictures.
    pub views: Option<ViewHasher>,
    /// Charges the decode's memory ([`frame_memory`]) here once the frame
    /// size and format are known, before any frame is decoded; shared with
    /// photos' decodes.
    pub budget: Option<MemoryBudget>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seconds_per_hash: 1.0,
            limits: Limits::default(),
            cancel: None,
            deadline: None,
            views: None,
            budget: None,
        }
    }
}

/// Frames of the decoder's own size it may hold at once: up to 16
/// references (H.264's and HEVC's most), the frames waiting to be put in
/// order, and those its threads work on.
pub const DECODER_FRAMES: u64 = 28;

/// Bytes per pixel the hashing holds besides the decoder's frames: the
/// RGB conversion, PDQ's luminance and buffers, and the frame's views.
pub const HASHING_BYTES_PER_PIXEL: u64 = 16;

/// What the decoder holds whatever the frame size (codec and container
/// state, buffers).
pub const DECODER_BYTES: u64 = 16 << 20;

/// The memory hashing a video takes at its peak, from its frame size and
/// the bytes a decoded frame takes per pixel (1.5 for 8-bit 4:2:0): the
/// decoder's frames and the hashing's buffers. An 8-bit 4:2:0 video takes
/// 58 bytes a pixel: about 136 MiB at 1080p, 496 MiB at 4K. Measured peaks
/// (resident memory of `hashwatch serve` hashing H.264 uploads, views
/// taken) stay under it: 37 bytes a pixel at 1080p, 52 at 4K with 16
/// references and B-frames, 25 at 8K.
pub fn frame_memory(width: u32, height: u32, decoded_bytes_per_pixel: f64) -> u64 {
    let per_pixel =
        decoded_bytes_per_pixel * DECODER_FRAMES as f64 + HASHING_BYTES_PER_PIXEL as f64;
    (u64::from(width) as f64 * f64::from(height) * per_pixel).ceil() as u64 + DECODER_BYTES
}

/// Bytes a decoded frame of `format` takes per pixel: luma (or grey) and
/// alpha at full size, the two chroma planes at their subsampled size,
/// two bytes a sample for formats of more than 8 bits (those named with
/// their byte order, `…le` or `…be`). Unknown formats count as 4:4:4 with
/// alpha at 16 bits.
fn decoded_bytes_per_pixel(format: Pixel) -> f64 {
    let Some(descriptor) = format.descriptor() else {
        return 8.0;
    };
    let name = descriptor.name();
    let sample = if name.ends_with("le") || name.ends_with("be") {
        2.0
    } else {
        1.0
    };
    let components = descriptor.nb_components();
    let alpha = if components == 2 || components >= 4 {
        1.0
    } else {
        0.0
    };
    let chroma = if components >= 3 {
        2.0 / f64::from(1u32 << (descriptor.log2_chroma_w() + descriptor.log2_chroma_h()))
    } else {
        0.0
    };
    (1.0 + alpha + chroma) * sample
}

/// One hashed frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feature {
    /// The frame's number, from 0, in decoding order.
    pub frame: u64,
    /// Its PDQ hash.
    pub pdq: Hash256,
    /// Its PDQ quality, 0-100.
    pub quality: u8,
    /// `frame / frame rate`, in seconds (single precision, as the
    /// reference computes it).
    pub timestamp: f32,
}

impl Feature {
    /// The feature as the exchange form carries it (no frame number).
    pub fn compact(&self) -> VpdqFeature {
        VpdqFeature {
            pdq: self.pdq,
            quality: self.quality,
            timestamp: f64::from(self.timestamp),
        }
    }
}

/// A hashed video.
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    /// The hashed frames, in order.
    pub features: Vec<Feature>,
    /// Frame width as the stream declares it.
    pub width: u32,
    /// Frame height as the stream declares it.
    pub height: u32,
    /// Frames decoded, hashed or not (an animated GIF has more than one).
    pub frames: u64,
    /// Frames per second, as used for the timestamps.
    pub frame_rate: f64,
    /// The duration the container declares, in seconds, when it does.
    pub duration: Option<f64>,
    /// Each hashed frame's views, in the order of `features`, when
    /// [`Options::views`] asked for them; empty otherwise.
    pub views: Vec<FrameViews>,
}

impl Video {
    /// The features in the exchange form's terms.
    pub fn compact(&self) -> Vec<VpdqFeature> {
        self.features.iter().map(Feature::compact).collect()
    }
}

/// How far a decode has come, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Seconds of video decoded.
    pub seconds: f64,
    /// The duration the container declares, when it does.
    pub duration: Option<f64>,
}

/// Why a video could not be hashed.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The container could not be opened or read.
    Open(String),
    /// The file has no video stream.
    NoVideoStream,
    /// The stream's width, height or frame rate is zero, or its frames
    /// are smaller than PDQ hashes.
    BadStream(String),
    /// The decoder failed.
    Decode(String),
    /// Longer than [`Limits::max_seconds`] (declared or found).
    TooLong {
        /// Seconds declared or decoded so far.
        seconds: f64,
        /// The limit.
        limit: f64,
    },
    /// More frames than [`Limits::max_frames`] (declared or found).
    TooManyFrames {
        /// The limit.
        limit: u64,
    },
    /// A frame larger than [`Limits::max_frame_pixels`].
    FrameTooLarge {
        /// The frame's width.
        width: u32,
        /// The frame's height.
        height: u32,
        /// The limit.
        limit: u64,
    },
    /// [`Options::cancel`] was set.
    Cancelled,
    /// [`Options::deadline`] passed.
    TimedOut,
    /// The video stream holds no frame.
    NoFrames,
    /// The bytes could not be handed to the decoder.
    Io(String),
    /// Its memory was not to be had ([`Options::budget`]).
    OverBudget(OverBudget),
}

impl Error {
    /// A short, stable name for the error's kind, for machine-readable
    /// output.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Open(_) => "video_unreadable",
            Error::NoVideoStream => "no_video_stream",
            Error::BadStream(_) => "bad_video_stream",
            Error::Decode(_) => "video_decode",
            Error::TooLong { .. } => "video_too_long",
            Error::TooManyFrames { .. } => "too_many_frames",
            Error::FrameTooLarge { .. } => "frame_too_large",
            Error::Cancelled => "cancelled",
            Error::TimedOut => "decode_timeout",
            Error::NoFrames => "no_frames",
            Error::Io(_) => "io",
            Error::OverBudget(OverBudget::TooLarge { .. }) => "too_costly",
            Error::OverBudget(OverBudget::Busy { .. }) => "busy",
            Error::OverBudget(OverBudget::Cancelled) => "cancelled",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Open(why) => write!(f, "cannot open the video: {why}"),
            Error::NoVideoStream => f.write_str("the file has no video stream"),
            Error::BadStream(why) => write!(f, "unusable video stream: {why}"),
            Error::Decode(why) => write!(f, "cannot decode the video: {why}"),
            Error::TooLong { seconds, limit } => write!(
                f,
                "the video runs {seconds:.0} s or more, longer than the limit of {limit:.0} s"
            ),
            Error::TooManyFrames { limit } => {
                write!(f, "the video has more than {limit} frames")
            }
            Error::FrameTooLarge {
                width,
                height,
                limit,
            } => write!(
                f,
                "a {width}x{height} frame is over the limit of {limit} pixels"
            ),
            Error::Cancelled => f.write_str("the decode was cancelled"),
            Error::TimedOut => f.write_str("the decode ran past its time budget"),
            Error::NoFrames => f.write_str("the video stream holds no frame"),
            Error::Io(why) => write!(f, "cannot read the video: {why}"),
            Error::OverBudget(why) => write!(f, "cannot hash the video now: {why}"),
        }
    }
}

impl std::error::Error for Error {}

fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Errors are returned, not printed (the reference's level too).
        if ffmpeg::init().is_ok() {
            ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
        }
    });
}

/// The vPDQ features of the video at `path`, in frame order.
pub fn hash_file(path: &Path, options: &Options) -> Result<Video, Error> {
    hash_file_with_progress(path, options, &mut |_| {})
}

/// As [`hash_file`], telling `progress` after each hashed frame.
pub fn hash_file_with_progress(
    path: &Path,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Video, Error> {
    init();
    let open = |e: ffmpeg::Error| Error::Open(e.to_string());
    let mut input = ffmpeg::format::input(&path).map_err(open)?;
    let limits = &options.limits;
    // AV_NOPTS_VALUE (or any negative value) when the container does not say.
    let duration = Some(input.duration())
        .filter(|d| *d > 0)
        .map(|d| d as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE));
    if let Some(seconds) = duration.filter(|d| *d > limits.max_seconds) {
        return Err(Error::TooLong {
            seconds,
            limit: limits.max_seconds,
        });
    }
    // The first video stream, as the reference takes (not the "best").
    let stream = input
        .streams()
        .find(|s| s.parameters().medium() == Type::Video)
        .ok_or(Error::NoVideoStream)?;
    if u64::try_from(stream.frames()).is_ok_and(|n| n > limits.max_frames) {
        return Err(Error::TooManyFrames {
            limit: limits.max_frames,
        });
    }
    let index = stream.index();
    let mut rate = stream.avg_frame_rate();
    if rate.numerator() == 0 || rate.denominator() == 0 {
        rate = stream.rate();
    }
    if rate.numerator() <= 0 || rate.denominator() <= 0 {
        return Err(Error::BadStream("its frame rate is zero".into()));
    }
    let frame_rate = f64::from(rate.numerator()) / f64::from(rate.denominator());
    let decode = |e: ffmpeg::Error| Error::Decode(e.to_string());
    let mut context =
        ffmpeg::codec::context::Context::from_parameters(stream.parameters()).map_err(decode)?;
    // Slice threads only, as the reference: frames come out in order.
    context.set_threading(ffmpeg::threading::Config {
        kind: ffmpeg::threading::Type::Slice,
        count: 0,
        safe: false,
    });
    let mut decoder = context.decoder().video().map_err(decode)?;
    let (width, height) = (decoder.width(), decoder.height());
    if width == 0 || height == 0 {
        return Err(Error::BadStream("its width or height is zero".into()));
    }
    check_frame_size(width, height, limits)?;
    // Held to the end: the frames are decoded under it.
    let memory = match &options.budget {
        Some(budget) => Some(
            budget
                .charge(
                    frame_memory(width, height, decoded_bytes_per_pixel(decoder.format())),
                    options.cancel.as_ref().unwrap_or(&Cancel::new()),
                )
                .map_err(Error::OverBudget)?,
        ),
        None => None,
    };
    let charged = memory.as_ref().map_or(u64::MAX, |c| c.bytes());
    let scaler = rgb_scaler(decoder.format(), width, height).map_err(decode)?;
    let interval = ((options.seconds_per_hash * frame_rate) as i64).max(1) as u64;
    let mut hashing = Hashing {
        interval,
        charged,
        frame_rate,
        limits: *limits,
        duration,
        received: 0,
        hasher: Hasher::new(),
        scaler,
        decoded: ffmpeg::frame::Video::empty(),
        rgb: ffmpeg::frame::Video::empty(),
        tight: Vec::new(),
        features: Vec::new(),
        views: options.views.clone(),
        frame_views: Vec::new(),
    };
    let mut packet = ffmpeg::Packet::empty();
    // Packets until the first read that fails (end of file or not), as
    // the reference reads them.
    while packet.read(&mut input).is_ok() {
        if options.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
            return Err(Error::Cancelled);
        }
        if options.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::TimedOut);
        }
        if packet.stream() != index {
            continue;
        }
        decoder.send_packet(&packet).map_err(decode)?;
        hashing.receive(&mut decoder, progress)?;
    }
    // The reference drains the decoder with a blank packet that counts as
    // the first stream's: only a video in the first stream is drained.
    if index == 0 {
        decoder.send_eof().map_err(decode)?;
        hashing.receive(&mut decoder, progress)?;
    }
    if hashing.received == 0 {
        return Err(Error::NoFrames);
    }
    Ok(Video {
        features: hashing.features,
        width,
        height,
        frames: hashing.received,
        frame_rate,
        duration,
        views: hashing.frame_views,
    })
}

/// The reference's conversion: RGB24 at the frame's own size, area
/// averaging.
fn rgb_scaler(format: Pixel, width: u32, height: u32) -> Result<Scaler, ffmpeg::Error> {
    Scaler::get(
        format,
        width,
        height,
        Pixel::RGB24,
        width,
        height,
        Flags::AREA,
    )
}

fn check_frame_size(width: u32, height: u32, limits: &Limits) -> Result<(), Error> {
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(Error::BadStream(format!(
            "{width}x{height} is smaller than {MIN_SIDE}x{MIN_SIDE}"
        )));
    }
    if u64::from(width) * u64::from(height) > limits.max_frame_pixels {
        return Err(Error::FrameTooLarge {
            width,
            height,
            limit: limits.max_frame_pixels,
        });
    }
    Ok(())
}

/// The state of one file's hashing.
struct Hashing {
    interval: u64,
    /// The memory charged for the decode (`u64::MAX`: none was).
    charged: u64,
    frame_rate: f64,
    limits: Limits,
    duration: Option<f64>,
    received: u64,
    hasher: Hasher,
    scaler: Scaler,
    decoded: ffmpeg::frame::Video,
    rgb: ffmpeg::frame::Video,
    tight: Vec<u8>,
    features: Vec<Feature>,
    views: Option<ViewHasher>,
    frame_views: Vec<FrameViews>,
}

impl Hashing {
    /// Takes every frame the decoder has ready, hashing the selected ones.
    fn receive(
        &mut self,
        decoder: &mut ffmpeg::decoder::Video,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), Error> {
        loop {
            match decoder.receive_frame(&mut self.decoded) {
                Ok(()) => {}
                Err(ffmpeg::Error::Eof) => return Ok(()),
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::util::error::EAGAIN => {
                    return Ok(())
                }
                Err(e) => return Err(Error::Decode(e.to_string())),
            }
            let frame = self.received;
            self.received += 1;
            // The memory was charged for the header's frames: a stream that
            // grows past them midway would hold what nobody charged.
            let (width, height) = (self.decoded.width(), self.decoded.height());
            let need = frame_memory(
                width,
                height,
                decoded_bytes_per_pixel(self.decoded.format()),
            );
            if need > self.charged {
                return Err(Error::BadStream(format!(
                    "frame {frame} is {width}x{height}, larger than the stream said it would be"
                )));
            }
            // A container may understate its length: the frames decoded
            // are what counts.
            if self.received > self.limits.max_frames {
                return Err(Error::TooManyFrames {
                    limit: self.limits.max_frames,
                });
            }
            let seconds = frame as f64 / self.frame_rate;
            if seconds > self.limits.max_seconds {
                return Err(Error::TooLong {
                    seconds,
                    limit: self.limits.max_seconds,
                });
            }
            if frame % self.interval == 0 {
                let feature = self.hash(frame)?;
                self.features.push(feature);
                progress(Progress {
                    seconds,
                    duration: self.duration,
                });
            }
        }
    }

    fn hash(&mut self, frame: u64) -> Result<Feature, Error> {
        let (width, height) = (self.decoded.width(), self.decoded.height());
        // A stream may change size midway (or lie about it in its header):
        // each frame is scaled at its own size, within the limit.
        if (width, height, self.decoded.format())
            != (
                self.scaler.input().width,
                self.scaler.input().height,
                self.scaler.input().format,
            )
        {
            check_frame_size(width, height, &self.limits)?;
            self.scaler = rgb_scaler(self.decoded.format(), width, height)
                .map_err(|e| Error::Decode(format!("frame {frame}: {e}")))?;
        }
        self.scaler
            .run(&self.decoded, &mut self.rgb)
            .map_err(|e| Error::Decode(format!("frame {frame}: {e}")))?;
        let (width, height) = (self.rgb.width() as usize, self.rgb.height() as usize);
        let stride = self.rgb.stride(0);
        let data = self.rgb.data(0);
        self.tight.clear();
        for row in data.chunks(stride).take(height) {
            self.tight.extend_from_slice(&row[..width * 3]);
        }
        let image = Image::rgb(&self.tight, width, height)
            .map_err(|e| Error::BadStream(format!("frame {frame}: {e}")))?;
        let hashed = self.hasher.hash(&image);
        let timestamp = frame as f32 / self.frame_rate as f32;
        if let Some(views) = &self.views {
            let frame_views = Picture::from_rgb(width, height, self.tight.clone())
                .map(|p| views.query_views(&mut self.hasher, &p))
                .unwrap_or_default();
            self.frame_views.push(FrameViews {
                timestamp: f64::from(timestamp),
                views: frame_views,
            });
        }
        Ok(Feature {
            frame,
            pdq: hashed.hash,
            quality: hashed.quality,
            timestamp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_frames_take_their_formats_bytes() {
        for (format, bytes) in [
            (Pixel::YUV420P, 1.5),
            (Pixel::NV12, 1.5),
            (Pixel::YUV422P, 2.0),
            (Pixel::YUV444P, 3.0),
            (Pixel::YUVA420P, 2.5),
            (Pixel::GRAY8, 1.0),
            (Pixel::RGB24, 3.0),
            (Pixel::RGBA, 4.0),
            (Pixel::YUV420P10LE, 3.0),
            (Pixel::YUV444P16BE, 6.0),
        ] {
            assert_eq!(decoded_bytes_per_pixel(format), bytes, "{format:?}");
        }
        // 8-bit 4:2:0 at 1080p: 58 bytes a pixel and the decoder's own.
        assert_eq!(
            frame_memory(1920, 1080, 1.5),
            1920 * 1080 * 58 + DECODER_BYTES
        );
    }
}
