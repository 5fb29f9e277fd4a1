//! vPDQ features in python-threatexchange's exchange form for `vpdq`
//! signals: a JSON list of `"PDQ_HEX,QUALITY,TIMESTAMP"` strings, the
//! timestamp written as Python writes `format(t, ".3")` (three significant
//! digits, scientific from 100 up), so that pytx reads hashwatch's signals
//! and the two write the same text. Frame numbers are not part of the form.

use std::fmt;

use crate::Hash256;

/// The most features one signal may hold: 55 hours at one hash a second.
pub const MAX_FEATURES: usize = 200_000;

/// One hashed frame as the exchange form carries it (pytx's
/// `VpdqCompactFeature`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VpdqFeature {
    /// The frame's PDQ hash.
    pub pdq: Hash256,
    /// Its PDQ quality, 0-100.
    pub quality: u8,
    /// Where the frame is, in seconds from the start.
    pub timestamp: f64,
}

/// Why a text is not a vPDQ signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VpdqParseError {
    /// Not a JSON list of strings.
    NotAList,
    /// Item `index` (from 0) is not `HEX,QUALITY,TIMESTAMP` with a 64-digit
    /// hex hash, a quality of 0-100 and a finite timestamp of at least 0.
    Feature {
        /// The item's position.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// More than [`MAX_FEATURES`] items.
    TooMany,
}

impl fmt::Display for VpdqParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VpdqParseError::NotAList => {
                f.write_str("a vpdq signal is a JSON list of \"PDQ_HEX,QUALITY,TIMESTAMP\" strings")
            }
            VpdqParseError::Feature { index, reason } => {
                write!(f, "vpdq feature {index}: {reason}")
            }
            VpdqParseError::TooMany => {
                write!(f, "a vpdq signal holds at most {MAX_FEATURES} features")
            }
        }
    }
}

impl std::error::Error for VpdqParseError {}

/// `features` as pytx's `vpdq_to_json` writes them.
pub fn to_pytx(features: &[VpdqFeature]) -> String {
    let items: Vec<String> = features
        .iter()
        .map(|f| format!("\"{},{},{}\"", f.pdq, f.quality, python_3g(f.timestamp)))
        .collect();
    format!("[{}]", items.join(", "))
}

/// Reads the exchange form as pytx's `json_to_vpdq` does (an empty text is
/// an empty list); hex of either case.
pub fn parse_pytx(text: &str) -> Result<Vec<VpdqFeature>, VpdqParseError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or(VpdqParseError::NotAList)?
        .trim();
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    // Items hold commas themselves: each is read from quote to quote.
    let mut features = Vec::new();
    let mut rest = inner;
    let mut index = 0;
    while !rest.is_empty() {
        let body = rest.strip_prefix('"').ok_or(VpdqParseError::NotAList)?;
        let end = body.find('"').ok_or(VpdqParseError::NotAList)?;
        let item = &body[..end];
        if item.contains('\\') {
            return Err(VpdqParseError::Feature {
                index,
                reason: "escapes are not allowed",
            });
        }
        features
            .push(parse_feature(item).map_err(|reason| VpdqParseError::Feature { index, reason })?);
        if features.len() > MAX_FEATURES {
            return Err(VpdqParseError::TooMany);
        }
        rest = body[end + 1..].trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start();
            if rest.is_empty() {
                return Err(VpdqParseError::NotAList);
            }
        } else if !rest.is_empty() {
            return Err(VpdqParseError::NotAList);
        }
        index += 1;
    }
    Ok(features)
}

fn parse_feature(item: &str) -> Result<VpdqFeature, &'static str> {
    let mut parts = item.split(',');
    let (Some(hex), Some(quality), Some(timestamp), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not HEX,QUALITY,TIMESTAMP");
    };
    if hex.len() != 64 {
        return Err("the hash is not 64 hex digits");
    }
    let pdq: Hash256 = hex.parse().map_err(|_| "the hash is not 64 hex digits")?;
    let quality: u8 = quality
        .trim()
        .parse()
        .ok()
        .filter(|q| *q <= 100)
        .ok_or("the quality is not a whole number from 0 to 100")?;
    let timestamp: f64 = timestamp
        .trim()
        .parse()
        .ok()
        .filter(|t: &f64| t.is_finite() && *t >= 0.0)
        .ok_or("the timestamp is not a number of seconds of at least 0")?;
    Ok(VpdqFeature {
        pdq,
        quality,
        timestamp,
    })
}

/// The features a match counts, as pytx prepares them: those of at least
/// `quality_floor`, the first of each distinct hash.
pub fn prepare(features: &[VpdqFeature], quality_floor: u8) -> Vec<VpdqFeature> {
    let mut seen = std::collections::HashSet::new();
    features
        .iter()
        .filter(|f| f.quality >= quality_floor && seen.insert(f.pdq))
        .copied()
        .collect()
}

/// Python's `format(x, ".3")` for a finite `x`: like `%g` at three
/// significant digits, except that fixed notation keeps one digit after
/// the point and scientific notation starts at an exponent of 2.
fn python_3g(x: f64) -> String {
    const PRECISION: i32 = 3;
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // The exponent after rounding to three significant digits.
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, x);
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..PRECISION - 1).contains(&exponent) {
        let fixed = format!("{:.*}", (PRECISION - 1 - exponent) as usize, x);
        let trimmed = fixed.trim_end_matches('0');
        if trimmed.ends_with('.') {
            format!("{trimmed}0")
        } else {
            trimmed.to_string()
        }
    } else {
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_as_python_writes_them() {
        // Left: the value; right: CPython 3.11's `format(value, ".3")`.
        let cases = [
            (0.0, "0.0"),
            (0.5, "0.5"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (2.0, "2.0"),
            (0.1, "0.1"),
            (0.300_000_011_920_928_96, "0.3"),
            (3.333_333_253_860_473_6, "3.33"),
            (9.999, "10.0"),
            (10.0, "10.0"),
            (12.345, "12.3"),
            (99.95, "1e+02"),
            (100.0, "1e+02"),
            (123.4, "1.23e+02"),
            (999.5, "1e+03"),
            (1234.5, "1.23e+03"),
            (0.0001, "0.0001"),
            (0.000_123_45, "0.000123"),
            (36000.0, "3.6e+04"),
            (7.199_999_809_265_137, "7.2"),
        ];
        for (value, python) in cases {
            assert_eq!(python_3g(value), python, "{value}");
        }
    }

    fn feature(byte: u8, quality: u8, timestamp: f64) -> VpdqFeature {
        VpdqFeature {
            pdq: Hash256::from_be_bytes([byte; 32]),
            quality,
            timestamp,
        }
    }

    #[test]
    fn features_are_written_as_pytx_writes_them() {
        let features = [feature(0xab, 100, 0.0), feature(0x01, 49, 1.2)];
        assert_eq!(
            to_pytx(&features),
            format!(
                "[\"{},100,0.0\", \"{},49,1.2\"]",
                "ab".repeat(32),
                "01".repeat(32)
            )
        );
        assert_eq!(to_pytx(&[]), "[]");
    }

    #[test]
    fn the_exchange_form_reads_back() {
        let features = vec![
            feature(0xab, 100, 0.0),
            feature(0x01, 49, 1.2),
            feature(0x7f, 0, 123.0),
        ];
        let text = to_pytx(&features);
        let back = parse_pytx(&text).expect("reads back");
        assert_eq!(to_pytx(&back), text);
        assert_eq!(back[1].quality, 49);
        assert_eq!(back[2].timestamp, 123.0);
        // json.dumps with indent, upper-case hex, and no spaces also read.
        let loose = format!(
            "[\n  \"{},100,0.0\",\"{},5,1e+02\"\n]",
            "AB".repeat(32),
            "cd".repeat(32)
        );
        let read = parse_pytx(&loose).expect("reads");
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].pdq, features[0].pdq);
        assert_eq!(read[1].timestamp, 100.0);
        assert_eq!(parse_pytx("").expect("empty"), vec![]);
        assert_eq!(parse_pytx(" [ ] ").expect("empty"), vec![]);
    }

    #[test]
    fn malformed_signals_are_refused_with_the_reason() {
        let hex = "ab".repeat(32);
        for bad in [
            "{}".to_string(),
            "[1, 2]".to_string(),
            format!("[\"{hex},100,0.0\",]"),
            format!("[\"{hex},100,0.0\" \"{hex},100,1.0\"]"),
            format!("[\"{hex},100\"]"),
            format!("[\"{hex},101,0.0\"]"),
            format!("[\"{hex},-1,0.0\"]"),
            format!("[\"{hex},100,-1.0\"]"),
            format!("[\"{hex},100,nan\"]"),
            format!("[\"{hex},100,inf\"]"),
            format!("[\"{},100,0.0\"]", &hex[1..]),
            format!("[\"{}zz,100,0.0\"]", &hex[2..]),
            format!("[\"{hex},100,0.0,4\"]"),
            format!("[\"{hex}\\u002c100,0.0\"]"),
            "[\"".to_string(),
        ] {
            assert!(parse_pytx(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn preparing_keeps_the_first_of_each_hash_above_the_floor() {
        let features = [
            feature(1, 100, 0.0),
            feature(2, 49, 1.0),
            feature(1, 90, 2.0),
            feature(3, 50, 3.0),
        ];
        let prepared = prepare(&features, 50);
        assert_eq!(prepared, vec![features[0], features[3]]);
    }
}
