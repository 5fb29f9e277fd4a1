//! From the 16x16 DCT block to hash bits, and the dihedral transforms that
//! turn one DCT block into the blocks of the image's 7 rotations and flips.

use crate::dct::DCT;
use crate::Hash256;

pub(crate) type Block = [[f32; DCT]; DCT];

/// Torben Mogensen's median, as in the reference's `torben.cpp`, so that the
/// threshold (and therefore every tie) is the same float.
fn torben(m: &[f32]) -> f32 {
    let n = m.len();
    let mut min = m[0];
    let mut max = m[0];
    for &v in &m[1..] {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    let half = n.div_ceil(2);
    loop {
        let guess = (min + max) / 2.0;
        let (mut less, mut greater, mut equal) = (0, 0, 0);
        let mut max_lt_guess = min;
        let mut min_gt_guess = max;
        for &v in m {
            if v < guess {
                less += 1;
                if v > max_lt_guess {
                    max_lt_guess = v;
                }
            } else if v > guess {
                greater += 1;
                if v < min_gt_guess {
                    min_gt_guess = v;
                }
            } else {
                equal += 1;
            }
        }
        if less <= half && greater <= half {
            return if less >= half {
                max_lt_guess
            } else if less + equal >= half {
                guess
            } else {
                min_gt_guess
            };
        } else if less > greater {
            max = max_lt_guess;
        } else {
            min = min_gt_guess;
        }
    }
}

/// Bit `i*16 + j` is set when coefficient `(i, j)` is above the median.
pub(crate) fn to_hash(block: &Block) -> Hash256 {
    let flat: Vec<f32> = block.iter().flatten().copied().collect();
    let median = torben(&flat);
    let mut hash = Hash256::ZERO;
    for (k, &v) in flat.iter().enumerate() {
        if v > median {
            hash.set_bit(k);
        }
    }
    hash
}

/// One of the reference's `dct16OriginalTo*` transforms: optionally
/// transposes the block and negates coefficients by the parity of their
/// indices, which is what rotating or flipping the image does to its DCT.
fn transform(a: &Block, transpose: bool, negate: impl Fn(usize, usize) -> bool) -> Block {
    let mut b = [[0.0f32; DCT]; DCT];
    for (i, row) in a.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let v = if negate(i, j) { -v } else { v };
            if transpose {
                b[j][i] = v;
            } else {
                b[i][j] = v;
            }
        }
    }
    b
}

pub(crate) fn rotate90(a: &Block) -> Block {
    transform(a, true, |_, j| j & 1 == 0)
}
pub(crate) fn rotate180(a: &Block) -> Block {
    transform(a, false, |i, j| (i + j) & 1 == 1)
}
pub(crate) fn rotate270(a: &Block) -> Block {
    transform(a, true, |i, _| i & 1 == 0)
}
pub(crate) fn flip_x(a: &Block) -> Block {
    transform(a, false, |i, _| i & 1 == 0)
}
pub(crate) fn flip_y(a: &Block) -> Block {
    transform(a, false, |_, j| j & 1 == 0)
}
pub(crate) fn flip_plus1(a: &Block) -> Block {
    transform(a, true, |_, _| false)
}
pub(crate) fn flip_minus1(a: &Block) -> Block {
    transform(a, true, |i, j| (i + j) & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_median(values: &[f32]) -> f32 {
        let mut v = values.to_vec();
        v.sort_by(f32::total_cmp);
        // Torben returns the lower median for an even count.
        v[(v.len() - 1) / 2]
    }

    #[test]
    fn torben_is_the_lower_median() {
        let mut state = 12345u64;
        for n in [1usize, 2, 3, 4, 5, 16, 255, 256] {
            for _ in 0..50 {
                let values: Vec<f32> = (0..n)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        // Few distinct values, so ties are common.
                        ((state >> 33) % 7) as f32 - 3.0
                    })
                    .collect();
                assert_eq!(torben(&values), sorted_median(&values), "{values:?}");
            }
        }
    }

    #[test]
    fn transforms_compose_like_the_dihedral_group() {
        let mut a = [[0.0f32; DCT]; DCT];
        for (i, row) in a.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (i * 16 + j) as f32 + 1.0;
            }
        }
        assert_eq!(rotate90(&rotate90(&a)), rotate180(&a));
        assert_eq!(rotate90(&rotate180(&a)), rotate270(&a));
        assert_eq!(rotate180(&rotate180(&a)), a);
        assert_eq!(flip_x(&flip_x(&a)), a);
        assert_eq!(flip_plus1(&flip_plus1(&a)), a);
        assert_eq!(flip_x(&flip_y(&a)), rotate180(&a));
    }
}
