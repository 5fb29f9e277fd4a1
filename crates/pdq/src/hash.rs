//! The 256-bit hash value, its hex form and Hamming distance.

use std::fmt;
use std::str::FromStr;

/// A 256-bit PDQ hash.
///
/// Bit `k` (0..256) is DCT coefficient `(k / 16, k % 16)`. The hex form is
/// the one printed by Meta's C++ `Hash256::toString()`, HMA and
/// python-threatexchange: sixteen 16-bit words from the last to the first, so
/// the first hex digit's top bit is bit 255.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash256 {
    /// Little-endian 64-bit limbs: bit `k` is bit `k % 64` of `limbs[k / 64]`.
    limbs: [u64; 4],
}

impl Hash256 {
    /// The all-zero hash, which the reference gives images too small to hash.
    pub const ZERO: Hash256 = Hash256 { limbs: [0; 4] };

    /// Builds a hash from little-endian 64-bit limbs (bit `k` in `limbs[k / 64]`).
    pub const fn from_limbs(limbs: [u64; 4]) -> Hash256 {
        Hash256 { limbs }
    }

    /// The little-endian 64-bit limbs (bit `k` in `limbs[k / 64]`).
    pub const fn limbs(&self) -> [u64; 4] {
        self.limbs
    }

    /// Whether bit `k` is set. `k` must be below 256.
    pub fn bit(&self, k: usize) -> bool {
        (self.limbs[k / 64] >> (k % 64)) & 1 == 1
    }

    /// Sets bit `k`. `k` must be below 256.
    pub fn set_bit(&mut self, k: usize) {
        self.limbs[k / 64] |= 1 << (k % 64);
    }

    /// The number of bits in which the two hashes differ (0..=256).
    pub fn distance(&self, other: &Hash256) -> u32 {
        self.limbs
            .iter()
            .zip(other.limbs.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// The number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.limbs.iter().map(|l| l.count_ones()).sum()
    }

    /// The 32 bytes of the hex form, most significant first.
    pub fn to_be_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, limb) in out.chunks_exact_mut(8).zip(self.limbs.iter().rev()) {
            chunk.copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    /// Builds a hash from the 32 bytes of its hex form, most significant first.
    pub fn from_be_bytes(bytes: [u8; 32]) -> Hash256 {
        let mut limbs = [0u64; 4];
        for (limb, chunk) in limbs.iter_mut().rev().zip(bytes.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            *limb = u64::from_be_bytes(word);
        }
        Hash256 { limbs }
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for limb in self.limbs.iter().rev() {
            write!(f, "{limb:016x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

/// Why a string is not a PDQ hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseHashError {
    /// The string does not have exactly 64 characters.
    Length(usize),
    /// The character at this byte offset is not a hex digit.
    NotHex(usize),
}

impl fmt::Display for ParseHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseHashError::Length(n) => {
                write!(f, "a PDQ hash has 64 hex digits, this one has {n}")
            }
            ParseHashError::NotHex(at) => {
                write!(
                    f,
                    "a PDQ hash has only hex digits, character {} is not one",
                    at + 1
                )
            }
        }
    }
}

impl std::error::Error for ParseHashError {}

impl FromStr for Hash256 {
    type Err = ParseHashError;

    /// Parses the 64-digit hex form (either case), as printed by [`fmt::Display`].
    fn from_str(s: &str) -> Result<Hash256, ParseHashError> {
        let digits = s.as_bytes();
        if digits.len() != 64 {
            return Err(ParseHashError::Length(s.chars().count()));
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            let hi = hex_value(digits[2 * i]).ok_or(ParseHashError::NotHex(2 * i))?;
            let lo = hex_value(digits[2 * i + 1]).ok_or(ParseHashError::NotHex(2 * i + 1))?;
            *byte = (hi << 4) | lo;
        }
        Ok(Hash256::from_be_bytes(bytes))
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_hex_digit_top_bit_is_bit_255() {
        let mut h = Hash256::ZERO;
        h.set_bit(255);
        assert_eq!(h.to_string(), format!("8{}", "0".repeat(63)));
        let mut h = Hash256::ZERO;
        h.set_bit(0);
        assert_eq!(h.to_string(), format!("{}1", "0".repeat(63)));
        // Bit 16 is the lowest bit of the second-to-last 16-bit word.
        let mut h = Hash256::ZERO;
        h.set_bit(16);
        assert_eq!(h.to_string(), format!("{}10000", "0".repeat(59)));
    }

    #[test]
    fn hex_round_trip_and_distance() {
        // Meta's aaa-orig.jpg: `a` through the pdqhash binding, `b` from Meta's
        // C++ tool, which squashes to 512x512 first (pdq/python/README.md).
        let a: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
            .parse()
            .expect("valid hash");
        assert_eq!(
            a.to_string(),
            "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
        );
        let upper: Hash256 = a.to_string().to_uppercase().parse().expect("valid hash");
        assert_eq!(upper, a);
        assert_eq!(Hash256::from_be_bytes(a.to_be_bytes()), a);
        let b: Hash256 = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
            .parse()
            .expect("valid hash");
        assert_eq!(a.distance(&b), 6);
        assert_eq!(a.distance(&a), 0);
        assert_eq!(
            Hash256::ZERO.distance(&Hash256::from_limbs([u64::MAX; 4])),
            256
        );
    }

    #[test]
    fn malformed_hex_is_refused() {
        assert_eq!("abc".parse::<Hash256>(), Err(ParseHashError::Length(3)));
        let bad = format!("{}g", "0".repeat(63));
        assert_eq!(bad.parse::<Hash256>(), Err(ParseHashError::NotHex(63)));
        let multibyte = format!("{}é", "0".repeat(62));
        assert!(multibyte.parse::<Hash256>().is_err());
    }
}
