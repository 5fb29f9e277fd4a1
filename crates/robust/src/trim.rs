//! Finding the content of a picture inside borders, bars, captions and
//! frames, one edge line at a time.

use crate::picture::{Picture, Rect};

/// When an edge line counts as background.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineRule {
    /// Least share of the line's pixels near its dominant colour.
    pub share: f64,
    /// Largest difference in any channel from the dominant colour.
    pub tolerance: u8,
}

/// A strict rule: uniform or near-uniform lines (borders, letterbox and
/// pillarbox bars, with noise or compression ringing).
pub(crate) const UNIFORM: LineRule = LineRule {
    share: 0.95,
    tolerance: 20,
};

/// The dominant colour of `pixels` (the mean of the fullest cell of a
/// coarse colour histogram) and the share of them within `tolerance` of it.
fn dominant(pixels: &[[u8; 3]], tolerance: u8) -> ([u8; 3], f64) {
    let mut counts = [0u32; 512];
    let cell = |p: &[u8; 3]| {
        usize::from(p[0] >> 5) << 6 | usize::from(p[1] >> 5) << 3 | usize::from(p[2] >> 5)
    };
    for p in pixels {
        counts[cell(p)] += 1;
    }
    let Some((fullest, _)) = counts.iter().enumerate().max_by_key(|(_, &n)| n) else {
        return ([0; 3], 0.0);
    };
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for p in pixels.iter().filter(|p| cell(p) == fullest) {
        for c in 0..3 {
            sum[c] += u64::from(p[c]);
        }
        n += 1;
    }
    if n == 0 {
        return ([0; 3], 0.0);
    }
    let mean: [u8; 3] = std::array::from_fn(|c| (sum[c] / n) as u8);
    let near = pixels
        .iter()
        .filter(|p| (0..3).all(|c| p[c].abs_diff(mean[c]) <= tolerance))
        .count();
    (mean, near as f64 / pixels.len() as f64)
}

pub(crate) fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    (0..3).all(|c| a[c].abs_diff(b[c]) <= tolerance)
}

#[derive(Clone, Copy)]
enum Edge {
    Top,
    Bottom,
    Left,
    Right,
}

/// The pixels of the box's line on `edge`, into `line`.
fn edge_line(picture: &Picture, rect: Rect, edge: Edge, line: &mut Vec<[u8; 3]>) {
    line.clear();
    match edge {
        Edge::Top | Edge::Bottom => {
            let y = match edge {
                Edge::Top => rect.y,
                _ => rect.y + rect.height - 1,
            };
            line.extend((rect.x..rect.x + rect.width).map(|x| picture.pixel(x, y)));
        }
        Edge::Left | Edge::Right => {
            let x = match edge {
                Edge::Left => rect.x,
                _ => rect.x + rect.width - 1,
            };
            line.extend((rect.y..rect.y + rect.height).map(|y| picture.pixel(x, y)));
        }
    }
}

/// The box left once background lines are taken off every edge, again and
/// again until none is left; each edge's lines are the colour of its first
/// (a border of one colour; frames of several are [`innermost_frame`]'s).
/// Borders and bars come in pairs: a side is only trimmed with its opposite
/// side, in a colour near the same, since a band on one side alone (or
/// bands of two colours) is far more often the picture's own, as a flag's
/// stripes are. `None` when that would leave less than `least_percent` of a
/// side: the picture is mostly background itself, and its remainder says
/// little.
pub(crate) fn content_box(picture: &Picture, rule: LineRule, least_percent: usize) -> Option<Rect> {
    let mut allowed = [true; 4];
    loop {
        let (rect, border, exhausted) = trim_edges(picture, rule, least_percent, allowed);
        // Mostly background, even if on one side only: the rule the
        // benchmark measured (see the README).
        if exhausted {
            return None;
        }
        let mut again = false;
        for (a, b) in [(0, 1), (2, 3)] {
            let paired = match (border[a], border[b]) {
                (None, None) => true,
                (Some(x), Some(y)) => near(x, y, rule.tolerance),
                _ => false,
            };
            if !paired {
                allowed[a] = false;
                allowed[b] = false;
                again = true;
            }
        }
        if !again {
            return Some(rect);
        }
    }
}

/// Background lines taken off the `allowed` edges (top, bottom, left,
/// right), the colour each edge lost, if any, and whether some edge ran
/// into `least_percent` of its side (the picture is mostly background).
fn trim_edges(
    picture: &Picture,
    rule: LineRule,
    least_percent: usize,
    allowed: [bool; 4],
) -> (Rect, [Option<[u8; 3]>; 4], bool) {
    let least_width = (picture.width() * least_percent).div_ceil(100).max(1);
    let least_height = (picture.height() * least_percent).div_ceil(100).max(1);
    let mut rect = picture.bounds();
    let mut line = Vec::new();
    let mut border: [Option<[u8; 3]>; 4] = [None; 4];
    let mut exhausted = false;
    loop {
        let before = rect;
        for (e, edge) in [Edge::Top, Edge::Bottom, Edge::Left, Edge::Right]
            .into_iter()
            .enumerate()
            .filter(|&(e, _)| allowed[e])
        {
            loop {
                let vertical = matches!(edge, Edge::Left | Edge::Right);
                let room = if vertical {
                    rect.width > least_width
                } else {
                    rect.height > least_height
                };
                edge_line(picture, rect, edge, &mut line);
                let (colour, share) = dominant(&line, rule.tolerance);
                // Every line taken off one edge is the colour of the first:
                // a border ends where the picture begins, even if the
                // picture's own edge is uniform too.
                let background = share >= rule.share
                    && border[e].is_none_or(|b| near(b, colour, rule.tolerance));
                if !background {
                    break;
                }
                border[e].get_or_insert(colour);
                if !room {
                    exhausted = true;
                    break;
                }
                take_line(&mut rect, edge);
            }
        }
        if rect == before {
            return (rect, border, exhausted);
        }
    }
}

/// `rect` without its line on `edge`.
fn take_line(rect: &mut Rect, edge: Edge) {
    match edge {
        Edge::Top => {
            rect.y += 1;
            rect.height -= 1;
        }
        Edge::Bottom => rect.height -= 1,
        Edge::Left => {
            rect.x += 1;
            rect.width -= 1;
        }
        Edge::Right => rect.width -= 1,
    }
}

/// Luma steps larger than this between neighbouring pixels are edges.
const EDGE_STEP: i32 = 20;
/// Gaps in an edge run up to this long are bridged (where the frame's
/// colour happens to meet the picture's).
const EDGE_GAP: usize = 1;
/// An edge line must run along at least this share of the box side.
const EDGE_COVER: f64 = 0.75;
/// Edge lines kept as candidates in each direction, longest first.
const CANDIDATES: usize = 12;

fn luma(p: [u8; 3]) -> i32 {
    (299 * i32::from(p[0]) + 587 * i32::from(p[1]) + 114 * i32::from(p[2])) / 1000
}

/// Luma differences along a line up to this are flat.
const FLAT_STEP: i32 = 8;

/// Marks of the boundaries between neighbouring lines (rows when `rows`,
/// else columns): `marks[k][i]` says whether the picture changes between
/// line `k - 1` and line `k` at position `i` while the line outside (`k - 1`
/// when `outside_before`, else `k`) is flat there, as a frame, a margin or
/// a caption's paper is. Inside a textured picture the outside is not
/// flat, so its own edges do not pass for frames.
fn boundary_marks(picture: &Picture, rows: bool, outside_before: bool) -> Vec<Vec<bool>> {
    let (lines, len) = if rows {
        (picture.height(), picture.width())
    } else {
        (picture.width(), picture.height())
    };
    let at = |k: usize, i: usize| {
        if rows {
            luma(picture.pixel(i, k))
        } else {
            luma(picture.pixel(k, i))
        }
    };
    (0..=lines)
        .map(|k| {
            if k == 0 || k == lines {
                // The canvas edges are edges everywhere.
                return vec![true; len];
            }
            let outside = if outside_before { k - 1 } else { k };
            (0..len)
                .map(|i| {
                    let o = at(outside, i);
                    let flat = (i == 0 || (o - at(outside, i - 1)).abs() <= FLAT_STEP)
                        && (i + 1 == len || (o - at(outside, i + 1)).abs() <= FLAT_STEP);
                    flat && (at(k, i) - at(k - 1, i)).abs() > EDGE_STEP
                })
                .collect()
        })
        .collect()
}

/// The longest run of marks, gaps bridged: its length.
fn longest_run(marks: &[bool]) -> usize {
    let (mut best, mut start, mut gap) = (0, None::<usize>, 0);
    for (i, &m) in marks.iter().enumerate() {
        if m {
            let s = *start.get_or_insert(i);
            gap = 0;
            best = best.max(i + 1 - s);
        } else if start.is_some() {
            gap += 1;
            if gap > EDGE_GAP {
                start = None;
            }
        }
    }
    best
}

/// The share of `marks[from..to]` set, gaps bridged.
fn cover(marks: &[bool], from: usize, to: usize) -> f64 {
    let span = &marks[from..to];
    let mut covered = 0;
    let mut gap = 0;
    for &m in span {
        if m {
            covered += 1 + gap.min(EDGE_GAP);
            gap = 0;
        } else {
            gap += 1;
        }
    }
    covered as f64 / span.len().max(1) as f64
}

/// Candidate edge lines: the canvas edges and the lines with the longest
/// edge runs (at least `least` long).
fn candidates(marks: &[Vec<bool>], least: usize) -> Vec<usize> {
    let last = marks.len() - 1;
    let mut runs: Vec<(usize, usize)> = (1..last)
        .map(|k| (longest_run(&marks[k]), k))
        .filter(|&(run, _)| run >= least)
        .collect();
    runs.sort_unstable_by(|a, b| b.cmp(a));
    let mut lines: Vec<usize> = runs.into_iter().take(CANDIDATES).map(|(_, k)| k).collect();
    lines.extend([0, last]);
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// The largest box, other than the whole picture, whose four sides are
/// edges (or the canvas edges) along most of their length: a picture shown
/// inside a screenshot, a window or above a caption. `None` when there is
/// none of at least `least_percent` of each side.
pub(crate) fn framed_box(picture: &Picture, least_percent: usize) -> Option<Rect> {
    let (w, h) = (picture.width(), picture.height());
    let least_w = (w * least_percent).div_ceil(100);
    let least_h = (h * least_percent).div_ceil(100);
    let tops = boundary_marks(picture, true, true);
    let bottoms = boundary_marks(picture, true, false);
    let lefts = boundary_marks(picture, false, true);
    let rights = boundary_marks(picture, false, false);
    let top_lines = candidates(&tops, least_w);
    let bottom_lines = candidates(&bottoms, least_w);
    let left_lines = candidates(&lefts, least_h);
    let right_lines = candidates(&rights, least_h);
    let bands = canvas_bands(picture);
    // Large boxes, and boxes with more sides that are real edges rather
    // than the canvas's: a window before a box the canvas closes, but the
    // picture under a caption before the block of text in the caption.
    let mut best: Option<(usize, Rect)> = None;
    for &y0 in &top_lines {
        for &y1 in bottom_lines.iter().filter(|&&y1| y1 >= y0 + least_h) {
            for &x0 in &left_lines {
                for &x1 in right_lines.iter().filter(|&&x1| x1 >= x0 + least_w) {
                    // Background the canvas closes a box with (the empty
                    // screen under a phone's picture) is not content.
                    // Where the bands from both sides would overlap (a
                    // picture of uniform lines), the box keeps its whole
                    // span: the rule the benchmark measured.
                    let band = |closed: bool, k: usize| if closed { bands[k] } else { 0 };
                    let content =
                        |span: usize, bands: usize| span.checked_sub(bands).unwrap_or(span);
                    let height = content(y1 - y0, band(y0 == 0, 0) + band(y1 == h, 1));
                    let width = content(x1 - x0, band(x0 == 0, 2) + band(x1 == w, 3));
                    let area = height * width;
                    let real = usize::from(y0 > 0)
                        + usize::from(y1 < h)
                        + usize::from(x0 > 0)
                        + usize::from(x1 < w);
                    let score = area * (1 + real);
                    if (y1 - y0) * (x1 - x0) == w * h || best.is_some_and(|(b, _)| b >= score) {
                        continue;
                    }
                    let framed = cover(&tops[y0], x0, x1) >= EDGE_COVER
                        && cover(&bottoms[y1], x0, x1) >= EDGE_COVER
                        && cover(&lefts[x0], y0, y1) >= EDGE_COVER
                        && cover(&rights[x1], y0, y1) >= EDGE_COVER;
                    if framed {
                        let rect = Rect {
                            x: x0,
                            y: y0,
                            width: x1 - x0,
                            height: y1 - y0,
                        };
                        best = Some((score, rect));
                    }
                }
            }
        }
    }
    best.map(|(_, rect)| rect)
}

/// How deep background runs in from each canvas edge (top, bottom, left,
/// right): whole lines in the colour of the edge's first.
fn canvas_bands(picture: &Picture) -> [usize; 4] {
    let bounds = picture.bounds();
    let mut line = Vec::new();
    let mut bands = [0; 4];
    for (e, edge) in [Edge::Top, Edge::Bottom, Edge::Left, Edge::Right]
        .into_iter()
        .enumerate()
    {
        let mut rect = bounds;
        let mut first = None;
        while rect.width > 0 && rect.height > 0 {
            edge_line(picture, rect, edge, &mut line);
            let (colour, share) = dominant(&line, UNIFORM.tolerance);
            if share < UNIFORM.share || !first.is_none_or(|f| near(f, colour, UNIFORM.tolerance)) {
                break;
            }
            first.get_or_insert(colour);
            bands[e] += 1;
            take_line(&mut rect, edge);
        }
    }
    bands
}

/// Framed boxes inside framed boxes (a picture in a window on a desktop),
/// down to the innermost; `None` when there is no frame at all. Sizes are
/// shares of the whole picture.
pub(crate) fn innermost_frame(picture: &Picture, least_percent: usize) -> Option<Rect> {
    let mut found: Option<Rect> = None;
    for _ in 0..8 {
        let outer = found.unwrap_or(picture.bounds());
        let inside = picture.crop(outer);
        // The least share of the whole, as a share of this box.
        let least = least_percent * picture.width().min(picture.height())
            / outer.width.min(outer.height).max(1);
        let Some(rect) = framed_box(&inside, least.clamp(1, 100)) else {
            break;
        };
        found = Some(Rect {
            x: outer.x + rect.x,
            y: outer.y + rect.y,
            ..rect
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::textured;

    #[test]
    fn a_border_is_trimmed_to_the_picture_inside() {
        let inner = textured(60, 40);
        let mut framed = Picture::filled(80, 70, [0, 0, 0]);
        framed.paste(&inner, 7, 11);
        let rect = content_box(&framed, UNIFORM, 30).expect("content left");
        assert_eq!(
            rect,
            Rect {
                x: 7,
                y: 11,
                width: 60,
                height: 40
            }
        );
        assert_eq!(framed.crop(rect), inner);
    }

    #[test]
    fn a_picture_under_a_caption_is_framed() {
        let inner = textured(60, 40);
        let mut captioned = Picture::filled(60, 52, [255, 255, 255]);
        captioned.paste(&inner, 0, 12);
        // "Text": dark marks on a third of the banner's middle rows.
        for y in 3..9 {
            for x in (2..58).step_by(3) {
                captioned.set_pixel(x, y, [10, 10, 10]);
            }
        }
        let strict = content_box(&captioned, UNIFORM, 30).expect("content left");
        assert_eq!(strict, captioned.bounds(), "a band on one side stays");
        let framed = innermost_frame(&captioned, 30).expect("a frame");
        assert_eq!((framed.y, framed.height, framed.width), (12, 40, 60));
    }

    #[test]
    fn a_picture_inside_a_window_is_framed() {
        // A bright picture on a dark gradient desktop.
        let rgb = (0..60 * 40)
            .flat_map(|i| {
                let v = (120 + (i % 60 * 7 + i / 60 * 13) % 120) as u8;
                [v, v / 2 + 100, 255 - v / 3]
            })
            .collect();
        let inner = Picture::from_rgb(60, 40, rgb).expect("sizes agree");
        let mut screen = Picture::filled(120, 100, [0, 0, 0]);
        for y in 0..100 {
            screen.fill(
                Rect {
                    x: 0,
                    y,
                    width: 120,
                    height: 1,
                },
                [y as u8 * 2, 90, 200],
            );
        }
        screen.paste(&inner, 31, 37);
        assert_eq!(
            framed_box(&screen, 30),
            Some(Rect {
                x: 31,
                y: 37,
                width: 60,
                height: 40
            })
        );
        assert_eq!(framed_box(&Picture::filled(50, 50, [9, 9, 9]), 30), None);
    }

    #[test]
    fn a_picture_across_a_phone_screen_is_framed_without_the_empty_screen() {
        // A picture the width of the screen near its top, a line of
        // "text" under it and empty black screen below: the box the canvas
        // closes round the picture and the empty screen is larger, but the
        // empty screen is not content.
        let inner = textured(60, 40);
        let mut screen = Picture::filled(60, 160, [0, 0, 0]);
        screen.paste(&inner, 0, 20);
        for x in (4..50).step_by(4) {
            screen.fill(
                Rect {
                    x,
                    y: 66,
                    width: 2,
                    height: 4,
                },
                [230, 230, 230],
            );
        }
        assert_eq!(
            framed_box(&screen, 12),
            Some(Rect {
                x: 0,
                y: 20,
                width: 60,
                height: 40
            })
        );
        // A picture of uniform lines has no box, and no panic.
        assert_eq!(
            framed_box(&Picture::filled(40, 30, [200, 10, 10]), 12),
            None
        );
    }

    #[test]
    fn a_border_colour_ends_where_the_picture_begins() {
        // A picture whose own top rows are uniform, in a border of another
        // colour: only the border goes.
        let mut inner = textured(60, 40);
        inner.fill(
            Rect {
                x: 0,
                y: 0,
                width: 60,
                height: 5,
            },
            [200, 200, 200],
        );
        let mut framed = Picture::filled(80, 60, [0, 0, 0]);
        framed.paste(&inner, 10, 10);
        let rect = content_box(&framed, UNIFORM, 30).expect("content left");
        assert_eq!((rect.y, rect.height), (10, 40));
    }

    #[test]
    fn bands_on_one_side_or_of_two_colours_are_the_pictures_own() {
        // Three stripes, as a flag: the outer two are not a pillarbox.
        let mut flag = Picture::filled(90, 60, [0, 150, 60]);
        flag.paste(&textured(30, 60), 30, 0);
        flag.fill(
            Rect {
                x: 60,
                y: 0,
                width: 30,
                height: 60,
            },
            [200, 20, 30],
        );
        assert_eq!(content_box(&flag, UNIFORM, 30), Some(flag.bounds()));
        // A black bar at the bottom only stays; bars at the top and the
        // bottom go.
        let mut one = Picture::filled(60, 50, [0, 0, 0]);
        one.paste(&textured(60, 40), 0, 0);
        assert_eq!(content_box(&one, UNIFORM, 30), Some(one.bounds()));
        let mut two = Picture::filled(60, 50, [0, 0, 0]);
        two.paste(&textured(60, 40), 0, 5);
        let rect = content_box(&two, UNIFORM, 30).expect("content left");
        assert_eq!((rect.y, rect.height), (5, 40));
    }

    #[test]
    fn a_flat_picture_has_no_content_box() {
        assert_eq!(
            content_box(&Picture::filled(50, 50, [9, 9, 9]), UNIFORM, 30),
            None
        );
    }
}
