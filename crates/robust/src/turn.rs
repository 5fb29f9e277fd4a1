//! Undoing a small turn whose canvas was enlarged to hold it: the four
//! corners are then one fill colour, and where the turned picture touches
//! the edges gives the angle.

use crate::picture::Picture;
use crate::trim::{self, near};
use crate::View;

/// Turns larger than this are not looked for (a quarter turn is the
/// dihedral hashes' work).
const LARGEST_DEGREES: f64 = 20.0;
/// Turns smaller than this change PDQ too little to need undoing.
const SMALLEST_DEGREES: f64 = 0.75;
/// A pixel this far from the fill colour in some channel is picture.
const FILL_TOLERANCE: u8 = 40;

/// The colour of all four corners, if they share one.
fn fill_colour(picture: &Picture) -> Option<[u8; 3]> {
    let (w, h) = (picture.width(), picture.height());
    if w < 16 || h < 16 {
        return None;
    }
    let corners = [
        picture.pixel(1, 1),
        picture.pixel(w - 2, 1),
        picture.pixel(1, h - 2),
        picture.pixel(w - 2, h - 2),
    ];
    corners
        .iter()
        .all(|c| near(*c, corners[0], 24))
        .then_some(corners[0])
}

/// The first and last of the picture's pixels along a line of the canvas
/// (a row when `row`, else a column), if they are a short run: where a
/// corner of the turned picture touches that edge. The corner is at the
/// run's end away from the long side leaving it.
fn touch(picture: &Picture, fill: [u8; 3], row: bool, index: usize) -> Option<(f64, f64)> {
    let len = if row {
        picture.width()
    } else {
        picture.height()
    };
    let pixel = |k: usize| {
        if row {
            picture.pixel(k, index)
        } else {
            picture.pixel(index, k)
        }
    };
    let inside: Vec<usize> = (0..len)
        .filter(|&k| !near(pixel(k), fill, FILL_TOLERANCE))
        .collect();
    let (first, last) = (*inside.first()?, *inside.last()?);
    (last - first <= len / 5).then_some((first as f64, last as f64 + 1.0))
}

/// The working size for undoing a turn: finer than for finding boxes, as
/// resampling twice blurs.
const TURN_SIDE: usize = 1024;

/// The picture with a small turn undone and the fill trimmed, if its
/// corners show one. `working`, a smaller copy of `picture`, rules out
/// pictures without filled corners cheaply; the angle is measured on the
/// finer copy that is turned back, as a tenth of a degree off costs PDQ
/// bits.
pub(crate) fn undo(picture: &Picture, working: &Picture) -> Option<(View, Picture)> {
    measure(working)?;
    let fine = picture.shrink_to(TURN_SIDE);
    let (degrees, fill) = measure(&fine)?;
    let (w, h) = (fine.width(), fine.height());
    let upright = fine.rotate(-degrees, w, h, fill);
    let rect = trim::content_box(&upright, trim::UNIFORM, crate::LEAST_PERCENT)?;
    Some((View::Turn(degrees.round() as i8), upright.crop(rect)))
}

/// The angle of a small turn (anticlockwise when positive) and the colour
/// that filled its corners, if the picture shows one.
fn measure(picture: &Picture) -> Option<(f64, [u8; 3])> {
    let fill = fill_colour(picture)?;
    let w = picture.width();
    // One line in from the edge, past the resampling's soft edge.
    // Anticlockwise, the top right corner touches the top edge (the top
    // side runs left from it) and the top left corner the left edge (the
    // left side runs down from it); clockwise, the mirror image.
    let (top_first, top_last) = touch(picture, fill, true, 1)?;
    let anticlockwise = top_first + top_last > w as f64;
    let (along, side) = if anticlockwise {
        (top_last, touch(picture, fill, false, 1)?.0)
    } else {
        (w as f64 - top_first, touch(picture, fill, false, w - 2)?.0)
    };
    let degrees = (side / along).atan().to_degrees();
    if !(SMALLEST_DEGREES..=LARGEST_DEGREES).contains(&degrees) {
        return None;
    }
    Some((if anticlockwise { degrees } else { -degrees }, fill))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::textured;
    use crate::Rect;

    #[test]
    fn the_angle_of_an_enlarged_turn_is_measured_and_undone() {
        let picture = textured(300, 200);
        for degrees in [5.0, -3.0, 8.0, -12.0] {
            for fill in [[0, 0, 0], [255, 255, 255]] {
                let (w, h) = picture.rotated_size(degrees);
                let turned = picture.rotate(degrees, w, h, fill);
                let (view, upright) = undo(&turned, &turned).expect("a turn is found");
                assert_eq!(view, View::Turn(degrees.round() as i8), "{degrees}");
                let (uw, uh) = (upright.width() as i64, upright.height() as i64);
                assert!(
                    (uw - 300).abs() <= 4 && (uh - 200).abs() <= 4,
                    "{degrees}: {uw}x{uh}"
                );
            }
        }
    }

    #[test]
    fn pictures_without_filled_corners_have_no_turn() {
        let plain = textured(300, 200);
        assert!(undo(&plain, &plain).is_none());
        let mut bordered = Picture::filled(340, 240, [0, 0, 0]);
        bordered.paste(&textured(300, 200), 20, 20);
        assert!(undo(&bordered, &bordered).is_none());
        let mut flat = Picture::filled(100, 100, [9, 9, 9]);
        flat.fill(
            Rect {
                x: 0,
                y: 0,
                width: 100,
                height: 2,
            },
            [200, 0, 0],
        );
        assert!(undo(&flat, &flat).is_none());
    }
}
