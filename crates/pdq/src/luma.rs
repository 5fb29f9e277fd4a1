//! RGB to luma, exactly as the `pdqhash` binding computes it.
//!
//! The binding (which HMA and python-threatexchange hash through) computes
//! `R*0.299 + G*0.587 + B*0.114` in numpy float64, left to right, then rounds
//! to float32. That f64 value lies within about 1e-13 of the exact rational
//! `N / 1000` with `N = 299R + 587G + 114B`, and `N / 1000` is never closer
//! than about 4e-12 to a point where f32 rounding changes (it can never be
//! exactly halfway between two f32s: that needs 125 | N, and then `N / 1000`
//! has at most 11 significant bits). So the binding's f32 equals the
//! correctly rounded `N / 1000`, which `(N as f64 * 0.001) as f32` also gives
//! (its f64 error is about 3e-14): integer arithmetic and one multiplication
//! per pixel, which vectorises (an f32 division does too, but costs more, and
//! an f32 multiplication by 0.001 rounds differently for 152,184 of the
//! 255,001 possible `N`). The test `matches_the_binding_for_every_colour`
//! checks all 2^24 colours.

/// The luma of one RGB pixel.
#[inline(always)]
pub(crate) fn rgb(r: u8, g: u8, b: u8) -> f32 {
    from_weighted(weighted(r, g, b))
}

/// `N = 299R + 587G + 114B`, a thousand times the exact luma. Signed
/// because x86's baseline vector conversion to f64 takes signed integers.
#[inline(always)]
pub(crate) fn weighted(r: u8, g: u8, b: u8) -> i32 {
    299 * r as i32 + 587 * g as i32 + 114 * b as i32
}

/// The binding's f32 luma from `N`: the correctly rounded `N / 1000`.
#[inline(always)]
pub(crate) fn from_weighted(n: i32) -> f32 {
    (n as f64 * 0.001) as f32
}

/// The luma of a grey byte.
#[inline(always)]
pub(crate) fn grey(v: u8) -> f32 {
    f32::from(v)
}

#[cfg(test)]
mod tests {
    /// The binding's formula, literally: numpy float64, left to right, then
    /// float32.
    fn binding(r: u8, g: u8, b: u8) -> f32 {
        ((r as f64 * 0.299 + g as f64 * 0.587) + b as f64 * 0.114) as f32
    }

    #[test]
    fn matches_the_binding_for_every_colour() {
        let mut mismatches = 0u32;
        for r in 0..=255u8 {
            for g in 0..=255u8 {
                for b in 0..=255u8 {
                    if super::rgb(r, g, b).to_bits() != binding(r, g, b).to_bits() {
                        mismatches += 1;
                    }
                }
            }
        }
        assert_eq!(mismatches, 0);
        for v in 0..=255u8 {
            assert_eq!(super::grey(v).to_bits(), binding(v, v, v).to_bits());
        }
    }
}
