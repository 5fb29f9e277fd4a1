//! Feed pages: any bytes are refused unless their signature checks out;
//! and any bytes signed with the pinned key (so that the fuzzer reaches the
//! parsers behind the signature) are a page or an error, never a crash.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn key() -> &'static hashwatch_feed::FeedKey {
    static KEY: OnceLock<hashwatch_feed::FeedKey> = OnceLock::new();
    KEY.get_or_init(|| hashwatch_feed::FeedKey::generate().expect("a key"))
}

fuzz_target!(|bytes: &[u8]| {
    let key = key();
    let public = key.public_key();
    // Unsigned bytes never pass.
    assert!(hashwatch_feed::verify_page(bytes, &public).is_err());
    // The bytes as a signed bank page (the envelope embeds them raw, so
    // only text that is one JSON value makes an envelope at all).
    if let Ok(text) = std::str::from_utf8(bytes) {
        let envelope = hashwatch_feed::sign_envelope(text, key);
        let _ = hashwatch_feed::verify_page(envelope.as_bytes(), &public);
    }
    // Shared assessments: a detached signature over the body, made here so
    // that the bytes reach the parser.
    let signature = key.sign_detached(hashwatch_feed::ASSESSMENTS_CONTEXT, bytes);
    if let Ok(page) = hashwatch_feed::AssessmentsPage::verify(bytes, &signature, &public) {
        let _ = page.assessments();
    }
});
