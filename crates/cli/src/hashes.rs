//! Hashes given on the command line: `TYPE:HEX`, or bare hex whose length
//! says the type.

use hashwatch_model::SignalType;

/// The signals a hash argument may be. Bare 64-digit hex may be PDQ or
/// SHA-256, so both are returned; `None` when it is no hash at all.
pub fn parse(text: &str) -> Option<Vec<(SignalType, Vec<u8>)>> {
    if let Some((prefix, hex)) = text.split_once(':') {
        let t: SignalType = prefix.parse().ok()?;
        return t.parse_value(hex).ok().map(|v| vec![(t, v)]);
    }
    let first = SignalType::for_hex_len(text.len())?;
    let value = first.parse_value(text).ok()?;
    let mut out = vec![(first, value.clone())];
    if first == SignalType::Pdq {
        out.push((SignalType::Sha256, value));
    }
    Some(out)
}
