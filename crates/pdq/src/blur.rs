//! Downscaling to 64x64: the reference's Jarosz tent filter (two passes of a
//! box filter along rows, then along columns) followed by centre sampling.
//!
//! Bit-exactness constrains the arithmetic: every output of a box pass is
//! `running_sum / count` with the running sum built by the same sequence of
//! f32 additions and subtractions as Meta's `box1DFloat`. Within that
//! constraint this module avoids the reference's wasted work:
//!
//! - independent rows (or columns) are filtered together, one per SIMD lane,
//!   because the reference's sequential running sum cannot be vectorised
//!   along its own axis;
//! - the second pair of passes divides only where the decimation samples, and
//!   the last pass only runs down the 64 sampled columns;
//! - the first column pass is streamed into the second row pass eight rows at
//!   a time, so only one full-size buffer is needed.

/// How many rows the row passes filter at once, one per lane.
pub(crate) const LANES: usize = 8;
type Lanes = [f32; LANES];

/// PDQ downsamples to 64x64.
pub(crate) const OUT: usize = 64;

/// The reference's `computeJaroszFilterWindowSize`: round up `old / (2 * new)`.
pub(crate) fn window_size(old: usize, new: usize) -> usize {
    old.div_ceil(2 * new)
}

/// The reference's `decimateFloat` sample positions: pixel centres, computed
/// in f64 as `(int)(((out + 0.5) * in) / 64)`.
pub(crate) fn sample_positions(len: usize) -> [usize; OUT] {
    let mut positions = [0; OUT];
    for (out, pos) in positions.iter_mut().enumerate() {
        *pos = (((out as f64 + 0.5) * len as f64) / OUT as f64) as usize;
    }
    positions
}

/// The four phases of Meta's `box1DFloat` for a vector of `len` samples and a
/// window of `window`: which inputs are added and subtracted, in which order,
/// and what count each output is divided by.
#[derive(Clone, Copy)]
struct BoxPhases {
    /// Inputs added before the first output.
    lead: usize,
    /// Outputs written while the window grows (add only).
    growing: usize,
    /// Outputs written with a full window (add, then subtract).
    full: usize,
    /// Outputs written while the window shrinks (subtract only).
    shrinking: usize,
    window: usize,
}

impl BoxPhases {
    fn new(len: usize, window: usize) -> BoxPhases {
        let half = (window + 2) / 2;
        BoxPhases {
            lead: half - 1,
            growing: window - half + 1,
            // The reference computes `len - window` as a signed int and runs
            // no iterations when it is negative.
            full: len.saturating_sub(window),
            shrinking: half - 1,
            window,
        }
    }

    /// Runs the phases, calling the accumulator in the reference's order.
    #[inline(always)]
    fn run<A: Accumulator>(self, acc: &mut A) {
        let mut right = 0; // next input to add
        let mut left = 0; // next input to subtract
        let mut out = 0;
        for _ in 0..self.lead {
            acc.add(right);
            right += 1;
        }
        let mut count = self.lead;
        for _ in 0..self.growing {
            acc.add(right);
            right += 1;
            count += 1;
            acc.emit(out, count as f32);
            out += 1;
        }
        debug_assert!(self.lead + self.growing == self.window || self.full == 0);
        for _ in 0..self.full {
            acc.add(right);
            acc.sub(left);
            right += 1;
            left += 1;
            acc.emit(out, count as f32);
            out += 1;
        }
        for _ in 0..self.shrinking {
            acc.sub(left);
            left += 1;
            count -= 1;
            acc.emit(out, count as f32);
            out += 1;
        }
    }
}

/// `sum[k] += v[k]`: one step of independent running sums.
#[inline(always)]
fn add_assign(sum: &mut [f32], v: &[f32]) {
    for (s, x) in sum.iter_mut().zip(v) {
        *s += x;
    }
}

/// `sum[k] -= v[k]`.
#[inline(always)]
fn sub_assign(sum: &mut [f32], v: &[f32]) {
    for (s, x) in sum.iter_mut().zip(v) {
        *s -= x;
    }
}

/// A running box sum over one or more independent vectors.
trait Accumulator {
    fn add(&mut self, i: usize);
    fn sub(&mut self, i: usize);
    /// Output `o` is the running sum divided by `count`.
    fn emit(&mut self, o: usize, count: f32);
}

/// Box filter along rows, one row per lane: `input[i]` holds sample `i` of
/// each of the rows. Every output is written.
struct RowLanes<'a> {
    input: &'a [Lanes],
    output: &'a mut [Lanes],
    sum: Lanes,
}

impl Accumulator for RowLanes<'_> {
    #[inline(always)]
    fn add(&mut self, i: usize) {
        add_assign(&mut self.sum, &self.input[i]);
    }
    #[inline(always)]
    fn sub(&mut self, i: usize) {
        sub_assign(&mut self.sum, &self.input[i]);
    }
    #[inline(always)]
    fn emit(&mut self, o: usize, count: f32) {
        self.output[o] = self.sum.map(|s| s / count);
    }
}

/// Box filter along rows, one row per lane, dividing only at the sampled
/// columns: outputs between samples are never read.
struct SampledRowLanes<'a> {
    input: &'a [Lanes],
    samples: &'a [usize; OUT],
    output: &'a mut [Lanes; OUT],
    next: usize,
    sum: Lanes,
}

impl Accumulator for SampledRowLanes<'_> {
    #[inline(always)]
    fn add(&mut self, i: usize) {
        add_assign(&mut self.sum, &self.input[i]);
    }
    #[inline(always)]
    fn sub(&mut self, i: usize) {
        sub_assign(&mut self.sum, &self.input[i]);
    }
    #[inline(always)]
    fn emit(&mut self, o: usize, count: f32) {
        // Sample positions are non-decreasing and may repeat for images
        // narrower than 64 pixels.
        while self.next < OUT && self.samples[self.next] == o {
            self.output[self.next] = self.sum.map(|s| s / count);
            self.next += 1;
        }
    }
}

/// Box filter along columns over a row-major `rows x width` plane: all
/// columns at once, so each step is a vector operation across a row.
struct Columns<'a, F: FnMut(usize, &[f32], f32)> {
    input: &'a [f32],
    width: usize,
    sum: &'a mut [f32],
    emit: F,
}

impl<F: FnMut(usize, &[f32], f32)> Accumulator for Columns<'_, F> {
    #[inline(always)]
    fn add(&mut self, i: usize) {
        add_assign(self.sum, &self.input[i * self.width..(i + 1) * self.width]);
    }
    #[inline(always)]
    fn sub(&mut self, i: usize) {
        sub_assign(self.sum, &self.input[i * self.width..(i + 1) * self.width]);
    }
    #[inline(always)]
    fn emit(&mut self, o: usize, count: f32) {
        (self.emit)(o, self.sum, count);
    }
}

/// Reusable buffers for [`downscale`], so hashing many images allocates once.
#[derive(Default)]
pub(crate) struct Buffers {
    /// The full-resolution plane after the first row pass.
    plane: Vec<f32>,
    /// Lane-interleaved input and output of one block of rows.
    lanes_in: Vec<Lanes>,
    lanes_out: Vec<Lanes>,
    /// Running column sums across the full width.
    column_sums: Vec<f32>,
    /// Rows of the first column pass waiting for the second row pass.
    pending: Vec<f32>,
    /// The second row pass at the 64 sampled columns, for every row.
    sampled: Vec<[f32; OUT]>,
}

/// Blurs and decimates an image to 64x64 exactly as the reference's
/// `jaroszFilterFloat` (two passes) and `decimateFloat` do.
///
/// `fill_row_block(first_row, lanes)` writes the luma of up to [`LANES`]
/// rows starting at `first_row`, lane `l` holding row `first_row + l`; lanes
/// past the last row may hold anything.
pub(crate) fn downscale(
    buffers: &mut Buffers,
    width: usize,
    height: usize,
    mut fill_row_block: impl FnMut(usize, &mut [Lanes]),
) -> [[f32; OUT]; OUT] {
    let row_phases = BoxPhases::new(width, window_size(width, OUT));
    let column_phases = BoxPhases::new(height, window_size(height, OUT));
    let sample_cols = sample_positions(width);
    let sample_rows = sample_positions(height);

    let Buffers {
        plane,
        lanes_in,
        lanes_out,
        column_sums,
        pending,
        sampled,
    } = buffers;
    // Every element of these is written before it is read (the column sums
    // below are the exception), so the buffers are only sized, not zeroed:
    // zeroing the full-resolution plane cost a tenth of the time.
    plane.resize(width * height, 0.0);
    lanes_in.resize(width, [0.0; LANES]);
    lanes_out.resize(width, [0.0; LANES]);

    // Pass 1: along rows, every output, straight from the caller's pixels.
    for first in (0..height).step_by(LANES) {
        fill_row_block(first, lanes_in);
        row_phases.run(&mut RowLanes {
            input: lanes_in,
            output: lanes_out,
            sum: [0.0; LANES],
        });
        let rows = LANES.min(height - first);
        for (l, row) in plane[first * width..(first + rows) * width]
            .chunks_exact_mut(width)
            .enumerate()
        {
            for (dst, src) in row.iter_mut().zip(lanes_out.iter()) {
                *dst = src[l];
            }
        }
    }

    // Pass 2 (along columns, every output) streams into pass 3 (along rows,
    // sampled columns only) a block of rows at a time.
    column_sums.clear();
    column_sums.resize(width, 0.0);
    pending.resize(LANES * width, 0.0);
    sampled.resize(height, [0.0; OUT]);
    let mut sampled_block = [[0.0f32; LANES]; OUT];
    let mut second_row_pass = |first: usize, rows: usize, pending: &[f32]| {
        for (j, lanes) in lanes_in.iter_mut().enumerate() {
            for (l, lane) in lanes.iter_mut().enumerate().take(rows) {
                *lane = pending[l * width + j];
            }
        }
        let mut acc = SampledRowLanes {
            input: lanes_in,
            samples: &sample_cols,
            output: &mut sampled_block,
            next: 0,
            sum: [0.0; LANES],
        };
        row_phases.run(&mut acc);
        for (l, row) in sampled[first..first + rows].iter_mut().enumerate() {
            for (dst, src) in row.iter_mut().zip(sampled_block.iter()) {
                *dst = src[l];
            }
        }
    };
    column_phases.run(&mut Columns {
        input: plane,
        width,
        sum: column_sums,
        emit: |o: usize, sum: &[f32], count: f32| {
            let slot = o % LANES;
            for (dst, s) in pending[slot * width..(slot + 1) * width]
                .iter_mut()
                .zip(sum)
            {
                *dst = s / count;
            }
            if slot == LANES - 1 || o == height - 1 {
                let first = o - slot;
                second_row_pass(first, slot + 1, pending);
            }
        },
    });

    // Pass 4: along the 64 sampled columns, dividing only at sampled rows.
    let mut output = [[0.0f32; OUT]; OUT];
    let mut sums = [0.0f32; OUT];
    let mut next_row = 0;
    let mut acc = SampledColumns {
        input: sampled,
        sum: &mut sums,
        samples: &sample_rows,
        output: &mut output,
        next: &mut next_row,
    };
    column_phases.run(&mut acc);
    output
}

/// Box filter down the 64 sampled columns, dividing only at sampled rows.
struct SampledColumns<'a> {
    input: &'a [[f32; OUT]],
    sum: &'a mut [f32; OUT],
    samples: &'a [usize; OUT],
    output: &'a mut [[f32; OUT]; OUT],
    next: &'a mut usize,
}

impl Accumulator for SampledColumns<'_> {
    #[inline(always)]
    fn add(&mut self, i: usize) {
        add_assign(self.sum, &self.input[i]);
    }
    #[inline(always)]
    fn sub(&mut self, i: usize) {
        sub_assign(self.sum, &self.input[i]);
    }
    #[inline(always)]
    fn emit(&mut self, o: usize, count: f32) {
        while *self.next < OUT && self.samples[*self.next] == o {
            for (dst, s) in self.output[*self.next].iter_mut().zip(self.sum.iter()) {
                *dst = s / count;
            }
            *self.next += 1;
        }
    }
}
