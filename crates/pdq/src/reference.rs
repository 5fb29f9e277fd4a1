//! A line-by-line port of Meta's C++ (`downscaling.cpp`, `pdqhashing.cpp`),
//! kept naive on purpose: the optimised modules are tested against it.

use crate::blur::{window_size, OUT};

fn box_1d(input: &[f32], output: &mut [f32], len: usize, stride: usize, window: usize) {
    let half = (window + 2) / 2;
    let phase1 = half as i64 - 1;
    let phase2 = window as i64 - half as i64 + 1;
    let phase3 = len as i64 - window as i64;
    let phase4 = half as i64 - 1;
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut sum = 0.0f32;
    let mut count = 0i32;
    for _ in 0..phase1 {
        sum += input[ri];
        count += 1;
        ri += stride;
    }
    for _ in 0..phase2 {
        sum += input[ri];
        count += 1;
        output[oi] = sum / count as f32;
        ri += stride;
        oi += stride;
    }
    for _ in 0..phase3 {
        sum += input[ri];
        sum -= input[li];
        output[oi] = sum / count as f32;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for _ in 0..phase4 {
        sum -= input[li];
        count -= 1;
        output[oi] = sum / count as f32;
        li += stride;
        oi += stride;
    }
}

/// `jaroszFilterFloat` with two passes, then `decimateFloat`.
pub(crate) fn downscale(luma: &[f32], width: usize, height: usize) -> [[f32; OUT]; OUT] {
    let mut b1 = luma.to_vec();
    let mut b2 = vec![0.0f32; luma.len()];
    let along_rows = window_size(width, OUT);
    let along_cols = window_size(height, OUT);
    for _ in 0..2 {
        for i in 0..height {
            let range = i * width..(i + 1) * width;
            box_1d(&b1[range.clone()], &mut b2[range], width, 1, along_rows);
        }
        for j in 0..width {
            box_1d(&b2[j..], &mut b1[j..], height, width, along_cols);
        }
    }
    let mut out = [[0.0f32; OUT]; OUT];
    for (oi, row) in out.iter_mut().enumerate() {
        let ii = (((oi as f64 + 0.5) * height as f64) / OUT as f64) as usize;
        for (oj, v) in row.iter_mut().enumerate() {
            let jj = (((oj as f64 + 0.5) * width as f64) / OUT as f64) as usize;
            *v = b1[ii * width + jj];
        }
    }
    out
}

/// `dct64To16` with the reference's loop order.
pub(crate) fn dct(a: &[[f32; OUT]; OUT]) -> [[f32; 16]; 16] {
    let scale = (2.0f64 / 64.0).sqrt() as f32;
    let mut d = vec![0.0f32; 16 * 64];
    for i in 0..16 {
        for j in 0..64 {
            d[i * 64 + j] = (scale as f64
                * ((std::f64::consts::PI / 2.0 / 64.0) * (i + 1) as f64 * (2 * j + 1) as f64).cos())
                as f32;
        }
    }
    let mut t = [[0.0f32; 64]; 16];
    for i in 0..16 {
        for j in 0..64 {
            let mut sum = 0.0f32;
            for k in 0..64 {
                sum += d[i * 64 + k] * a[k][j];
            }
            t[i][j] = sum;
        }
    }
    let mut b = [[0.0f32; 16]; 16];
    for i in 0..16 {
        for j in 0..16 {
            let mut sum = 0.0f32;
            for k in 0..64 {
                sum += t[i][k] * d[j * 64 + k];
            }
            b[i][j] = sum;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blur::{downscale as fast_downscale, Buffers, LANES};
    use crate::dct::DctMatrix;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    fn random_luma(rng: &mut Rng, width: usize, height: usize) -> Vec<f32> {
        (0..width * height)
            .map(|_| crate::luma::rgb(rng.next() as u8, rng.next() as u8, rng.next() as u8))
            .collect()
    }

    fn fast(buffers: &mut Buffers, luma: &[f32], width: usize, height: usize) -> [[f32; OUT]; OUT] {
        fast_downscale(
            buffers,
            width,
            height,
            |first, lanes: &mut [[f32; LANES]]| {
                for l in 0..LANES.min(height - first) {
                    for (x, lane) in lanes.iter_mut().enumerate() {
                        lane[l] = luma[(first + l) * width + x];
                    }
                }
            },
        )
    }

    #[test]
    fn downscale_matches_reference_bit_for_bit() {
        let mut rng = Rng(7);
        let mut buffers = Buffers::default();
        // Sizes around lane counts, window boundaries (128, 129, 256, 257) and
        // narrower than the output.
        let sizes = [
            (5, 5),
            (5, 300),
            (300, 5),
            (7, 9),
            (63, 65),
            (64, 64),
            (100, 37),
            (128, 129),
            (257, 131),
            (385, 256),
            (640, 17),
        ];
        for &(width, height) in &sizes {
            let luma = random_luma(&mut rng, width, height);
            let want = downscale(&luma, width, height);
            let got = fast(&mut buffers, &luma, width, height);
            for i in 0..OUT {
                for j in 0..OUT {
                    assert_eq!(
                        got[i][j].to_bits(),
                        want[i][j].to_bits(),
                        "{width}x{height} at ({i},{j})"
                    );
                }
            }
        }
    }

    #[test]
    fn dct_matches_reference_bit_for_bit() {
        let mut rng = Rng(11);
        let matrix = DctMatrix::new();
        for _ in 0..20 {
            let mut a = [[0.0f32; OUT]; OUT];
            for row in a.iter_mut() {
                for v in row.iter_mut() {
                    *v = (rng.next() % 25600) as f32 / 100.0;
                }
            }
            let want = dct(&a);
            let got = matrix.apply(&a);
            for i in 0..16 {
                for j in 0..16 {
                    assert_eq!(got[i][j].to_bits(), want[i][j].to_bits());
                }
            }
        }
    }
}
