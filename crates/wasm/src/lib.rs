//! PDQ, MD5 and SHA-256 for the browser.
//!
//! Compiled to `wasm32-unknown-unknown` and embedded in the service, this
//! lets the public report page hash a picture on the reporter's machine
//! and send only its hashes (the StopNCII model). The page decodes the
//! picture with the browser's own decoder and hands over RGBA pixels; the
//! hashing is this workspace's `pdq` crate, so the bits are the native
//! ones for the same pixels.
//!
//! The interface is plain WebAssembly exports over one input and one
//! output buffer kept here, so no JavaScript glue and no `unsafe` is
//! needed: the page asks [`input`] for room, writes into the module's
//! memory there, calls [`pdq_rgba`] or [`digests`], and reads ASCII from
//! [`output`].

#![deny(missing_docs)]
// Exports need `#[no_mangle]`, which the `unsafe_code` lint counts; there
// is no `unsafe` block in this crate.
#![allow(unsafe_code)]

mod orientation;

use std::cell::RefCell;

use hashwatch_pdq::{Hasher, Image};
use md5::Md5;
use sha2::{Digest, Sha256};

/// Largest picture hashed, in pixels (as the service's default limit).
pub const MAX_PIXELS: usize = 100_000_000;

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Room for `len` input bytes; returns where to write them (valid until
/// the next call of `input`).
#[no_mangle]
pub extern "C" fn input(len: usize) -> *mut u8 {
    INPUT.with_borrow_mut(|buffer| {
        buffer.clear();
        buffer.resize(len, 0);
        buffer.as_mut_ptr()
    })
}

/// Where the last answer is, as ASCII.
#[no_mangle]
pub extern "C" fn output() -> *const u8 {
    OUTPUT.with_borrow(|buffer| buffer.as_ptr())
}

/// The last answer's length.
#[no_mangle]
pub extern "C" fn output_len() -> usize {
    OUTPUT.with_borrow(|buffer| buffer.len())
}

fn answer(text: &str) {
    OUTPUT.with_borrow_mut(|buffer| {
        buffer.clear();
        buffer.extend_from_slice(text.as_bytes());
    });
}

/// The EXIF orientation (1-8) of a JPEG whose bytes are the input, or 1
/// when it has none (or is not a JPEG).
#[no_mangle]
pub extern "C" fn exif_orientation() -> u32 {
    INPUT.with_borrow(|bytes| orientation::of_jpeg(bytes).unwrap_or(1))
}

/// Hashes the input as `width` × `height` RGBA pixels (a canvas's
/// `ImageData`; alpha is ignored, as the reference ignores it) that a
/// browser showed with EXIF `orientation` applied: the stored pixels
/// are restored first, because the reference hashes those. The answer
/// is `<pdq hex> <quality>`; returns 0, or -1 when the input is not that
/// many pixels (the answer says why).
#[no_mangle]
pub extern "C" fn pdq_rgba(width: usize, height: usize, orientation: u32) -> i32 {
    match hash_rgba(width, height, orientation) {
        Ok(text) => {
            answer(&text);
            0
        }
        Err(why) => {
            answer(&why);
            -1
        }
    }
}

fn hash_rgba(width: usize, height: usize, orientation: u32) -> Result<String, String> {
    let pixels = width
        .checked_mul(height)
        .filter(|n| *n <= MAX_PIXELS)
        .ok_or_else(|| format!("a {width}×{height} picture is too large to hash here"))?;
    INPUT.with_borrow(|rgba| {
        if rgba.len() != pixels * 4 {
            return Err(format!(
                "{} bytes are not {width}×{height} RGBA pixels",
                rgba.len()
            ));
        }
        let (rgb, width, height) = orientation::stored(&rgb_of(rgba), width, height, orientation);
        let image = Image::rgb(&rgb, width, height).map_err(|e| e.to_string())?;
        let pdq = Hasher::new().hash(&image);
        Ok(format!("{} {}", pdq.hash, pdq.quality))
    })
}

/// RGB of RGBA pixels.
fn rgb_of(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// The MD5 and SHA-256 of the input (a file's bytes): the answer is
/// `<md5 hex> <sha256 hex>`.
#[no_mangle]
pub extern "C" fn digests() -> i32 {
    let text = INPUT.with_borrow(|bytes| {
        format!(
            "{} {}",
            hex(&Md5::digest(bytes)),
            hex(&Sha256::digest(bytes))
        )
    });
    answer(&text);
    0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(bytes: &[u8]) {
        INPUT.with_borrow_mut(|b| {
            b.clear();
            b.extend_from_slice(bytes)
        });
    }

    fn read() -> String {
        OUTPUT.with_borrow(|b| String::from_utf8(b.clone()).expect("ascii"))
    }

    #[test]
    fn rgba_hashes_as_its_rgb() {
        let (width, height) = (40, 30);
        let rgb: Vec<u8> = (0..width * height * 3)
            .map(|i| ((i * 7) % 251) as u8)
            .collect();
        let rgba: Vec<u8> = rgb
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 77])
            .collect();
        write(&rgba);
        assert_eq!(pdq_rgba(width, height, 1), 0);
        let expected = Hasher::new().hash(&Image::rgb(&rgb, width, height).expect("image"));
        assert_eq!(read(), format!("{} {}", expected.hash, expected.quality));
    }

    #[test]
    fn wrong_sizes_are_refused() {
        write(&[0; 12]);
        assert_eq!(pdq_rgba(2, 2, 1), -1);
        assert!(read().contains("not 2×2 RGBA"), "{}", read());
        assert_eq!(pdq_rgba(usize::MAX, 2, 1), -1);
        assert!(read().contains("too large"));
    }

    #[test]
    fn digests_of_known_bytes() {
        write(b"abc");
        assert_eq!(digests(), 0);
        assert_eq!(
            read(),
            "900150983cd24fb0d6963f7d28e17f72 \
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn input_gives_room() {
        let p = input(10);
        assert!(!p.is_null());
        assert_eq!(INPUT.with_borrow(Vec::len), 10);
    }
}
