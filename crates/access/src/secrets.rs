//! Secrets kept in the database (webhook secrets, the API keys of feed
//! subscriptions) are stored sealed with a key the operator supplies, so
//! that a copy of the database (a backup, a dump, a stolen disk) does not
//! give away the credentials hashwatch holds for others.
//!
//! A sealed value is `sealed:v1:` and the hex of a random 96-bit nonce
//! followed by the ChaCha20-Poly1305 ciphertext and tag; what the secret
//! is for is the associated data, so a webhook secret moved into a
//! subscription's column does not open.

use std::fmt;
use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

const PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 12;

/// What a secret is for (bound into its seal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A bank's webhook secret (signs deliveries).
    Webhook,
    /// The API key a subscription presents to its publisher.
    Subscription,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Webhook => b"hashwatch webhook secret",
            Purpose::Subscription => b"hashwatch subscription api key",
        }
    }
}

/// Why a secret could not be sealed, opened or its key read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretError {
    /// The key file could not be read or created.
    KeyFile(String),
    /// A sealed value and no key to open it with.
    NoKey,
    /// A sealed value that is not well formed, or that another key (or
    /// purpose) sealed, or that was changed.
    Unopenable,
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::KeyFile(why) => write!(f, "secrets key file: {why}"),
            SecretError::NoKey => f.write_str(
                "the database holds sealed secrets and no secrets key was given (--secrets-key-file)",
            ),
            SecretError::Unopenable => f.write_str(
                "a sealed secret does not open with this secrets key (another key sealed it, or it was changed)",
            ),
        }
    }
}

impl std::error::Error for SecretError {}

/// The operator's key for secrets at rest.
#[derive(Clone)]
pub struct SecretsKey {
    cipher: ChaCha20Poly1305,
}

impl fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretsKey(..)")
    }
}

impl SecretsKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> SecretsKey {
        SecretsKey {
            cipher: ChaCha20Poly1305::new(Key::from_slice(bytes)),
        }
    }

    /// Reads the key from `path` (64 hex digits), creating the file with a
    /// new random key, readable by its owner only, when there is none.
    pub fn load_or_create(path: &Path) -> Result<SecretsKey, SecretError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(text.trim()).ok_or_else(|| {
                SecretError::KeyFile(format!("{}: not 64 hex digits", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            Err(e) => Err(SecretError::KeyFile(format!("{}: {e}", path.display()))),
        }
    }

    fn parse(text: &str) -> Option<SecretsKey> {
        let bytes: [u8; 32] = hex::decode(text).ok()?.try_into().ok()?;
        Some(SecretsKey::from_bytes(&bytes))
    }

    /// Writes a new key beside `path` and links it into place, so that a
    /// process starting at the same moment reads a whole key or makes its
    /// own link fail and reads the winner's.
    fn create(path: &Path) -> Result<SecretsKey, SecretError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| SecretError::KeyFile(e.to_string()))?;
        let failed = |e: std::io::Error| SecretError::KeyFile(format!("{}: {e}", path.display()));
        let mut draft_name = path.as_os_str().to_owned();
        draft_name.push(format!(".{}.new", std::process::id()));
        let draft = std::path::PathBuf::from(draft_name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&draft).and_then(|mut file| {
            writeln!(file, "{}", hex::encode(bytes))?;
            file.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&draft, path));
        let _ = std::fs::remove_file(&draft);
        match linked {
            Ok(()) => Ok(SecretsKey::from_bytes(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(failed)?;
                Self::parse(text.trim()).ok_or_else(|| {
                    SecretError::KeyFile(format!("{}: not 64 hex digits", path.display()))
                })
            }
            Err(e) => Err(failed(e)),
        }
    }

    /// `plain` sealed for `purpose`.
    pub fn seal(&self, purpose: Purpose, plain: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SecretError::KeyFile(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: purpose.label(),
                },
            )
            .map_err(|_| SecretError::Unopenable)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", hex::encode(out)))
    }

    /// The secret a sealed value holds.
    pub fn open(&self, purpose: Purpose, stored: &str) -> Result<String, SecretError> {
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SecretError::Unopenable)?;
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.label(),
                },
            )
            .map_err(|_| SecretError::Unopenable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Unopenable)
    }
}

/// Whether a stored value is sealed (values stored before secrets were
/// sealed are not, until a server with a key seals them).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// The secret a stored value holds: sealed values need the key; values
/// from before sealing are their own secret.
pub fn open_stored(
    key: Option<&SecretsKey>,
    purpose: Purpose,
    stored: &str,
) -> Result<String, SecretError> {
    match (is_sealed(stored), key) {
        (false, _) => Ok(stored.to_string()),
        (true, Some(key)) => key.open(purpose, stored),
        (true, None) => Err(SecretError::NoKey),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretsKey {
        SecretsKey::from_bytes(&[byte; 32])
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_purpose_only() {
        let sealed = key(1)
            .seal(Purpose::Webhook, "0123456789abcdef")
            .expect("sealed");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("0123456789abcdef"));
        assert_eq!(
            key(1).open(Purpose::Webhook, &sealed).as_deref(),
            Ok("0123456789abcdef")
        );
        assert_eq!(
            key(2).open(Purpose::Webhook, &sealed),
            Err(SecretError::Unopenable)
        );
        assert_eq!(
            key(1).open(Purpose::Subscription, &sealed),
            Err(SecretError::Unopenable)
        );
        // Two seals of one secret differ (a fresh nonce each).
        assert_ne!(
            sealed,
            key(1)
                .seal(Purpose::Webhook, "0123456789abcdef")
                .expect("sealed")
        );
    }

    #[test]
    fn a_changed_or_cut_seal_does_not_open() {
        let sealed = key(1)
            .seal(Purpose::Subscription, "hw_abc")
            .expect("sealed");
        let mut changed = sealed.clone().into_bytes();
        let last = changed.len() - 1;
        changed[last] = if changed[last] == b'0' { b'1' } else { b'0' };
        let changed = String::from_utf8(changed).expect("ascii");
        for bad in [
            changed.as_str(),
            &sealed[..sealed.len() - 2],
            "sealed:v1:",
            "sealed:v1:zz",
        ] {
            assert_eq!(
                key(1).open(Purpose::Subscription, bad),
                Err(SecretError::Unopenable),
                "{bad}"
            );
        }
    }

    #[test]
    fn stored_values_from_before_sealing_are_their_own_secret() {
        assert_eq!(
            open_stored(None, Purpose::Webhook, "plain-secret").as_deref(),
            Ok("plain-secret")
        );
        let sealed = key(3).seal(Purpose::Webhook, "s").expect("sealed");
        assert_eq!(
            open_stored(None, Purpose::Webhook, &sealed),
            Err(SecretError::NoKey)
        );
        assert_eq!(
            open_stored(Some(&key(3)), Purpose::Webhook, &sealed).as_deref(),
            Ok("s")
        );
    }

    #[test]
    fn the_key_file_is_made_once_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("hw-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("secrets.key");
        let _ = std::fs::remove_file(&path);
        let made = SecretsKey::load_or_create(&path).expect("made");
        let sealed = made.seal(Purpose::Webhook, "x").expect("sealed");
        let read = SecretsKey::load_or_create(&path).expect("read");
        assert_eq!(read.open(Purpose::Webhook, &sealed).as_deref(), Ok("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").expect("write");
        assert!(matches!(
            SecretsKey::load_or_create(&path),
            Err(SecretError::KeyFile(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
