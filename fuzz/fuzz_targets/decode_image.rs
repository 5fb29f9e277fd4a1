//! Any bytes through the image decoder and PDQ, as an upload is hashed: an
//! error or a hash, never a crash, a hang or an allocation past the pixel
//! limit.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let hasher = hashwatch_signals::SignalHasherBuilder::new()
        .dihedral(true)
        .max_pixels(4_000_000)
        .build();
    let mut pdq = hashwatch_pdq::Hasher::new();
    let _ = hasher.hash_bytes(&mut pdq, bytes);
});
