//! Format detection, limits and the two decoding back ends.

use std::io::{Cursor, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};

use crate::cancel::{Cancel, CancellableReader};
use crate::error::{Error, ErrorKind};
use crate::pixels::{from_dynamic, to_dynamic, Decoded, Pixels};

/// The default pixel limit: 100 megapixels, e.g. 10,000 x 10,000. Larger
/// images are rare among real photos and common among decompression bombs.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

/// The image formats hashwatch decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// PNG, including palette, grey, 16-bit and alpha variants.
    Png,
    /// JPEG (baseline, progressive, grey, CMYK), through libjpeg-turbo.
    Jpeg,
    /// GIF; the first frame.
    Gif,
    /// Windows bitmap.
    Bmp,
    /// WebP, lossy and lossless; the first frame.
    WebP,
    /// TIFF.
    Tiff,
}

impl Format {
    /// The format's usual name.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
            Format::Gif => "GIF",
            Format::Bmp => "BMP",
            Format::WebP => "WebP",
            Format::Tiff => "TIFF",
        }
    }

    /// Recognises a format from the file's first bytes (not its name).
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        image::guess_format(bytes).ok().and_then(Format::from_image)
    }
}

/// Configures a [`Decoder`].
#[derive(Debug, Clone)]
pub struct DecoderBuilder {
    max_pixels: u64,
    apply_orientation: bool,
    cancel: Cancel,
}

impl Default for DecoderBuilder {
    fn default() -> DecoderBuilder {
        DecoderBuilder::new()
    }
}

impl DecoderBuilder {
    /// The defaults: [`DEFAULT_MAX_PIXELS`], EXIF orientation not applied.
    pub fn new() -> DecoderBuilder {
        DecoderBuilder {
            max_pixels: DEFAULT_MAX_PIXELS,
            apply_orientation: false,
            cancel: Cancel::new(),
        }
    }

    /// Refuses images whose header claims more than `limit` pixels.
    pub fn max_pixels(&mut self, limit: u64) -> &mut DecoderBuilder {
        self.max_pixels = limit;
        self
    }

    /// Rotates and flips images as their EXIF orientation tag says.
    ///
    /// Off by default, because the reference pipeline (HMA,
    /// python-threatexchange) hashes the stored pixels; dihedral matching
    /// finds rotated copies either way.
    pub fn apply_orientation(&mut self, yes: bool) -> &mut DecoderBuilder {
        self.apply_orientation = yes;
        self
    }

    /// Stops decodes when `cancel` is set: at once for formats read
    /// through a reader, before and after the decode for JPEG (one
    /// libjpeg-turbo call, at most [`DEFAULT_MAX_PIXELS`] of work).
    pub fn cancel(&mut self, cancel: Cancel) -> &mut DecoderBuilder {
        self.cancel = cancel;
        self
    }

    /// The decoder.
    pub fn build(&self) -> Decoder {
        Decoder {
            max_pixels: self.max_pixels,
            apply_orientation: self.apply_orientation,
            cancel: self.cancel.clone(),
        }
    }
}

/// Decodes image bytes into 8-bit pixels. Cheap to clone and share.
#[derive(Debug, Clone)]
pub struct Decoder {
    max_pixels: u64,
    apply_orientation: bool,
    cancel: Cancel,
}

impl Default for Decoder {
    fn default() -> Decoder {
        DecoderBuilder::new().build()
    }
}

/// What an image's header says, read without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Its format.
    pub format: Format,
    /// Its width, in pixels.
    pub width: u32,
    /// Its height, in pixels.
    pub height: u32,
    /// Bytes a pixel takes as its decoder hands it over (1 for grey, 3
    /// for RGB, 8 for 16-bit RGBA, 16 for float RGBA).
    pub decoded_bytes_per_pixel: u8,
}

impl Probe {
    /// Width times height.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

impl Decoder {
    /// Reads an image's format and size from its header only, refusing
    /// what [`Decoder::decode`] would refuse before decoding (no bytes, an
    /// unknown format, no pixels, more than the pixel limit): what a
    /// decode will cost is known before any memory is spent on it.
    pub fn probe(&self, bytes: &[u8]) -> Result<Probe, Error> {
        if bytes.is_empty() {
            return Err(Error::new(ErrorKind::Empty));
        }
        let format = Format::sniff(bytes).ok_or(Error::new(ErrorKind::UnknownFormat))?;
        let fail = |reason: String| {
            Error::new(ErrorKind::Decode {
                format: format.name(),
                reason,
            })
        };
        // Header parsers on hostile input, as decoders: a panic costs one
        // file.
        let (width, height, decoded_bytes_per_pixel) =
            catch_unwind(AssertUnwindSafe(|| match format {
                Format::Jpeg => turbojpeg::Decompressor::new()
                    .and_then(|mut d| d.read_header(bytes))
                    .map(|h| {
                        let channels = match h.colorspace {
                            turbojpeg::Colorspace::Gray => 1,
                            turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK => 4,
                            _ => 3,
                        };
                        (h.width as u64, h.height as u64, channels)
                    })
                    .map_err(|e| fail(e.to_string())),
                _ => ImageReader::with_format(Cursor::new(bytes), format.to_image())
                    .into_decoder()
                    .map(|d| {
                        let (w, h) = d.dimensions();
                        (u64::from(w), u64::from(h), d.color_type().bytes_per_pixel())
                    })
                    .map_err(|e| fail(e.to_string())),
            }))
            .unwrap_or(Err(Error::new(ErrorKind::DecoderPanic {
                format: format.name(),
            })))?;
        self.check_size(width, height).map_err(Error::new)?;
        // Within the pixel limit, each side fits in 32 bits (a JPEG's
        // sides are 16-bit; the others' headers hold 32-bit sides).
        let side = |v: u64| u32::try_from(v).map_err(|_| fail(format!("a side of {v} pixels")));
        Ok(Probe {
            format,
            width: side(width)?,
            height: side(height)?,
            decoded_bytes_per_pixel,
        })
    }

    /// Decodes one image. The error names no file; add one with
    /// [`Error::with_path`].
    pub fn decode(&self, bytes: &[u8]) -> Result<Decoded, Error> {
        if bytes.is_empty() {
            return Err(Error::new(ErrorKind::Empty));
        }
        let format = Format::sniff(bytes).ok_or(Error::new(ErrorKind::UnknownFormat))?;
        if self.cancel.is_cancelled() {
            return Err(Error::new(ErrorKind::Cancelled));
        }
        // A decoder bug on hostile input must cost one file, not the process.
        let decoded = catch_unwind(AssertUnwindSafe(|| match format {
            Format::Jpeg => self.decode_jpeg(bytes),
            _ => self.decode_other(bytes, format),
        }))
        .unwrap_or(Err(ErrorKind::DecoderPanic {
            format: format.name(),
        }));
        // However the decoder reported the failed read, it was a cancel.
        if self.cancel.is_cancelled() {
            return Err(Error::new(ErrorKind::Cancelled));
        }
        decoded.map_err(Error::new)
    }

    fn check_size(&self, width: u64, height: u64) -> Result<(), ErrorKind> {
        if width == 0 || height == 0 {
            return Err(ErrorKind::ZeroSize);
        }
        if width.saturating_mul(height) > self.max_pixels {
            return Err(ErrorKind::TooManyPixels {
                width,
                height,
                limit: self.max_pixels,
            });
        }
        Ok(())
    }

    fn decode_jpeg(&self, bytes: &[u8]) -> Result<Decoded, ErrorKind> {
        let fail = |e: turbojpeg::Error| ErrorKind::Decode {
            format: "JPEG",
            reason: e.to_string(),
        };
        let mut decompressor = turbojpeg::Decompressor::new().map_err(fail)?;
        let header = decompressor.read_header(bytes).map_err(fail)?;
        let (width, height) = (header.width, header.height);
        self.check_size(width as u64, height as u64)?;
        let cmyk = matches!(
            header.colorspace,
            turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK
        );
        let grey = header.colorspace == turbojpeg::Colorspace::Gray;
        let (format, channels) = if grey {
            (turbojpeg::PixelFormat::GRAY, 1)
        } else if cmyk {
            (turbojpeg::PixelFormat::CMYK, 4)
        } else {
            (turbojpeg::PixelFormat::RGB, 3)
        };
        let mut buffer = vec![0u8; width * height * channels];
        decompressor
            .decompress(
                bytes,
                turbojpeg::Image {
                    pixels: buffer.as_mut_slice(),
                    width,
                    pitch: width * channels,
                    height,
                    format,
                },
            )
            .map_err(fail)?;
        let pixels = if grey {
            Pixels::Grey(buffer)
        } else if cmyk {
            Pixels::Rgb(cmyk_to_rgb(&buffer))
        } else {
            Pixels::Rgb(buffer)
        };
        let orientation = if self.apply_orientation {
            jpeg_orientation(bytes)
        } else {
            None
        };
        orient(
            Decoded {
                format: Format::Jpeg,
                width: width as u32,
                height: height as u32,
                pixels,
            },
            orientation,
        )
    }

    fn decode_other(&self, bytes: &[u8], format: Format) -> Result<Decoded, ErrorKind> {
        let fail = |e: image::ImageError| ErrorKind::Decode {
            format: format.name(),
            reason: e.to_string(),
        };
        let mut reader = ImageReader::with_format(
            CancellableReader::new(bytes, self.cancel.clone()),
            format.to_image(),
        );
        let mut limits = image::Limits::default();
        // 16-bit RGBA is the widest layout the decoders produce for PNG;
        // headers are checked against `max_pixels` below, this only bounds
        // the decoders' own allocations.
        limits.max_alloc = Some(self.max_pixels.saturating_mul(8).max(64 << 20));
        reader.limits(limits);
        let mut decoder = reader.into_decoder().map_err(fail)?;
        let (width, height) = decoder.dimensions();
        self.check_size(width.into(), height.into())?;
        let orientation = if self.apply_orientation {
            decoder.orientation().ok()
        } else {
            None
        };
        let image = DynamicImage::from_decoder(decoder).map_err(fail)?;
        orient(
            Decoded {
                format,
                width: image.width(),
                height: image.height(),
                pixels: from_dynamic(image),
            },
            orientation,
        )
    }
}

/// Adobe CMYK JPEGs store inverted ink values, so each stored byte is
/// already `255 - ink`; RGB is then `stored_c * stored_k / 255`.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let scale = |v: u8, k: u8| ((v as u32 * k as u32 + 127) / 255) as u8;
    cmyk.chunks_exact(4)
        .flat_map(|p| [scale(p[0], p[3]), scale(p[1], p[3]), scale(p[2], p[3])])
        .collect()
}

/// The EXIF orientation of a JPEG, read from its headers only.
fn jpeg_orientation(bytes: &[u8]) -> Option<Orientation> {
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes)).ok()?;
    decoder.orientation().ok()
}

/// Rotates and flips decoded pixels as `orientation` says, moving them
/// rather than copying.
fn orient(decoded: Decoded, orientation: Option<Orientation>) -> Result<Decoded, ErrorKind> {
    let Some(orientation) = orientation.filter(|o| *o != Orientation::NoTransforms) else {
        return Ok(decoded);
    };
    let format = decoded.format;
    let mut image =
        to_dynamic(decoded.pixels, decoded.width, decoded.height).ok_or(ErrorKind::Decode {
            format: format.name(),
            reason: "decoded pixels do not fit the image's dimensions".to_string(),
        })?;
    image.apply_orientation(orientation);
    Ok(Decoded {
        format,
        width: image.width(),
        height: image.height(),
        pixels: from_dynamic(image),
    })
}

/// Reads a whole file, refusing one larger than `max_bytes` before reading it.
pub fn read_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, Error> {
    let io = |e: std::io::Error| Error::new(ErrorKind::Io(e)).with_path(path);
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > max_bytes {
        return Err(Error::new(ErrorKind::TooManyBytes {
            size,
            limit: max_bytes,
        })
        .with_path(path));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` also bounds a file that grows while it is read.
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::new(ErrorKind::TooManyBytes {
            size: bytes.len() as u64,
            limit: max_bytes,
        })
        .with_path(path));
    }
    Ok(bytes)
}
