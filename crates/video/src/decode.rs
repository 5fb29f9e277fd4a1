//! Decoding a video file and hashing its frames (see the crate's docs for
//! the rules).

use std::fmt;
use std::path::Path;
use std::sync::Once;

use ffmpeg::format::Pixel;
use ffmpeg::media::Type;
use ffmpeg::software::scaling::{Context as Scaler, Flags};
use ffmpeg_next as ffmpeg;
use hashwatch_pdq::{Hash256, Hasher, Image};

/// The smallest width and height the reference hashes.
const MIN_SIDE: u32 = 5;

/// How to hash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Seconds between hashed frames (the reference's default is 1; 0
    /// hashes every frame).
    pub seconds_per_hash: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seconds_per_hash: 1.0,
        }
    }
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

/// Why a video could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Open(why) => write!(f, "cannot open the video: {why}"),
            Error::NoVideoStream => f.write_str("the file has no video stream"),
            Error::BadStream(why) => write!(f, "unusable video stream: {why}"),
            Error::Decode(why) => write!(f, "cannot decode the video: {why}"),
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
pub fn hash_file(path: &Path, options: &Options) -> Result<Vec<Feature>, Error> {
    init();
    let open = |e: ffmpeg::Error| Error::Open(e.to_string());
    let mut input = ffmpeg::format::input(&path).map_err(open)?;
    // The first video stream, as the reference takes (not the "best").
    let stream = input
        .streams()
        .find(|s| s.parameters().medium() == Type::Video)
        .ok_or(Error::NoVideoStream)?;
    let index = stream.index();
    let mut rate = stream.avg_frame_rate();
    if rate.numerator() == 0 || rate.denominator() == 0 {
        rate = stream.rate();
    }
    if rate.numerator() == 0 || rate.denominator() == 0 {
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
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(Error::BadStream(format!(
            "{width}x{height} is smaller than {MIN_SIDE}x{MIN_SIDE}"
        )));
    }
    let mut scaler = Scaler::get(
        decoder.format(),
        width,
        height,
        Pixel::RGB24,
        width,
        height,
        Flags::AREA,
    )
    .map_err(decode)?;
    let interval = ((options.seconds_per_hash * frame_rate) as i64).max(1) as u64;
    let mut hashing = Hashing {
        interval,
        frame_rate: frame_rate as f32,
        received: 0,
        hasher: Hasher::new(),
        decoded: ffmpeg::frame::Video::empty(),
        rgb: ffmpeg::frame::Video::empty(),
        tight: Vec::new(),
        features: Vec::new(),
    };
    let mut packet = ffmpeg::Packet::empty();
    // Packets until the first read that fails (end of file or not), as
    // the reference reads them.
    while packet.read(&mut input).is_ok() {
        if packet.stream() != index {
            continue;
        }
        decoder.send_packet(&packet).map_err(decode)?;
        hashing.receive(&mut decoder, &mut scaler)?;
    }
    // The reference drains the decoder with a blank packet that counts as
    // the first stream's: only a video in the first stream is drained.
    if index == 0 {
        decoder.send_eof().map_err(decode)?;
        hashing.receive(&mut decoder, &mut scaler)?;
    }
    Ok(hashing.features)
}

/// The state of one file's hashing.
struct Hashing {
    interval: u64,
    frame_rate: f32,
    received: u64,
    hasher: Hasher,
    decoded: ffmpeg::frame::Video,
    rgb: ffmpeg::frame::Video,
    tight: Vec<u8>,
    features: Vec<Feature>,
}

impl Hashing {
    /// Takes every frame the decoder has ready, hashing the selected ones.
    fn receive(
        &mut self,
        decoder: &mut ffmpeg::decoder::Video,
        scaler: &mut Scaler,
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
            if frame % self.interval == 0 {
                let feature = self.hash(frame, scaler)?;
                self.features.push(feature);
            }
        }
    }

    fn hash(&mut self, frame: u64, scaler: &mut Scaler) -> Result<Feature, Error> {
        scaler
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
        Ok(Feature {
            frame,
            pdq: hashed.hash,
            quality: hashed.quality,
            timestamp: frame as f32 / self.frame_rate,
        })
    }
}
