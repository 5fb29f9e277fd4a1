//! Videos: files whose first bytes say they are video containers are hashed
//! with vPDQ (and digested as they are, HMA's `video_md5` being their MD5);
//! an animated GIF is an image (its first frame's PDQ, as HMA hashes GIFs)
//! that is also a video.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use hashwatch_media::{Cancel, Error, Format};
use hashwatch_pdq::Hasher;
use hashwatch_video::{Limits, Options, Progress, Video};

use crate::{Digests, ImageSignals, SignalHasher};

/// The default largest video file: 4 GiB.
pub const DEFAULT_MAX_VIDEO_BYTES: u64 = 4 << 30;

#[derive(Debug, Clone)]
pub(crate) struct VideoSettings {
    pub(crate) limits: Limits,
    pub(crate) max_bytes: u64,
    pub(crate) seconds_per_hash: f64,
    pub(crate) budget: Option<Duration>,
    pub(crate) cancel: Option<Cancel>,
    pub(crate) views: Option<hashwatch_robust::ViewHasher>,
}

impl Default for VideoSettings {
    fn default() -> VideoSettings {
        VideoSettings {
            limits: Limits::default(),
            max_bytes: DEFAULT_MAX_VIDEO_BYTES,
            seconds_per_hash: 1.0,
            budget: None,
            cancel: None,
            views: None,
        }
    }
}

impl VideoSettings {
    /// The options for one decode, its deadline counted from now.
    fn options(&self) -> Options {
        Options {
            seconds_per_hash: self.seconds_per_hash,
            limits: self.limits,
            cancel: self.cancel.clone(),
            deadline: self.budget.map(|b| Instant::now() + b),
            views: self.views.clone(),
            budget: None,
        }
    }
}

/// The signals of a video file.
#[derive(Debug, Clone)]
pub struct VideoSignals {
    /// The hashed frames and what the stream says of itself.
    pub video: Video,
    /// Exact digests of the file's bytes (MD5 is HMA's `video_md5`).
    pub digests: Digests,
    /// For an animated image (GIF): its first frame as an image.
    pub still: Option<ImageSignals>,
}

/// The signals of a media file: an image, or a video.
#[derive(Debug, Clone)]
pub enum MediaSignals {
    /// A still image.
    Image(ImageSignals),
    /// A video (or an animated image).
    Video(VideoSignals),
}

impl MediaSignals {
    /// Exact digests of the file's bytes.
    pub fn digests(&self) -> &Digests {
        match self {
            MediaSignals::Image(image) => &image.digests,
            MediaSignals::Video(video) => &video.digests,
        }
    }

    /// The image's signals, or an animated image's first frame's.
    pub fn image(&self) -> Option<&ImageSignals> {
        match self {
            MediaSignals::Image(image) => Some(image),
            MediaSignals::Video(video) => video.still.as_ref(),
        }
    }

    /// The video's signals.
    pub fn video(&self) -> Option<&VideoSignals> {
        match self {
            MediaSignals::Image(_) => None,
            MediaSignals::Video(video) => Some(video),
        }
    }
}

fn video_error(e: hashwatch_video::Error) -> Error {
    match e {
        hashwatch_video::Error::Cancelled => Error::video("cancelled", e.to_string()),
        e => Error::video(e.code(), e.to_string()),
    }
}

impl SignalHasher {
    /// Hashes the image or video at `path`: a video is decoded from the
    /// file (never read into memory whole), `progress` hearing of its
    /// frames; anything else is read once and hashed as an image.
    pub fn hash_media_file(
        &self,
        pdq: &mut Hasher,
        path: &Path,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<MediaSignals, Error> {
        let io = |e: std::io::Error| Error::io(e).with_path(path);
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut head = Vec::with_capacity(hashwatch_video::SNIFF_BYTES);
        (&mut file)
            .take(hashwatch_video::SNIFF_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        if !hashwatch_video::is_video(&head) {
            drop(file);
            let image = self.hash_file(pdq, path)?;
            return Ok(self.with_animation(image, || {
                hashwatch_video::hash_file(path, &self.video.options())
            }));
        }
        let size = file.metadata().map_err(io)?.len();
        if size > self.video.max_bytes {
            return Err(Error::too_many_bytes(size, self.video.max_bytes).with_path(path));
        }
        let video = hashwatch_video::hash_file_with_progress(path, &self.video.options(), progress)
            .map_err(|e| video_error(e).with_path(path))?;
        let file = std::fs::File::open(path).map_err(io)?;
        let digests = Digests::of_reader(file.take(self.video.max_bytes)).map_err(io)?;
        Ok(MediaSignals::Video(VideoSignals {
            video,
            digests,
            still: None,
        }))
    }

    /// Hashes an image or video held in memory (an upload).
    pub fn hash_media_bytes(&self, pdq: &mut Hasher, bytes: &[u8]) -> Result<MediaSignals, Error> {
        let head = &bytes[..bytes.len().min(hashwatch_video::SNIFF_BYTES)];
        if !hashwatch_video::is_video(head) {
            let image = self.hash_bytes(pdq, bytes)?;
            return Ok(self.with_animation(image, || {
                hashwatch_video::hash_bytes(bytes, &self.video.options())
            }));
        }
        if bytes.len() as u64 > self.video.max_bytes {
            return Err(Error::too_many_bytes(
                bytes.len() as u64,
                self.video.max_bytes,
            ));
        }
        let video =
            hashwatch_video::hash_bytes(bytes, &self.video.options()).map_err(video_error)?;
        Ok(MediaSignals::Video(VideoSignals {
            video,
            digests: Digests::of(bytes),
            still: None,
        }))
    }

    /// An image, or, when it is an animated GIF, a video whose still is
    /// the image. A GIF FFmpeg cannot read stays an image: it decoded.
    fn with_animation(
        &self,
        image: ImageSignals,
        hash_video: impl FnOnce() -> Result<Video, hashwatch_video::Error>,
    ) -> MediaSignals {
        if image.format != Format::Gif {
            return MediaSignals::Image(image);
        }
        match hash_video() {
            Ok(video) if video.frames > 1 => MediaSignals::Video(VideoSignals {
                video,
                digests: image.digests,
                still: Some(image),
            }),
            _ => MediaSignals::Image(image),
        }
    }
}
