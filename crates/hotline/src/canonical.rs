//! Canonical URLs: one spelling per resource, so that a URL reported twice
//! is one case and blocklists compare exactly.

use sha2::{Digest, Sha256};

/// A reported URL in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalUrl {
    /// The canonical URL.
    pub url: String,
    /// Its host (IDN as punycode, lower case).
    pub host: String,
    /// SHA-256 of the canonical URL, hex: what ISPs that must not hold
    /// plain URLs match against.
    pub sha256: String,
}

/// Longest URL accepted.
const MAX_URL: usize = 4096;

/// Canonicalises a URL: scheme and host in lower case, IDN hosts as
/// punycode, default ports dropped, dot segments resolved, the fragment
/// dropped, percent-encoding normalised (unreserved characters decoded,
/// hex digits in upper case), an empty query dropped. Only http and https.
pub fn canonical_url(text: &str) -> Result<CanonicalUrl, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the URL is empty".into());
    }
    if text.len() > MAX_URL {
        return Err(format!("the URL is longer than {MAX_URL} characters"));
    }
    // People paste hosts without a scheme; those are web addresses.
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let mut url =
        url::Url::parse(&with_scheme).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https URLs are taken, not {}",
            url.scheme()
        ));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("{text:?} has no host"))?
        .trim_end_matches('.')
        .to_string();
    url.set_host(Some(&host))
        .map_err(|e| format!("{text:?} has a bad host: {e}"))?;
    url.set_fragment(None);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let path = normalise_percent(url.path());
    url.set_path(&path);
    match url.query().map(normalise_percent) {
        Some(q) if q.is_empty() => url.set_query(None),
        Some(q) => url.set_query(Some(&q)),
        None => {}
    }
    let url = url.to_string();
    let sha256 = Sha256::digest(url.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(CanonicalUrl { url, host, sha256 })
}

/// Decodes percent-encoded unreserved characters and upper-cases the hex
/// of the rest (RFC 3986 6.2.2.1-2).
fn normalise_percent(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|pair| {
                let pair = std::str::from_utf8(pair).ok()?;
                u8::from_str_radix(pair, 16).ok()
            });
            match hex {
                Some(v) if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') => {
                    out.push(v as char)
                }
                Some(v) => out.push_str(&format!("%{v:02X}")),
                // A `%` that starts no escape is a percent sign: written as
                // one, so that a decoded neighbour cannot make it an escape
                // the next time (the canonical form must be a fixed point).
                None => {
                    out.push_str("%25");
                    i += 1;
                    continue;
                }
            }
            i += 3;
            continue;
        }
        // Everything else is kept as it is (the URL parser has already
        // percent-encoded what is not ASCII).
        let next = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + next]);
        i += next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::canonical_url;

    #[test]
    fn canonical_forms() {
        let cases = [
            ("HTTP://Example.COM/a", "http://example.com/a"),
            ("http://example.com:80/a", "http://example.com/a"),
            ("https://example.com:443/a", "https://example.com/a"),
            ("http://example.com:8080/a", "http://example.com:8080/a"),
            ("http://example.com", "http://example.com/"),
            ("example.com/x", "http://example.com/x"),
            ("http://example.com/a/./b/../c", "http://example.com/a/c"),
            ("http://example.com/a#frag", "http://example.com/a"),
            // A stray percent sign becomes an escape of its own, so that a
            // decoded neighbour cannot turn it into one (found by fuzzing).
            ("http://x/%%6630", "http://x/%25f30"),
            (
                "http://example.com/%7Euser/%41",
                "http://example.com/~user/A",
            ),
            ("http://example.com/a%2fb", "http://example.com/a%2Fb"),
            ("http://example.com/a?", "http://example.com/a"),
            (
                "http://example.com/a?q=%7e%2f",
                "http://example.com/a?q=~%2F",
            ),
            ("http://bücher.example/", "http://xn--bcher-kva.example/"),
            ("http://EXAMPLE.com./a", "http://example.com/a"),
            ("http://user:pw@example.com/a", "http://example.com/a"),
            ("  http://example.com/a  ", "http://example.com/a"),
            ("http://192.168.0.1:80/", "http://192.168.0.1/"),
            ("http://[2001:DB8::1]/", "http://[2001:db8::1]/"),
        ];
        for (input, want) in cases {
            let got = canonical_url(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got.url, want, "{input}");
        }
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "ftp://example.com/",
            "javascript:alert(1)",
            "http://",
            "http:// /",
        ] {
            assert!(canonical_url(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(canonical_url(&format!("http://e.com/{}", "a".repeat(5000))).is_err());
    }

    #[test]
    fn the_hash_is_of_the_canonical_form() {
        let a = canonical_url("HTTP://Example.com:80/x#y").expect("url");
        let b = canonical_url("http://example.com/x").expect("url");
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.sha256.len(), 64);
        assert_eq!(a.host, "example.com");
    }
}

#[cfg(test)]
mod fuzz_regressions {
    /// Inputs the fuzzer (fuzz/, target canonical_url) once broke the
    /// canonical form with: each is a URL or an error, and a canonical URL
    /// canonicalises to itself.
    #[test]
    fn found_by_fuzzing() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/canonical_url");
        let mut seen = 0;
        for file in std::fs::read_dir(&dir).expect("the regressions folder") {
            let bytes = std::fs::read(file.expect("entry").path()).expect("reads");
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            if let Ok(canonical) = super::canonical_url(text) {
                let again = super::canonical_url(&canonical.url).expect("still a URL");
                assert_eq!(again.url, canonical.url, "{text:?}");
            }
            seen += 1;
        }
        assert!(seen > 0, "no regression inputs in {}", dir.display());
    }
}
