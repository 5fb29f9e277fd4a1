//! Exact digests of a file's bytes.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// MD5, SHA-1 and SHA-256 of the same bytes, as exact hash lists (NCMEC,
/// Project VIC, ICSE exports) carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digests {
    /// MD5.
    pub md5: [u8; 16],
    /// SHA-1.
    pub sha1: [u8; 20],
    /// SHA-256.
    pub sha256: [u8; 32],
}

impl Digests {
    /// Digests `bytes`.
    pub fn of(bytes: &[u8]) -> Digests {
        Digests {
            md5: Md5::digest(bytes).into(),
            sha1: Sha1::digest(bytes).into(),
            sha256: Sha256::digest(bytes).into(),
        }
    }

    /// Digests everything `reader` gives, a block at a time (a video need
    /// not be held in memory).
    pub fn of_reader(mut reader: impl std::io::Read) -> std::io::Result<Digests> {
        let (mut md5, mut sha1, mut sha256) = (Md5::new(), Sha1::new(), Sha256::new());
        let mut block = vec![0u8; 1 << 20];
        loop {
            let n = match reader.read(&mut block) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            md5.update(&block[..n]);
            sha1.update(&block[..n]);
            sha256.update(&block[..n]);
        }
        Ok(Digests {
            md5: md5.finalize().into(),
            sha1: sha1.finalize().into(),
            sha256: sha256.finalize().into(),
        })
    }

    /// MD5 as lowercase hex.
    pub fn md5_hex(&self) -> String {
        hex(&self.md5)
    }

    /// SHA-1 as lowercase hex.
    pub fn sha1_hex(&self) -> String {
        hex(&self.sha1)
    }

    /// SHA-256 as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_of_abc() {
        let d = Digests::of(b"abc");
        assert_eq!(d.md5_hex(), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(d.sha1_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(Digests::of_reader(&b"abc"[..]).expect("reads"), d);
        assert_eq!(
            d.sha256_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
