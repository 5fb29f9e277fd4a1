//! The partial 2-D DCT: the 16x16 low-frequency block of the 64x64 DCT,
//! without the DC row and column, `B = D·A·Dᵀ` in f32.

use crate::blur::OUT;

/// Rows of the DCT matrix kept by PDQ.
pub(crate) const DCT: usize = 16;

/// The reference's `dct_matrix_64`: `D[i][j] = sqrt(2/64)·cos(π/128·(i+1)·(2j+1))`.
///
/// The scale factor is rounded to f32 first and then multiplied by the f64
/// cosine, as the reference's `float * double` does.
fn dct_matrix() -> [[f32; OUT]; DCT] {
    let scale = (2.0 / OUT as f64).sqrt() as f32;
    let pi = std::f64::consts::PI;
    let mut d = [[0.0f32; OUT]; DCT];
    for (i, row) in d.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            let angle = (pi / 2.0 / OUT as f64) * (i + 1) as f64 * (2 * j + 1) as f64;
            *v = (scale as f64 * angle.cos()) as f32;
        }
    }
    d
}

/// The DCT matrix and its transpose, computed once per hasher.
pub(crate) struct DctMatrix {
    d: [[f32; OUT]; DCT],
    /// `dt[k][j] = d[j][k]`, so the second product runs along contiguous memory.
    dt: [[f32; DCT]; OUT],
}

impl DctMatrix {
    pub(crate) fn new() -> DctMatrix {
        let d = dct_matrix();
        let mut dt = [[0.0f32; DCT]; OUT];
        for (j, row) in d.iter().enumerate() {
            for (k, v) in row.iter().enumerate() {
                dt[k][j] = *v;
            }
        }
        DctMatrix { d, dt }
    }

    /// The reference's `dct64To16`. Each output is a sum over `k` in
    /// ascending order starting from 0.0, as in the reference; the loops are
    /// ordered so that independent sums sit side by side for vectorisation.
    pub(crate) fn apply(&self, a: &[[f32; OUT]; OUT]) -> [[f32; DCT]; DCT] {
        // T = D·A, T[i][j] = Σ_k D[i][k]·A[k][j]
        let mut t = [[0.0f32; OUT]; DCT];
        for (t_row, d_row) in t.iter_mut().zip(self.d.iter()) {
            for (d_ik, a_row) in d_row.iter().zip(a.iter()) {
                for (t_ij, a_kj) in t_row.iter_mut().zip(a_row.iter()) {
                    *t_ij += d_ik * a_kj;
                }
            }
        }
        // B = T·Dᵀ, B[i][j] = Σ_k T[i][k]·D[j][k]
        let mut b = [[0.0f32; DCT]; DCT];
        for (b_row, t_row) in b.iter_mut().zip(t.iter()) {
            for (t_ik, dt_row) in t_row.iter().zip(self.dt.iter()) {
                for (b_ij, d_jk) in b_row.iter_mut().zip(dt_row.iter()) {
                    *b_ij += t_ik * d_jk;
                }
            }
        }
        b
    }
}
