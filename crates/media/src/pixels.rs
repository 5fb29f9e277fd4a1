//! Decoded pixels, and conversion from the `image` crate's many layouts to
//! the two the hasher takes.

use image::DynamicImage;

use crate::decode::Format;

/// 8-bit pixels, row-major with no padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pixels {
    /// Interleaved R, G, B.
    Rgb(Vec<u8>),
    /// One grey byte per pixel.
    Grey(Vec<u8>),
}

/// A decoded image.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The file format it was decoded from.
    pub format: Format,
    /// Width in pixels (after orientation, if that was applied).
    pub width: u32,
    /// Height in pixels (after orientation, if that was applied).
    pub height: u32,
    /// The pixels.
    pub pixels: Pixels,
}

/// The top byte of a 16-bit sample, as Pillow and libpng's `strip_16` reduce
/// 16-bit images.
fn top_byte(v: u16) -> u8 {
    (v >> 8) as u8
}

/// Reduces any `image` layout to 8-bit RGB or grey, dropping alpha without
/// compositing, as the reference pipeline does (it hashes the first three
/// channels of whatever Pillow gives it).
pub(crate) fn from_dynamic(image: DynamicImage) -> Pixels {
    match image {
        DynamicImage::ImageLuma8(b) => Pixels::Grey(b.into_raw()),
        DynamicImage::ImageLumaA8(b) => Pixels::Grey(b.pixels().map(|p| p.0[0]).collect()),
        DynamicImage::ImageRgb8(b) => Pixels::Rgb(b.into_raw()),
        DynamicImage::ImageRgba8(b) => {
            Pixels::Rgb(b.pixels().flat_map(|p| [p.0[0], p.0[1], p.0[2]]).collect())
        }
        DynamicImage::ImageLuma16(b) => {
            Pixels::Grey(b.pixels().map(|p| top_byte(p.0[0])).collect())
        }
        DynamicImage::ImageLumaA16(b) => {
            Pixels::Grey(b.pixels().map(|p| top_byte(p.0[0])).collect())
        }
        DynamicImage::ImageRgb16(b) => {
            Pixels::Rgb(b.into_raw().into_iter().map(top_byte).collect())
        }
        DynamicImage::ImageRgba16(b) => Pixels::Rgb(
            b.pixels()
                .flat_map(|p| [top_byte(p.0[0]), top_byte(p.0[1]), top_byte(p.0[2])])
                .collect(),
        ),
        // Floating-point layouts (some TIFFs): the `image` crate's clamping
        // conversion.
        other => Pixels::Rgb(other.to_rgb8().into_raw()),
    }
}

/// Moves decoded pixels into an `image` buffer (to reorient them).
pub(crate) fn to_dynamic(pixels: Pixels, width: u32, height: u32) -> Option<DynamicImage> {
    match pixels {
        Pixels::Rgb(v) => image::RgbImage::from_raw(width, height, v).map(DynamicImage::ImageRgb8),
        Pixels::Grey(v) => {
            image::GrayImage::from_raw(width, height, v).map(DynamicImage::ImageLuma8)
        }
    }
}

impl Format {
    pub(crate) fn to_image(self) -> image::ImageFormat {
        match self {
            Format::Png => image::ImageFormat::Png,
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Gif => image::ImageFormat::Gif,
            Format::Bmp => image::ImageFormat::Bmp,
            Format::WebP => image::ImageFormat::WebP,
            Format::Tiff => image::ImageFormat::Tiff,
        }
    }

    pub(crate) fn from_image(format: image::ImageFormat) -> Option<Format> {
        Some(match format {
            image::ImageFormat::Png => Format::Png,
            image::ImageFormat::Jpeg => Format::Jpeg,
            image::ImageFormat::Gif => Format::Gif,
            image::ImageFormat::Bmp => Format::Bmp,
            image::ImageFormat::WebP => Format::WebP,
            image::ImageFormat::Tiff => Format::Tiff,
            _ => return None,
        })
    }
}
