//! What banks hold.

use std::fmt;
use std::str::FromStr;

use hashwatch_pdq::Hash256;

/// The kinds of signal a bank entry can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignalType {
    /// A PDQ perceptual hash (256 bits), matched by Hamming distance.
    Pdq,
    /// MD5 of the file bytes, matched exactly.
    Md5,
    /// SHA-1 of the file bytes, matched exactly.
    Sha1,
    /// SHA-256 of the file bytes, matched exactly.
    Sha256,
    /// A PhotoDNA hash, kept and matched exactly as given (opaque: hashwatch
    /// does not compute or compare PhotoDNA), as hash lists such as VICS
    /// and ICSE carry it.
    PhotoDna,
    /// A video's vPDQ: the PDQ hashes of its frames with their quality and
    /// timestamp, kept in python-threatexchange's exchange form and
    /// matched frame by frame.
    Vpdq,
}

/// Why a string is not a value of a signal type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// Not hex digits.
    NotHex,
    /// Hex of the wrong length for the type.
    Length {
        /// The signal type.
        signal_type: SignalType,
        /// Hex digits found.
        found: usize,
    },
    /// The length fits no known signal type.
    UnknownLength(usize),
    /// An opaque value (PhotoDNA) that is empty, too long or not printable.
    Opaque,
    /// Not a vPDQ signal in the exchange form.
    Vpdq(hashwatch_pdq::vpdq::VpdqParseError),
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::NotHex => write!(f, "not a hex string"),
            ValueError::Length { signal_type, found } => write!(
                f,
                "a {signal_type} value has {} hex digits, this one has {found}",
                signal_type.hex_len()
            ),
            ValueError::Opaque => write!(
                f,
                "a PhotoDNA value is 1-4096 printable characters without spaces (base64 or hex)"
            ),
            ValueError::Vpdq(e) => e.fmt(f),
            ValueError::UnknownLength(n) => write!(
                f,
                "{n} hex digits fits no signal type (md5 32, sha1 40, pdq or sha256 64)"
            ),
        }
    }
}

impl std::error::Error for ValueError {}

impl SignalType {
    /// Every type.
    pub const ALL: [SignalType; 6] = [
        SignalType::Pdq,
        SignalType::Md5,
        SignalType::Sha1,
        SignalType::Sha256,
        SignalType::PhotoDna,
        SignalType::Vpdq,
    ];

    /// The type's name, as HMA and the output of hashwatch spell it.
    pub fn name(&self) -> &'static str {
        match self {
            SignalType::Pdq => "pdq",
            SignalType::Md5 => "md5",
            SignalType::Sha1 => "sha1",
            SignalType::Sha256 => "sha256",
            SignalType::PhotoDna => "photodna",
            SignalType::Vpdq => "vpdq",
        }
    }

    /// Hex digits in a value (0 for PhotoDNA and vPDQ, which are not hex).
    pub fn hex_len(&self) -> usize {
        match self {
            SignalType::Md5 => 32,
            SignalType::Sha1 => 40,
            SignalType::Pdq | SignalType::Sha256 => 64,
            SignalType::PhotoDna | SignalType::Vpdq => 0,
        }
    }

    /// The type a bare hex value of this length is taken for: 64 digits
    /// are PDQ, as in HMA's and ThreatExchange's hash lists.
    pub fn for_hex_len(len: usize) -> Option<SignalType> {
        match len {
            32 => Some(SignalType::Md5),
            40 => Some(SignalType::Sha1),
            64 => Some(SignalType::Pdq),
            _ => None,
        }
    }

    /// Parses a hex value (either case, surrounding spaces ignored) into its
    /// stored bytes. A vPDQ value is stored in its canonical exchange form
    /// (as pytx writes it), so that one video's signal is one value however
    /// it was spelt.
    pub fn parse_value(&self, text: &str) -> Result<Vec<u8>, ValueError> {
        let text = text.trim();
        if *self == SignalType::Vpdq {
            let features = hashwatch_pdq::vpdq::parse_pytx(text).map_err(ValueError::Vpdq)?;
            if features.is_empty() {
                return Err(ValueError::Vpdq(
                    hashwatch_pdq::vpdq::VpdqParseError::NotAList,
                ));
            }
            return Ok(hashwatch_pdq::vpdq::to_pytx(&features).into_bytes());
        }
        if *self == SignalType::PhotoDna {
            let printable = text.bytes().all(|b| b.is_ascii_graphic());
            if text.is_empty() || text.len() > 4096 || !printable {
                return Err(ValueError::Opaque);
            }
            return Ok(text.as_bytes().to_vec());
        }
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ValueError::NotHex);
        }
        if text.len() != self.hex_len() {
            return Err(ValueError::Length {
                signal_type: *self,
                found: text.len(),
            });
        }
        Ok(decode_hex(text))
    }

    /// The hex form of stored bytes (PhotoDNA: the text as given; vPDQ:
    /// the exchange form).
    pub fn format_value(&self, value: &[u8]) -> String {
        if matches!(self, SignalType::PhotoDna | SignalType::Vpdq) {
            return String::from_utf8_lossy(value).into_owned();
        }
        value.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn decode_hex(text: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|p| digit(p[0]) << 4 | digit(p[1]))
        .collect()
}

impl fmt::Display for SignalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SignalType {
    type Err = String;
    fn from_str(s: &str) -> Result<SignalType, String> {
        SignalType::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown signal type {s:?} (pdq, md5, sha1, sha256, photodna, vpdq)")
            })
    }
}

/// Whether a bank's entries are known material or known false positives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankKind {
    /// Known material: entries match.
    Positive,
    /// Known false positives (an allow-list): a query matching an entry here
    /// has its matches of the same signal type suppressed.
    Negative,
}

impl BankKind {
    /// `positive` or `negative`.
    pub fn name(&self) -> &'static str {
        match self {
            BankKind::Positive => "positive",
            BankKind::Negative => "negative",
        }
    }
}

/// A bank and its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bank {
    /// Stable numeric id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Positive or negative.
    pub kind: BankKind,
    /// Free text.
    pub description: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// Bumped by every import and revocation.
    pub version: i64,
    /// Active entries.
    pub active: u64,
    /// Revoked entries.
    pub revoked: u64,
}

impl Bank {
    /// Whether `name` may name a bank: 1-64 letters, digits, `_`, `-` and
    /// `.` (safe in URLs, file names and feed ids), after an optional
    /// `TENANT:` prefix (see [`Bank::name_in`]).
    pub fn valid_name(name: &str) -> bool {
        let local = match name.split_once(':') {
            Some((tenant, local)) if crate::valid_tenant(tenant) => local,
            Some(_) => return false,
            None => name,
        };
        (1..=64).contains(&local.len())
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    }

    /// The name under which `tenant` keeps its bank `local`. Bank names
    /// are per tenant: the default tenant's banks keep the plain name (as
    /// HMA and every bank made before tenants had names of their own),
    /// every other tenant's are `TENANT:NAME`, so two tenants may both
    /// have a `PHOTOS` and neither learns of the other's.
    pub fn name_in(tenant: &str, local: &str) -> String {
        if tenant == crate::DEFAULT_TENANT {
            local.to_string()
        } else {
            format!("{tenant}:{local}")
        }
    }

    /// The tenant whose namespace a stored bank name is in.
    pub fn namespace_of(name: &str) -> &str {
        name.split_once(':')
            .map_or(crate::DEFAULT_TENANT, |(tenant, _)| tenant)
    }
}

/// An entry to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// The signal type.
    pub signal_type: SignalType,
    /// The value's bytes (32 for PDQ in hex order).
    pub value: Vec<u8>,
    /// PDQ quality of the known image, when known.
    pub quality: Option<u8>,
    /// The owner's id for the content (a file name, a case reference).
    pub content_id: Option<String>,
    /// Category or label.
    pub category: Option<String>,
    /// Where the hash came from.
    pub source: Option<String>,
    /// Everything else a hash list said about it, as a JSON object (VICS's
    /// series and victim flags, columns hashwatch does not use), kept so
    /// that an export gives it back.
    pub metadata: Option<String>,
    /// For a derived hash, the view of the item's picture that made it
    /// (`crop90`, `trim`: hashwatch-robust's names); `None` for the item's
    /// own hash. Derived hashes are matched only by robust lookups and
    /// never stand for the item's own hash.
    pub derived: Option<String>,
}

/// One entry's place in [`value_order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ordered {
    /// Its position in the entries.
    pub at: usize,
    /// Whether it has the same signal type and value as the one before.
    pub repeat: bool,
}

/// `entries` in (signal type, value) order, a value's repeats in position
/// order and marked.
///
/// Sorts keys that carry the first eight bytes of each value, so that most
/// comparisons stay inside the key array instead of chasing each entry's
/// heap-allocated value (1M entries: about 4× faster than sorting
/// positions by the values themselves).
pub fn value_order(entries: &[NewEntry]) -> Vec<Ordered> {
    let mut keys: Vec<(SignalType, u64, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            // Zero-padded, so prefix order never contradicts value order.
            let mut head = [0u8; 8];
            let n = e.value.len().min(8);
            head[..n].copy_from_slice(&e.value[..n]);
            (e.signal_type, u64::from_be_bytes(head), i)
        })
        .collect();
    let full = |a: &(SignalType, u64, usize), b: &(SignalType, u64, usize)| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| entries[a.2].value.cmp(&entries[b.2].value))
    };
    keys.sort_unstable_by(|a, b| full(a, b).then(a.2.cmp(&b.2)));
    let mut ordered = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let repeat = i > 0 && full(&keys[i - 1], key).is_eq();
        ordered.push(Ordered { at: key.2, repeat });
    }
    ordered
}

impl NewEntry {
    /// An entry with only a signal.
    pub fn new(signal_type: SignalType, value: Vec<u8>) -> NewEntry {
        NewEntry {
            signal_type,
            value,
            quality: None,
            content_id: None,
            category: None,
            source: None,
            metadata: None,
            derived: None,
        }
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Unique across the store, never reused.
    pub id: u64,
    /// Signal and provenance as imported.
    pub signal: NewEntry,
    /// RFC 3339 UTC.
    pub added_at: String,
    /// The bank version that added it.
    pub added_version: i64,
    /// When revoked, RFC 3339 UTC.
    pub revoked_at: Option<String>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

impl Entry {
    /// The value as hex.
    pub fn value_hex(&self) -> String {
        self.signal.signal_type.format_value(&self.signal.value)
    }

    /// The PDQ hash, for PDQ entries.
    pub fn pdq(&self) -> Option<Hash256> {
        if self.signal.signal_type != SignalType::Pdq {
            return None;
        }
        let bytes: [u8; 32] = self.signal.value.as_slice().try_into().ok()?;
        Some(Hash256::from_be_bytes(bytes))
    }

    /// The frames, for vPDQ entries (stored in the exchange form, so they
    /// read back unless the store was written around hashwatch).
    pub fn vpdq(&self) -> Option<Vec<hashwatch_pdq::vpdq::VpdqFeature>> {
        if self.signal.signal_type != SignalType::Vpdq {
            return None;
        }
        let text = std::str::from_utf8(&self.signal.value).ok()?;
        hashwatch_pdq::vpdq::parse_pytx(text).ok()
    }
}

/// Which entries to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryRef {
    /// One entry by id.
    Id(u64),
    /// Every active entry with this value.
    Value(SignalType, Vec<u8>),
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    /// Entries added.
    pub added: u64,
    /// Entries skipped because the value was already active in the bank
    /// for the same item.
    pub already_present: u64,
    /// The bank's version after the import.
    pub version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_by_type_and_length() {
        let md5 = SignalType::Md5
            .parse_value(" 900150983CD24FB0D6963F7D28E17F72 ")
            .expect("md5");
        assert_eq!(
            SignalType::Md5.format_value(&md5),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            SignalType::Sha1.parse_value("abcd"),
            Err(ValueError::Length {
                signal_type: SignalType::Sha1,
                found: 4
            })
        );
        assert_eq!(
            SignalType::Pdq.parse_value(&"z".repeat(64)),
            Err(ValueError::NotHex)
        );
        assert_eq!(SignalType::for_hex_len(40), Some(SignalType::Sha1));
        assert_eq!(SignalType::for_hex_len(63), None);
        assert_eq!("SHA256".parse::<SignalType>(), Ok(SignalType::Sha256));
        assert!("tmk".parse::<SignalType>().is_err());
        // PhotoDNA is opaque: kept as given, refused only when not a token.
        let pdna = SignalType::PhotoDna
            .parse_value(" AAEB+/== ")
            .expect("photodna");
        assert_eq!(SignalType::PhotoDna.format_value(&pdna), "AAEB+/==");
        assert_eq!(
            SignalType::PhotoDna.parse_value("a b"),
            Err(ValueError::Opaque)
        );
        assert_eq!(
            SignalType::PhotoDna.parse_value(""),
            Err(ValueError::Opaque)
        );
    }
}

/// One change to the banks, in the order changes were committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Position in the store's change log, from 1, without gaps in commit
    /// order.
    pub seq: u64,
    /// The bank changed.
    pub bank: String,
    /// What changed.
    pub kind: ChangeKind,
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// The bank was created.
    BankCreated(BankKind),
    /// The bank and its entries were deleted.
    BankDeleted,
    /// Entries with ids `first..=last` were added (all in this bank).
    Imported {
        /// The first new entry id.
        first: u64,
        /// The last new entry id.
        last: u64,
    },
    /// The entry was revoked.
    Revoked {
        /// Its id.
        entry: u64,
    },
    /// The bank's settings changed; it was renamed when `previous` is set.
    BankUpdated {
        /// The name it had.
        previous: Option<String>,
    },
    /// A content item's disable time, note or grouped entries changed.
    ContentUpdated {
        /// The content id.
        content: u64,
    },
}
