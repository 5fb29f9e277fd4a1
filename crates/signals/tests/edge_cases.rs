//! Edge cases of decoding and hashing: tiny and flat images, alpha, 16-bit,
//! damaged and hostile files. Images are generated here; none are real photos.

use std::io::Cursor;

use hashwatch_media::ErrorKind;
use hashwatch_pdq::{Hash256, Hasher};
use hashwatch_signals::{ImageSignals, SignalHasher, SignalHasherBuilder};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// Deterministic pseudo-random bytes.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect()
}

fn noise_rgb(width: u32, height: u32, seed: u64) -> RgbImage {
    RgbImage::from_raw(width, height, noise((width * height * 3) as usize, seed))
        .expect("buffer fits")
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), format)
        .expect("encodes");
    bytes
}

fn hash(bytes: &[u8]) -> Result<ImageSignals, hashwatch_media::Error> {
    SignalHasherBuilder::new()
        .dihedral(true)
        .build()
        .hash_bytes(&mut Hasher::new(), bytes)
}

fn corpus_image(name: &str) -> Vec<u8> {
    let path = hashwatch_testdata::corpus_images().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn images_under_five_pixels_a_side_hash_to_zero_with_quality_zero() {
    for (w, h) in [(1, 1), (2, 300), (300, 2), (4, 4), (4, 100), (100, 4)] {
        let png = encode(
            &DynamicImage::ImageRgb8(noise_rgb(w, h, 1)),
            ImageFormat::Png,
        );
        let got = hash(&png).expect("tiny images decode");
        assert_eq!(got.pdq.hash, Hash256::ZERO, "{w}x{h}");
        assert_eq!(got.pdq.quality, 0, "{w}x{h}");
        assert_eq!((got.width, got.height), (w, h));
        let dihedral = got.dihedral.expect("asked for");
        assert!(dihedral.hashes.iter().all(|h| *h == Hash256::ZERO));
    }
    // Five pixels a side is the smallest hashable size.
    let png = encode(
        &DynamicImage::ImageRgb8(noise_rgb(5, 5, 2)),
        ImageFormat::Png,
    );
    assert_ne!(hash(&png).expect("decodes").pdq.hash, Hash256::ZERO);
}

#[test]
fn flat_images_have_quality_zero() {
    for value in [0u8, 1, 128, 255] {
        let flat = RgbImage::from_pixel(120, 80, Rgb([value, value, value]));
        let got = hash(&encode(&DynamicImage::ImageRgb8(flat), ImageFormat::Png)).expect("decodes");
        assert_eq!(got.pdq.quality, 0, "flat {value}");
    }
    let black = RgbImage::from_pixel(120, 80, Rgb([0, 0, 0]));
    let got = hash(&encode(&DynamicImage::ImageRgb8(black), ImageFormat::Png)).expect("decodes");
    assert_eq!(got.pdq.hash, Hash256::ZERO);
}

#[test]
fn non_square_images_keep_their_orientation() {
    let wide = noise_rgb(300, 40, 3);
    let tall = DynamicImage::ImageRgb8(wide.clone()).rotate90();
    let wide = hash(&encode(&DynamicImage::ImageRgb8(wide), ImageFormat::Png)).expect("decodes");
    let tall = hash(&encode(&tall, ImageFormat::Png)).expect("decodes");
    assert_eq!((wide.width, wide.height), (300, 40));
    assert_eq!((tall.width, tall.height), (40, 300));
    assert_ne!(wide.pdq.hash, tall.pdq.hash);
    // The rotated copy is found through the dihedral variants.
    let best = wide
        .dihedral
        .expect("asked for")
        .hashes
        .iter()
        .map(|h| h.distance(&tall.pdq.hash))
        .min()
        .unwrap_or(256);
    assert!(best <= 31, "closest dihedral variant is {best} bits away");
}

#[test]
fn alpha_is_dropped_not_composited() {
    let rgb = noise_rgb(97, 61, 4);
    for alpha in [0u8, 77, 255] {
        let rgba = RgbaImage::from_fn(97, 61, |x, y| {
            let p = rgb.get_pixel(x, y).0;
            Rgba([p[0], p[1], p[2], alpha])
        });
        let with_alpha =
            hash(&encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png)).expect("decodes");
        let without = hash(&encode(
            &DynamicImage::ImageRgb8(rgb.clone()),
            ImageFormat::Png,
        ))
        .expect("decodes");
        assert_eq!(with_alpha.pdq, without.pdq, "alpha {alpha}");
    }
}

#[test]
fn sixteen_bit_images_hash_as_their_top_byte() {
    let rgb = noise_rgb(80, 70, 5);
    let low_noise = noise(80 * 70 * 3, 6);
    let rgb16: Vec<u16> = rgb
        .as_raw()
        .iter()
        .zip(&low_noise)
        .map(|(&v, &n)| u16::from(v) << 8 | u16::from(n))
        .collect();
    let rgb16 = image::ImageBuffer::<Rgb<u16>, _>::from_raw(80, 70, rgb16).expect("fits");
    let deep = hash(&encode(&DynamicImage::ImageRgb16(rgb16), ImageFormat::Png)).expect("decodes");
    let shallow = hash(&encode(&DynamicImage::ImageRgb8(rgb), ImageFormat::Png)).expect("decodes");
    assert_eq!(deep.pdq, shallow.pdq);
}

#[test]
fn grey_images_hash_like_their_rgb_expansion() {
    let grey = image::GrayImage::from_raw(90, 50, noise(90 * 50, 7)).expect("fits");
    let rgb = DynamicImage::ImageLuma8(grey.clone()).to_rgb8();
    let as_grey =
        hash(&encode(&DynamicImage::ImageLuma8(grey), ImageFormat::Png)).expect("decodes");
    let as_rgb = hash(&encode(&DynamicImage::ImageRgb8(rgb), ImageFormat::Png)).expect("decodes");
    assert_eq!(as_grey.pdq, as_rgb.pdq);
}

#[test]
fn empty_and_non_image_files_are_refused_by_name() {
    assert!(matches!(
        hash(b"").expect_err("must be refused").kind(),
        ErrorKind::Empty
    ));
    for bytes in [&b"hello, world\n"[..], b"%PDF-1.7\n", b"\x00\x01\x02\x03"] {
        assert!(matches!(
            hash(bytes).expect_err("must be refused").kind(),
            ErrorKind::UnknownFormat
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "not an image").expect("writes");
    let err = SignalHasherBuilder::new()
        .build()
        .hash_file(&mut Hasher::new(), &path)
        .expect_err("must be refused");
    assert_eq!(err.path(), Some(path.as_path()));
    assert!(err.to_string().contains("notes.txt"), "{err}");
    assert!(err.to_string().contains("not an image"), "{err}");
    let missing = dir.path().join("missing.png");
    let err = SignalHasherBuilder::new()
        .build()
        .hash_file(&mut Hasher::new(), &missing)
        .expect_err("must be refused");
    assert!(matches!(err.kind(), ErrorKind::Io(_)), "{err}");
}

#[test]
fn truncated_files_are_refused() {
    let png = encode(
        &DynamicImage::ImageRgb8(noise_rgb(64, 48, 8)),
        ImageFormat::Png,
    );
    let jpeg = corpus_image("jpg_chelsea_q95_444.jpg");
    let progressive = corpus_image("jpg_coffee_q85_progressive.jpg");
    let gif = encode(
        &DynamicImage::ImageRgb8(noise_rgb(64, 48, 9)),
        ImageFormat::Gif,
    );
    for (name, bytes) in [
        ("png", &png),
        ("jpeg", &jpeg),
        ("progressive jpeg", &progressive),
        ("gif", &gif),
    ] {
        for keep in [bytes.len() / 2, bytes.len() - 10] {
            let err = hash(&bytes[..keep]).expect_err(name);
            assert!(
                matches!(err.kind(), ErrorKind::Decode { .. }),
                "{name} cut to {keep} bytes: {err}"
            );
        }
    }
}

/// A PNG whose header claims `width x height` pixels and carries no data.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        let body: Vec<u8> = kind.iter().chain(data).copied().collect();
        c.extend_from_slice(&body);
        c.extend_from_slice(&crc32(&body).to_be_bytes());
        c
    };
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", b""));
    png
}

#[test]
fn headers_claiming_huge_dimensions_are_refused_before_decoding() {
    let err = hash(&png_header_only(100_000, 100_000)).expect_err("must be refused");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{err}"
    );
    // A JPEG whose frame header is patched to 60000x60000.
    let mut jpeg = corpus_image("jpg_noise_127x129_q80.jpg");
    let sof = jpeg
        .windows(2)
        .position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2))
        .expect("frame header");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let err = hash(&jpeg).expect_err("must be refused");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::TooManyPixels {
                width: 60_000,
                height: 60_000,
                ..
            }
        ),
        "{err}"
    );
    // The limit is configurable: a modest limit refuses an ordinary image.
    let small = SignalHasherBuilder::new().max_pixels(10_000).build();
    let png = encode(
        &DynamicImage::ImageRgb8(noise_rgb(200, 100, 10)),
        ImageFormat::Png,
    );
    let err = small
        .hash_bytes(&mut Hasher::new(), &png)
        .expect_err("must be refused");
    assert!(
        matches!(err.kind(), ErrorKind::TooManyPixels { limit: 10_000, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("200x100"), "{err}");
}

/// What a decode will cost is known from the header alone: a probe reads
/// each format's size without decoding, and refuses what a decode would
/// refuse before decoding.
#[test]
fn a_probe_reads_the_size_from_the_header_alone() {
    let decoder = hashwatch_media::DecoderBuilder::new().build();
    let image = DynamicImage::ImageRgb8(noise_rgb(40, 30, 18));
    for (format, bytes) in [
        (
            hashwatch_media::Format::Png,
            encode(&image, ImageFormat::Png),
        ),
        (
            hashwatch_media::Format::Gif,
            encode(&image, ImageFormat::Gif),
        ),
        (
            hashwatch_media::Format::Bmp,
            encode(&image, ImageFormat::Bmp),
        ),
        (
            hashwatch_media::Format::Tiff,
            encode(&image, ImageFormat::Tiff),
        ),
        (
            hashwatch_media::Format::WebP,
            encode(&image, ImageFormat::WebP),
        ),
    ] {
        let probe = decoder.probe(&bytes).expect("probes");
        assert_eq!((probe.format, probe.width, probe.height), (format, 40, 30));
    }
    let jpeg = corpus_image("jpg_noise_127x129_q80.jpg");
    let probe = decoder.probe(&jpeg).expect("probes");
    assert_eq!(
        (probe.width, probe.height, probe.pixels()),
        (127, 129, 127 * 129)
    );
    // What hashing it will hold follows from what its decoder hands over:
    // 11 bytes a pixel for 8-bit RGB, 13 for 16-bit RGBA.
    assert_eq!(probe.decoded_bytes_per_pixel, 3);
    assert_eq!(
        hashwatch_signals::photo_memory(&probe),
        127 * 129 * 11 + hashwatch_signals::PHOTO_BASE_BYTES
    );
    let deep = encode(
        &DynamicImage::ImageRgba16(image::ImageBuffer::new(20, 10)),
        ImageFormat::Png,
    );
    let probe = decoder.probe(&deep).expect("probes");
    assert_eq!(probe.decoded_bytes_per_pixel, 8);
    assert_eq!(
        hashwatch_signals::photo_memory(&probe),
        200 * 13 + hashwatch_signals::PHOTO_BASE_BYTES
    );
    // A header with no pixel data behind it: the probe reads the size, the
    // decode fails.
    let hollow = png_header_only(5_000, 4_000);
    assert_eq!(decoder.probe(&hollow).expect("probes").pixels(), 20_000_000);
    assert!(decoder.decode(&hollow).is_err());
    let err = decoder
        .probe(&png_header_only(100_000, 100_000))
        .expect_err("over the limit");
    assert!(
        matches!(err.kind(), ErrorKind::TooManyPixels { .. }),
        "{err}"
    );
    assert!(matches!(
        decoder.probe(b"").expect_err("empty").kind(),
        ErrorKind::Empty
    ));
    assert!(matches!(
        decoder.probe(b"plain text").expect_err("no image").kind(),
        ErrorKind::UnknownFormat
    ));
}

#[test]
fn oversized_files_are_refused_without_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.png");
    std::fs::write(
        &path,
        encode(
            &DynamicImage::ImageRgb8(noise_rgb(64, 64, 11)),
            ImageFormat::Png,
        ),
    )
    .expect("writes");
    let err = SignalHasherBuilder::new()
        .max_file_bytes(100)
        .build()
        .hash_file(&mut Hasher::new(), &path)
        .expect_err("must be refused");
    assert!(
        matches!(err.kind(), ErrorKind::TooManyBytes { limit: 100, .. }),
        "{err}"
    );
}

#[test]
fn exif_orientation_is_ignored_unless_asked() {
    let bytes = corpus_image("jpg_astronaut_exif_orientation6.jpg");
    let plain = hash(&bytes).expect("decodes");
    let oriented = SignalHasherBuilder::new()
        .apply_orientation(true)
        .build()
        .hash_bytes(&mut Hasher::new(), &bytes)
        .expect("decodes");
    assert_ne!(plain.pdq.hash, oriented.pdq.hash);
    // Pillow's ImageOps.exif_transpose, then pdqhash.compute.
    assert_eq!(
        oriented.pdq.hash.to_string(),
        "69f20f33f01217d2a03bcfa61b7cc95419272361265c38e3cfa7f868b24d87b3"
    );
    // Orientation 6 displays the stored pixels turned 90 degrees clockwise:
    // near the reference's rot270 variant (its rotations are anticlockwise),
    // not equal, because the blur is not rotation-symmetric at the edges.
    let rot270 = plain.dihedral.expect("asked for").hashes[3];
    assert!(oriented.pdq.hash.distance(&rot270) <= 31);
    assert_eq!(
        (oriented.width, oriented.height),
        (plain.height, plain.width)
    );
}

/// Corrupted bytes must give an answer (a hash or an error), never bring
/// down the process.
#[test]
fn corrupted_files_never_crash() {
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "png",
            encode(
                &DynamicImage::ImageRgb8(noise_rgb(40, 30, 12)),
                ImageFormat::Png,
            ),
        ),
        ("jpeg", corpus_image("jpg_noise_127x129_q80.jpg")),
        (
            "progressive",
            corpus_image("jpg_coffee_q85_progressive.jpg"),
        ),
        (
            "gif",
            encode(
                &DynamicImage::ImageRgb8(noise_rgb(40, 30, 13)),
                ImageFormat::Gif,
            ),
        ),
        (
            "bmp",
            encode(
                &DynamicImage::ImageRgb8(noise_rgb(40, 30, 14)),
                ImageFormat::Bmp,
            ),
        ),
        (
            "tiff",
            encode(
                &DynamicImage::ImageRgb8(noise_rgb(40, 30, 15)),
                ImageFormat::Tiff,
            ),
        ),
        (
            "webp",
            encode(
                &DynamicImage::ImageRgb8(noise_rgb(40, 30, 16)),
                ImageFormat::WebP,
            ),
        ),
    ];
    let hasher: SignalHasher = SignalHasherBuilder::new().max_pixels(4_000_000).build();
    let probe = hashwatch_media::DecoderBuilder::new()
        .max_pixels(4_000_000)
        .build();
    let mut pdq = Hasher::new();
    let mut flips = noise(200_000, 17).into_iter();
    let mut next = || flips.next().unwrap_or(0) as usize;
    for (name, seed) in &seeds {
        let (mut ok, mut refused) = (0, 0);
        for _ in 0..150 {
            let mut bytes = seed.clone();
            // Keep the signature so the right decoder is exercised.
            for _ in 0..1 + next() % 8 {
                let at = 8 + (next() << 8 | next()) % (bytes.len() - 8);
                bytes[at] = next() as u8;
            }
            // A probe of the same bytes answers too, and never claims
            // more than the limit.
            if let Ok(probe) = probe.probe(&bytes) {
                assert!(probe.pixels() <= 4_000_000);
            }
            match hasher.hash_bytes(&mut pdq, &bytes) {
                Ok(_) => ok += 1,
                Err(_) => refused += 1,
            }
        }
        assert_eq!(ok + refused, 150, "{name}");
    }
}
