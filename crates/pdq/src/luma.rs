//! RGB to luma, exactly as the `pdqhash` binding computes it.
//!
//! The binding (which HMA and python-threatexchange hash through) computes
//! `R*0.299 + G*0.587 + B*0.114` in numpy float64, left to right, then rounds
//! to float32. Each product is the same for a given byte, so the three
//! products come from tables; the two additions and the final rounding are
//! done per pixel in f64, in the binding's order.

/// `v as f64 * coefficient` for every byte value, as numpy computes it.
const fn product_table(coefficient: f64) -> [f64; 256] {
    let mut table = [0.0; 256];
    let mut v = 0;
    while v < 256 {
        table[v] = v as f64 * coefficient;
        v += 1;
    }
    table
}

const RED: [f64; 256] = product_table(0.299);
const GREEN: [f64; 256] = product_table(0.587);
const BLUE: [f64; 256] = product_table(0.114);

/// The luma of a grey byte, where red, green and blue all equal it.
const fn grey_table() -> [f32; 256] {
    let mut table = [0.0; 256];
    let mut v = 0;
    while v < 256 {
        table[v] = ((RED[v] + GREEN[v]) + BLUE[v]) as f32;
        v += 1;
    }
    table
}

/// Grey bytes go through the same formula as RGB (the binding only takes
/// three channels, so grey images reach it as R = G = B), which is not always
/// the byte value itself: 0.299 + 0.587 + 0.114 rounds.
pub(crate) const GREY: [f32; 256] = grey_table();

/// The luma of one RGB pixel.
#[inline(always)]
pub(crate) fn rgb(r: u8, g: u8, b: u8) -> f32 {
    ((RED[r as usize] + GREEN[g as usize]) + BLUE[b as usize]) as f32
}
