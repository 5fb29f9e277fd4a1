//! Turns image files into pixels for hashing.
//!
//! A [`Decoder`] (configured through [`DecoderBuilder`]) takes the bytes of a
//! PNG, JPEG, GIF (first frame), BMP, WebP or TIFF file and gives a
//! [`Decoded`] image: 8-bit RGB or grey pixels, alpha dropped, as the PDQ
//! reference pipeline sees them. JPEG goes through libjpeg-turbo (accurate
//! integer IDCT, fancy upsampling), the decoder behind Pillow, HMA and
//! python-threatexchange, because other JPEG decoders land a few hash bits
//! away; everything else goes through the `image` crate.
//!
//! Hostile input is expected: the pixel count is checked against a limit
//! from the header before any pixel buffer is allocated, a decoder panic is
//! contained and reported as an [`Error`] for that file, and every error
//! names its file and reason.
//!
//! ```
//! use hashwatch_media::{DecoderBuilder, ErrorKind};
//!
//! let decoder = DecoderBuilder::new().max_pixels(1_000_000).build();
//! let err = decoder.decode(b"not an image").unwrap_err();
//! assert!(matches!(err.kind(), ErrorKind::UnknownFormat));
//! ```

#![deny(missing_docs)]

mod budget;
mod cancel;
mod decode;
mod error;
mod pixels;

pub use crate::budget::{BudgetLimits, Charge, MemoryBudget, OverBudget};
pub use crate::cancel::Cancel;
pub use crate::decode::{read_file, Decoder, DecoderBuilder, Format, Probe, DEFAULT_MAX_PIXELS};
pub use crate::error::{Error, ErrorKind};
pub use crate::pixels::{Decoded, Pixels};
