//! PDQ perceptual hashing of images, bit-exact with Meta's reference.
//!
//! PDQ turns an image into a 256-bit [`Hash256`] that changes little when the
//! image is resized, recompressed or lightly edited, so near copies of a known
//! image lie within a small Hamming distance of its hash. This crate follows
//! Meta's C++ reference (facebook/ThreatExchange `pdq/cpp`) step by step and
//! gives the same bits and quality as the `pdqhash` binding that HMA and
//! python-threatexchange hash with. It knows nothing of file formats: pixels
//! come in as an [`Image`], a [`PdqHash`] or [`Dihedral`] set comes out.
//!
//! ```
//! use hashwatch_pdq::{Hasher, Image};
//!
//! // A 32x32 diagonal gradient, as interleaved RGB bytes.
//! let (width, height) = (32, 32);
//! let rgb: Vec<u8> = (0..width * height)
//!     .flat_map(|i| {
//!         let v = ((i % width + i / width) * 4) as u8;
//!         [v, v, v]
//!     })
//!     .collect();
//! let image = Image::rgb(&rgb, width, height)?;
//! let mut hasher = Hasher::new();
//! let pdq = hasher.hash(&image);
//! assert_eq!(pdq.hash.to_string().len(), 64);
//! // The eight dihedral hashes come from the same DCT; the first is the original.
//! let all = hasher.hash_dihedral(&image);
//! assert_eq!(all.hashes[0], pdq.hash);
//! # Ok::<(), hashwatch_pdq::Error>(())
//! ```
//!
//! The steps, each in its own module: luma as the binding computes it
//! (`luma`), the Jarosz tent-filter downscale to 64x64 (`blur`), the quality
//! metric (`quality`), the 16x16 DCT (`dct`), and the median threshold and
//! dihedral transforms (`bits`).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bits;
mod blur;
mod dct;
mod hash;
mod luma;
mod quality;
#[cfg(test)]
mod reference;
pub mod vpdq;

use std::fmt;

pub use crate::hash::{Hash256, ParseHashError};

use crate::blur::{Buffers, LANES, OUT};
use crate::dct::DctMatrix;

/// Images with a side shorter than this get the all-zero hash and quality 0,
/// as in the reference.
pub const MIN_DIMENSION: usize = 5;

/// A borrowed image: 8-bit pixels, row-major, no padding between rows.
#[derive(Clone, Copy)]
pub struct Image<'a> {
    pixels: Pixels<'a>,
    width: usize,
    height: usize,
}

#[derive(Clone, Copy)]
enum Pixels<'a> {
    /// Interleaved R, G, B.
    Rgb(&'a [u8]),
    /// One grey byte per pixel.
    Grey(&'a [u8]),
}

impl<'a> Image<'a> {
    /// Interleaved RGB bytes, `3 * width * height` of them.
    pub fn rgb(pixels: &'a [u8], width: usize, height: usize) -> Result<Image<'a>, Error> {
        check_len(pixels.len(), 3, width, height)?;
        Ok(Image {
            pixels: Pixels::Rgb(pixels),
            width,
            height,
        })
    }

    /// Grey bytes, `width * height` of them. Hashed as RGB with R = G = B,
    /// which is how grey images reach the reference binding.
    pub fn grey(pixels: &'a [u8], width: usize, height: usize) -> Result<Image<'a>, Error> {
        check_len(pixels.len(), 1, width, height)?;
        Ok(Image {
            pixels: Pixels::Grey(pixels),
            width,
            height,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Writes the luma of `lanes.len()` columns of up to [`LANES`] rows
    /// starting at `first_row`, lane `l` holding row `first_row + l`.
    fn fill_row_block(&self, first_row: usize, lanes: &mut [[f32; LANES]]) {
        let rows = LANES.min(self.height - first_row);
        let w = self.width;
        match self.pixels {
            Pixels::Rgb(p) if rows == LANES => {
                // A full block: each column's eight lumas are computed side
                // by side, which vectorises across the lanes.
                let block: [&[u8]; LANES] = std::array::from_fn(|l| {
                    &p[3 * (first_row + l) * w..3 * (first_row + l + 1) * w]
                });
                for (j, lane) in lanes.iter_mut().enumerate() {
                    let weighted: [i32; LANES] = std::array::from_fn(|l| {
                        let px = &block[l][3 * j..3 * j + 3];
                        luma::weighted(px[0], px[1], px[2])
                    });
                    *lane = weighted.map(luma::from_weighted);
                }
            }
            Pixels::Rgb(p) => {
                for l in 0..rows {
                    let y = first_row + l;
                    let row = &p[3 * y * w..3 * (y + 1) * w];
                    for (lane, px) in lanes.iter_mut().zip(row.chunks_exact(3)) {
                        lane[l] = luma::rgb(px[0], px[1], px[2]);
                    }
                }
            }
            Pixels::Grey(p) => {
                for l in 0..rows {
                    let y = first_row + l;
                    let row = &p[y * w..(y + 1) * w];
                    for (lane, &v) in lanes.iter_mut().zip(row) {
                        lane[l] = luma::grey(v);
                    }
                }
            }
        }
    }

    /// The luma plane of a 64x64 image, which the reference hashes without
    /// blurring.
    fn luma_64x64(&self) -> [[f32; OUT]; OUT] {
        let mut out = [[0.0f32; OUT]; OUT];
        for (y, row) in out.iter_mut().enumerate() {
            for (x, v) in row.iter_mut().enumerate() {
                let i = y * OUT + x;
                *v = match self.pixels {
                    Pixels::Rgb(p) => luma::rgb(p[3 * i], p[3 * i + 1], p[3 * i + 2]),
                    Pixels::Grey(p) => luma::grey(p[i]),
                };
            }
        }
        out
    }
}

fn check_len(len: usize, channels: usize, width: usize, height: usize) -> Result<(), Error> {
    let expected = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(channels))
        .ok_or(Error::TooLarge { width, height })?;
    if len != expected {
        return Err(Error::BufferSize {
            expected,
            actual: len,
        });
    }
    Ok(())
}

/// Why pixels cannot be hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The pixel buffer does not hold `width * height` pixels.
    BufferSize {
        /// Bytes needed for the stated dimensions.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// The dimensions overflow the address space.
    TooLarge {
        /// Stated width.
        width: usize,
        /// Stated height.
        height: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BufferSize { expected, actual } => write!(
                f,
                "pixel buffer holds {actual} bytes, the dimensions need {expected}"
            ),
            Error::TooLarge { width, height } => {
                write!(f, "image dimensions {width}x{height} are too large")
            }
        }
    }
}

impl std::error::Error for Error {}

/// A PDQ hash with its quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqHash {
    /// The hash.
    pub hash: Hash256,
    /// 0..=100: how much significant gradient the image has. Hashes of flat
    /// or nearly flat images (low quality) match each other by accident, so
    /// matchers ignore them below a floor (HMA uses 50).
    pub quality: u8,
}

/// The hashes of an image's eight dihedral variants (the original, three
/// rotations and four flips), from one DCT, as the reference computes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dihedral {
    /// In the order of [`Dihedral::NAMES`].
    pub hashes: [Hash256; 8],
    /// The quality, shared by all eight.
    pub quality: u8,
}

impl Dihedral {
    /// The variants' names as the reference and `dihedral.tsv` use them.
    pub const NAMES: [&'static str; 8] = [
        "original",
        "rot90",
        "rot180",
        "rot270",
        "flipx",
        "flipy",
        "flipplus1",
        "flipminus1",
    ];
}

/// Computes PDQ hashes, keeping its buffers between images.
///
/// One `Hasher` per thread: it is cheap to create, and reusing it avoids
/// allocating full-resolution buffers for every image.
pub struct Hasher {
    buffers: Buffers,
    dct: DctMatrix,
}

impl Default for Hasher {
    fn default() -> Hasher {
        Hasher::new()
    }
}

impl Hasher {
    /// A hasher with empty buffers.
    pub fn new() -> Hasher {
        Hasher {
            buffers: Buffers::default(),
            dct: DctMatrix::new(),
        }
    }

    /// The PDQ hash and quality, as the reference's `pdqHash256FromFloatLuma`
    /// (and `pdqhash.compute`) gives them.
    pub fn hash(&mut self, image: &Image<'_>) -> PdqHash {
        let Some(downsampled) = self.downsample(image, true) else {
            return PdqHash {
                hash: Hash256::ZERO,
                quality: 0,
            };
        };
        PdqHash {
            hash: bits::to_hash(&self.dct.apply(&downsampled)),
            quality: quality::quality(&downsampled),
        }
    }

    /// The hashes of all eight dihedral variants, as the reference's
    /// `pdqDihedralHash256esFromFloatLuma` (and `pdqhash.compute_dihedral`)
    /// gives them.
    ///
    /// For every image but a 64x64 one, `hashes[0]` equals [`Hasher::hash`];
    /// at exactly 64x64 the reference's plain hash skips the blur and its
    /// dihedral hashes do not, so the two can differ by a few bits.
    pub fn hash_dihedral(&mut self, image: &Image<'_>) -> Dihedral {
        let Some(downsampled) = self.downsample(image, false) else {
            return Dihedral {
                hashes: [Hash256::ZERO; 8],
                quality: 0,
            };
        };
        let block = self.dct.apply(&downsampled);
        Dihedral {
            hashes: [
                bits::to_hash(&block),
                bits::to_hash(&bits::rotate90(&block)),
                bits::to_hash(&bits::rotate180(&block)),
                bits::to_hash(&bits::rotate270(&block)),
                bits::to_hash(&bits::flip_x(&block)),
                bits::to_hash(&bits::flip_y(&block)),
                bits::to_hash(&bits::flip_plus1(&block)),
                bits::to_hash(&bits::flip_minus1(&block)),
            ],
            quality: quality::quality(&downsampled),
        }
    }

    /// Both [`Hasher::hash`] and [`Hasher::hash_dihedral`], blurring once
    /// where the two agree (every size but 64x64).
    pub fn hash_with_dihedral(&mut self, image: &Image<'_>) -> (PdqHash, Dihedral) {
        let dihedral = self.hash_dihedral(image);
        let plain = if image.width == OUT && image.height == OUT {
            self.hash(image)
        } else {
            PdqHash {
                hash: dihedral.hashes[0],
                quality: dihedral.quality,
            }
        };
        (plain, dihedral)
    }

    /// The 64x64 downsample, or `None` for images too small to hash.
    /// `skip_blur_at_64` reproduces the reference's plain-hash shortcut for
    /// input that is already 64x64.
    fn downsample(
        &mut self,
        image: &Image<'_>,
        skip_blur_at_64: bool,
    ) -> Option<[[f32; OUT]; OUT]> {
        if image.width < MIN_DIMENSION || image.height < MIN_DIMENSION {
            return None;
        }
        if skip_blur_at_64 && image.width == OUT && image.height == OUT {
            return Some(image.luma_64x64());
        }
        Some(blur::downscale(
            &mut self.buffers,
            image.width,
            image.height,
            |first, lanes| image.fill_row_block(first, lanes),
        ))
    }
}
