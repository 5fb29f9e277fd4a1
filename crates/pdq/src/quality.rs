//! The reference's image-domain quality metric (`pdqImageDomainQualityMetric`).

use crate::blur::OUT;

/// Sums the significant gradients of the 64x64 downsample, each quantised as
/// the reference does in f32 (`(int)(((u - v) * 100) / 255)`), and scales the
/// sum to 0..=100.
pub(crate) fn quality(a: &[[f32; OUT]; OUT]) -> u8 {
    let step = |u: f32, v: f32| (((u - v) * 100.0) / 255.0) as i32;
    let mut gradient_sum: i32 = 0;
    for pair in a.windows(2) {
        for (u, v) in pair[0].iter().zip(pair[1].iter()) {
            gradient_sum += step(*u, *v).abs();
        }
    }
    for row in a.iter() {
        for pair in row.windows(2) {
            gradient_sum += step(pair[0], pair[1]).abs();
        }
    }
    // The cap keeps the cast lossless.
    (gradient_sum / 90).min(100) as u8
}
