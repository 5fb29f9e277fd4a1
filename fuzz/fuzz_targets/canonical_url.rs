//! Any text as a reported URL: a canonical URL or an error; and the
//! canonical form is a fixed point (canonicalising it again changes
//! nothing), so that one URL never has two blocklist entries.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(canonical) = hashwatch_hotline::canonical_url(text) {
        let again =
            hashwatch_hotline::canonical_url(&canonical.url).expect("a canonical URL is a URL");
        assert_eq!(again.url, canonical.url, "not a fixed point: {text:?}");
        assert_eq!(again.sha256, canonical.sha256);
    }
});
