//! EXIF orientation: reading it from a JPEG, and undoing what a browser
//! did with it. Browsers show (and decode into a canvas) a picture turned
//! as its EXIF orientation says, with no way to ask for the stored
//! pixels; the reference hashes the stored pixels, so the page restores
//! them. The restoration is a permutation of pixels: exact.

/// A JPEG's EXIF orientation (1-8), if it has one.
pub fn of_jpeg(bytes: &[u8]) -> Option<u32> {
    if !bytes.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut at = 2;
    // Markers up to the first scan; EXIF is an APP1 segment among them.
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xff {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xff {
            at += 1;
            continue;
        }
        if marker == 0xda || marker == 0xd9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let segment = bytes.get(at + 4..at + 2 + len)?;
        if marker == 0xe1 && segment.starts_with(b"Exif\0\0") {
            return of_tiff(&segment[6..]);
        }
        at += 2 + len;
    }
    None
}

/// The orientation tag (0x0112) of a TIFF header's first IFD.
fn of_tiff(tiff: &[u8]) -> Option<u32> {
    let little = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b = tiff.get(i..i + 2)?;
        Some(if little {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    };
    let u32_at = |i: usize| -> Option<u32> {
        let b = tiff.get(i..i + 4)?;
        Some(if little {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries)
        .map(|n| ifd + 2 + 12 * n)
        .find(|&e| u16_at(e) == Some(0x0112))
        .and_then(|e| u16_at(e + 8))
        .map(u32::from)
        .filter(|o| (1..=8).contains(o))
}

/// The stored pixels (RGB) and size of a picture shown as `shown`
/// (`width` × `height`, RGB) under EXIF `orientation`.
pub fn stored(
    shown: &[u8],
    width: usize,
    height: usize,
    orientation: u32,
) -> (Vec<u8>, usize, usize) {
    if !(2..=8).contains(&orientation) {
        return (shown.to_vec(), width, height);
    }
    // Orientations 5-8 turn the picture a quarter: the stored one has
    // the other sides.
    let (w, h) = if orientation >= 5 {
        (height, width)
    } else {
        (width, height)
    };
    let mut out = Vec::with_capacity(shown.len());
    for y in 0..h {
        for x in 0..w {
            // Where stored pixel (x, y) is shown.
            let (sx, sy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (h - 1 - y, x),
                7 => (h - 1 - y, w - 1 - x),
                _ => (y, w - 1 - x),
            };
            let i = 3 * (sy * width + sx);
            out.extend_from_slice(&shown[i..i + 3]);
        }
    }
    (out, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How a browser shows stored pixels under each orientation, built
    /// from the EXIF specification's description (row 0 and column 0 of
    /// the stored picture go to the named sides).
    fn shown(stored: &[u8], w: usize, h: usize, orientation: u32) -> (Vec<u8>, usize, usize) {
        let at = |x: usize, y: usize| &stored[3 * (y * w + x)..3 * (y * w + x) + 3];
        let (sw, sh) = if orientation >= 5 { (h, w) } else { (w, h) };
        let mut out = Vec::new();
        for y in 0..sh {
            for x in 0..sw {
                let p = match orientation {
                    1 => at(x, y),
                    2 => at(w - 1 - x, y),
                    3 => at(w - 1 - x, h - 1 - y),
                    4 => at(x, h - 1 - y),
                    5 => at(y, x),
                    // Rotated 90° clockwise: the shown top row is the
                    // stored left column, bottom to top.
                    6 => at(y, h - 1 - x),
                    7 => at(w - 1 - y, h - 1 - x),
                    _ => at(w - 1 - y, x),
                };
                out.extend_from_slice(p);
            }
        }
        (out, sw, sh)
    }

    #[test]
    fn every_orientation_is_undone() {
        let (w, h) = (5, 3);
        let stored_pixels: Vec<u8> = (0..w * h * 3).map(|i| i as u8).collect();
        for orientation in 1..=8 {
            let (pixels, sw, sh) = shown(&stored_pixels, w, h, orientation);
            assert_eq!(
                stored(&pixels, sw, sh, orientation),
                (stored_pixels.clone(), w, h),
                "orientation {orientation}"
            );
        }
    }

    fn jpeg_with_exif(little: bool, orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        type Writer<T, const N: usize> = fn(T) -> [u8; N];
        let (u16b, u32b): (Writer<u16, 2>, Writer<u32, 4>) = if little {
            (u16::to_le_bytes, u32::to_le_bytes)
        } else {
            (u16::to_be_bytes, u32::to_be_bytes)
        };
        tiff.extend_from_slice(if little { b"II" } else { b"MM" });
        tiff.extend_from_slice(&u16b(42));
        tiff.extend_from_slice(&u32b(8));
        tiff.extend_from_slice(&u16b(2));
        // Another tag first, then the orientation (SHORT, count 1).
        for (tag, value) in [(0x010f_u16, 0u16), (0x0112, orientation)] {
            tiff.extend_from_slice(&u16b(tag));
            tiff.extend_from_slice(&u16b(3));
            tiff.extend_from_slice(&u32b(1));
            tiff.extend_from_slice(&u16b(value));
            tiff.extend_from_slice(&[0, 0]);
        }
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut jpeg = vec![0xff, 0xd8];
        // An APP0 before it, as cameras write.
        jpeg.extend_from_slice(&[0xff, 0xe0, 0, 4, b'J', b'F']);
        jpeg.extend_from_slice(&[0xff, 0xe1]);
        jpeg.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        jpeg.extend_from_slice(&app1);
        jpeg.extend_from_slice(&[0xff, 0xda, 0, 2]);
        jpeg
    }

    #[test]
    fn orientation_is_read_in_either_byte_order() {
        for little in [true, false] {
            for o in 1..=8 {
                assert_eq!(of_jpeg(&jpeg_with_exif(little, o)), Some(u32::from(o)));
            }
            assert_eq!(of_jpeg(&jpeg_with_exif(little, 9)), None);
        }
    }

    #[test]
    fn odd_input_has_no_orientation() {
        assert_eq!(of_jpeg(b""), None);
        assert_eq!(of_jpeg(b"\x89PNG\r\n\x1a\n"), None);
        assert_eq!(of_jpeg(&[0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff]), None);
        let mut cut = jpeg_with_exif(true, 6);
        cut.truncate(20);
        assert_eq!(of_jpeg(&cut), None);
        // Every prefix of a real header is handled without a panic.
        let whole = jpeg_with_exif(false, 6);
        for n in 0..whole.len() {
            let _ = of_jpeg(&whole[..n]);
        }
    }

    #[test]
    fn the_corpus_photo_is_turned_a_quarter() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/corpus/images/jpg_astronaut_exif_orientation6.jpg");
        let bytes = std::fs::read(path).expect("reads");
        assert_eq!(of_jpeg(&bytes), Some(6));
    }
}
