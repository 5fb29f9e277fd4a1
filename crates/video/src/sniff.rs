//! Telling a video file by its first bytes, not its name.

/// How many leading bytes [`is_video`] looks at (three MPEG-TS packets).
pub const SNIFF_BYTES: usize = 3 * 188 + 4;

/// ISO base media brands of still images (HEIF, AVIF), which share MP4's
/// container.
const IMAGE_BRANDS: [&[u8; 4]; 8] = [
    b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1",
];

/// Whether `head` (the first [`SNIFF_BYTES`] of a file, or all of a
/// shorter one) starts a video container FFmpeg reads: ISO base media
/// (MP4, MOV, 3GP, M4V), QuickTime without `ftyp`, Matroska and WebM, AVI,
/// MPEG transport and program streams, FLV, ASF/WMV and Ogg. GIF is an
/// image here; an animated one is found by decoding it (see the
/// `signals` crate).
pub fn is_video(head: &[u8]) -> bool {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(4, b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        return !IMAGE_BRANDS.iter().any(|b| &b[..] == brand);
    }
    let quicktime_atoms: [&[u8]; 5] = [b"moov", b"mdat", b"wide", b"free", b"skip"];
    if quicktime_atoms.iter().any(|atom| at(4, atom)) {
        return true;
    }
    let transport = |packet: usize, offset: usize| {
        head.len() > offset + 2 * packet
            && (0..3).all(|k| head.get(offset + k * packet) == Some(&0x47))
    };
    at(0, &[0x1a, 0x45, 0xdf, 0xa3])
        || (at(0, b"RIFF") && at(8, b"AVI "))
        || transport(188, 0)
        || transport(192, 4)
        || at(0, &[0x00, 0x00, 0x01, 0xba])
        || at(0, &[0x00, 0x00, 0x01, 0xb3])
        || at(0, b"FLV\x01")
        || at(0, &[0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])
        || at(0, b"OggS")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(brand: &[u8; 4]) -> Vec<u8> {
        let mut head = vec![0, 0, 0, 0x18];
        head.extend_from_slice(b"ftyp");
        head.extend_from_slice(brand);
        head
    }

    #[test]
    fn containers_are_told_by_their_bytes() {
        assert!(is_video(&ftyp(b"isom")));
        assert!(is_video(&ftyp(b"qt  ")));
        assert!(!is_video(&ftyp(b"avif")));
        assert!(!is_video(&ftyp(b"heic")));
        assert!(is_video(&[0x1a, 0x45, 0xdf, 0xa3, 1, 2]));
        assert!(is_video(b"RIFF\0\0\0\0AVI LIST"));
        assert!(!is_video(b"RIFF\0\0\0\0WAVEfmt "));
        assert!(!is_video(b"RIFF\0\0\0\0WEBPVP8 "));
        let mut ts = vec![0u8; 3 * 188];
        for k in 0..3 {
            ts[k * 188] = 0x47;
        }
        assert!(is_video(&ts));
        ts[188] = 0;
        assert!(!is_video(&ts));
        assert!(!is_video(b"\x89PNG\r\n\x1a\n"));
        assert!(!is_video(b"GIF89a"));
        assert!(!is_video(b"\xff\xd8\xff\xe0"));
        assert!(!is_video(b""));
    }
}
