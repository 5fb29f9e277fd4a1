//! Ed25519 keys: a publisher's signing key in a file, public keys as hex.

use std::io::Write;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::{fail, from_hex, to_hex, FeedError};

/// A publisher's signing key.
pub struct FeedKey {
    key: SigningKey,
}

/// A publisher's public key, as subscribers pin it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl std::fmt::Debug for FeedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret half.
        write!(f, "FeedKey({})", self.public_key())
    }
}

impl FeedKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<FeedKey, FeedError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| FeedError(format!("no randomness for a key: {e}")))?;
        Ok(FeedKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Writes the key to a new file readable by its owner only; refuses to
    /// overwrite one.
    pub fn save(&self, path: &Path) -> Result<(), FeedError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|e| FeedError(format!("cannot create {}: {e}", path.display())))?;
        writeln!(file, "{}", to_hex(&self.key.to_bytes()))
            .and_then(|()| file.sync_all())
            .map_err(|e| FeedError(format!("cannot write {}: {e}", path.display())))
    }

    /// Reads a key [`FeedKey::save`] wrote.
    pub fn load(path: &Path) -> Result<FeedKey, FeedError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| FeedError(format!("cannot read feed key {}: {e}", path.display())))?;
        let seed = from_hex::<32>(&text, &format!("the feed key in {}", path.display()))?;
        Ok(FeedKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The public half, for subscribers.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: self.key.verifying_key(),
        }
    }

    pub(crate) fn sign(&self, message: &[u8]) -> String {
        to_hex(&self.key.sign(message).to_bytes())
    }

    /// A hex signature over `context` followed by `body`, for documents
    /// other than feed pages (blocklists); `context` keeps each kind of
    /// document's signatures apart.
    pub fn sign_detached(&self, context: &[u8], body: &[u8]) -> String {
        let mut message = context.to_vec();
        message.extend_from_slice(body);
        self.sign(&message)
    }
}

impl PublicKey {
    /// Parses 64 hex digits.
    pub fn parse(text: &str) -> Result<PublicKey, FeedError> {
        let bytes = from_hex::<32>(text, "a feed public key")?;
        match VerifyingKey::from_bytes(&bytes) {
            Ok(key) => Ok(PublicKey { key }),
            Err(_) => fail("not an Ed25519 public key"),
        }
    }

    /// Checks a hex signature over `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &str) -> Result<(), FeedError> {
        let bytes = from_hex::<64>(signature, "the page signature")?;
        self.key
            .verify_strict(message, &Signature::from_bytes(&bytes))
            .or_else(|_| fail("the page's signature does not verify with the pinned key"))
    }
}

impl PublicKey {
    /// Checks a [`FeedKey::sign_detached`] signature.
    pub fn verify_detached(
        &self,
        context: &[u8],
        body: &[u8],
        signature: &str,
    ) -> Result<(), FeedError> {
        let mut message = context.to_vec();
        message.extend_from_slice(body);
        self.verify(&message, signature)
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_hex(self.key.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_key_loads_back_and_is_private() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("feed.key");
        let key = FeedKey::generate().expect("key");
        key.save(&path).expect("save");
        assert!(
            key.save(&path).is_err(),
            "an existing key is never overwritten"
        );
        let loaded = FeedKey::load(&path).expect("load");
        assert_eq!(loaded.public_key(), key.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let shown = key.public_key().to_string();
        assert_eq!(PublicKey::parse(&shown).expect("parses"), key.public_key());
        assert!(PublicKey::parse("abc").is_err());
    }
}
