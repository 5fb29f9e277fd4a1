//! vPDQ in python-threatexchange's exchange form for `vpdq` signals: a
//! JSON list of `"PDQ_HEX,QUALITY,TIMESTAMP"` strings, the timestamp
//! written as Python writes `format(t, ".3")` (three significant digits,
//! scientific from 100 up), so that pytx reads hashwatch's signals and the
//! two write the same text.

use crate::Feature;

/// `features` as pytx's `vpdq_to_json` writes them.
pub fn to_pytx(features: &[Feature]) -> String {
    let items: Vec<String> = features
        .iter()
        .map(|f| {
            format!(
                "\"{},{},{}\"",
                f.pdq,
                f.quality,
                python_3g(f64::from(f.timestamp))
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
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
    use hashwatch_pdq::Hash256;

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

    #[test]
    fn features_are_written_as_pytx_writes_them() {
        let hash = |byte: u8| Hash256::from_be_bytes([byte; 32]);
        let features = [
            Feature {
                frame: 0,
                pdq: hash(0xab),
                quality: 100,
                timestamp: 0.0,
            },
            Feature {
                frame: 12,
                pdq: hash(0x01),
                quality: 49,
                timestamp: 1.2,
            },
        ];
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
}
