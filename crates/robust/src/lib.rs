//! Views of an image, each hashed with exact PDQ, to find edited copies of
//! known pictures that PDQ alone misses.
//!
//! Re-posted copies are often bordered, letterboxed, captioned, cropped,
//! turned a little or shown inside a screenshot. PDQ changes a lot under
//! each of these, but the picture inside is still there. A [`ViewHasher`]
//! finds it and hashes it with the same PDQ as everything else, so banks
//! stay PDQ and exchangeable:
//!
//! - on the query side, [`ViewHasher::query_views`]: the picture with
//!   uniform borders and bars trimmed in pairs ([`View::Trim`]), the
//!   content region inside captions, title bars, screenshots and frames
//!   ([`View::Content`]), centred crops ([`View::Crop`]) and small turns
//!   undone ([`View::Turn`]); the same for each hashed frame of a video
//!   ([`FrameViews`]);
//! - on the bank side, [`ViewHasher::derived`]: extra hashes of a known
//!   picture (its centred crops, side and corner parts, its own trimmed
//!   content, and the picture turned a little and enlarged to fill its
//!   frame, [`View::Fill`]), kept beside its hash and marked as derived.
//!
//! A match of a view is only as good as the view, so matchers give views a
//! tighter threshold than the plain hash ([`DEFAULT_VIEW_THRESHOLD`]), and
//! a view against a derived hash tighter still ([`pair_radius`]); the
//! benchmark in `benches/robust` measures both recall and false matches.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod picture;
mod trim;
mod turn;

use hashwatch_model::QUALITY_FLOOR;
use hashwatch_pdq::{Hash256, Hasher, Image};

pub use crate::picture::{Picture, Rect};

/// The largest distance at which a view matches. Views are extra chances
/// for an unrelated picture to match, so they get less room than the
/// plain hash's 31; the benchmark chose it (false matches no more than
/// plain PDQ's on 10,000 × 10,000 unrelated images).
pub const DEFAULT_VIEW_THRESHOLD: u32 = 20;

/// Views smaller than this share of each side of the picture are not
/// taken: what is left says too little.
const LEAST_PERCENT: usize = 30;

/// A picture inside a screenshot or a window may be smaller: this share of
/// each side of the whole.
const LEAST_FRAMED_PERCENT: usize = 12;

/// Views are cut from a copy at most this large: PDQ reduces every picture
/// to 64 × 64 anyway, and a dozen full-size crops of a 100-megapixel
/// picture would take gigabytes.
const VIEW_SIDE: usize = 1024;

/// The working size for finding boxes and turning.
const WORKING_SIDE: usize = 512;

pub use hashwatch_model::view::{Anchor, UnknownView, View};

/// The part of a `width` × `height` picture keeping `percent` from `anchor`'s side or corner.
fn part_of(anchor: Anchor, width: usize, height: usize, percent: u8) -> Rect {
    let keep = |n: usize| (n * usize::from(percent.min(100)) / 100).clamp(1, n.max(1));
    let (kw, kh) = (keep(width), keep(height));
    let (x, y, w, h) = match anchor {
        Anchor::Left => (0, 0, kw, height),
        Anchor::Right => (width - kw, 0, kw, height),
        Anchor::Top => (0, 0, width, kh),
        Anchor::Bottom => (0, height - kh, width, kh),
        Anchor::TopLeft => (0, 0, kw, kh),
        Anchor::TopRight => (width - kw, 0, kw, kh),
        Anchor::BottomLeft => (0, height - kh, kw, kh),
        Anchor::BottomRight => (width - kw, height - kh, kw, kh),
    };
    Rect {
        x,
        y,
        width: w,
        height: h,
    }
}

/// Whether a hash of the query (its own, `None`, or a view) may match a
/// banked hash (the picture's own, `None`, or a derived one) in robust
/// matching. The same view on both sides is left out: two crops or two
/// trims of different pictures lose what told them apart (their margins)
/// and match far more often than either picture does, while an edited
/// copy needs one side's view only (measured in `benches/robust`).
pub fn pairs(query: Option<View>, banked: Option<View>) -> bool {
    match (query, banked) {
        (None, None) => false,
        (Some(_), None) | (None, Some(_)) => true,
        // A crop's trimmed copy, or a turned crop.
        (
            Some(View::Trim | View::Content | View::Turn(_)),
            Some(View::Crop(_) | View::Part(..)),
        ) => true,
        (Some(_), Some(_)) => false,
    }
}

/// Pairs of a query view and a derived hash get this much less room than
/// the view threshold: both sides have lost their margins, and the
/// benchmark's one false match left at the view threshold was such a pair
/// (`benches/robust` sweeps each kind of pair's threshold on its own).
pub const TWO_SIDED_MARGIN: u32 = 4;

/// The largest distance at which a hash of the query (its own, `None`,
/// or a view) matches a banked hash (the picture's own, `None`, or a
/// derived one) in robust matching at `view_radius`; `None` when the two
/// never pair ([`pairs`]).
pub fn pair_radius(query: Option<View>, banked: Option<View>, view_radius: u32) -> Option<u32> {
    if !pairs(query, banked) {
        return None;
    }
    Some(match (query, banked) {
        (Some(_), Some(_)) => view_radius.saturating_sub(TWO_SIDED_MARGIN),
        _ => view_radius,
    })
}

/// A view's PDQ hash and quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewHash {
    /// The view.
    pub view: View,
    /// Its PDQ hash.
    pub hash: Hash256,
    /// Its PDQ quality.
    pub quality: u8,
}

/// The views of one hashed frame of a video.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameViews {
    /// The frame's timestamp, in seconds, as its vPDQ feature gives it.
    pub timestamp: f64,
    /// Its views.
    pub views: Vec<ViewHash>,
}

/// Which views to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewHasher {
    /// Query side: centred crops, by percentage kept.
    pub query_crops: Vec<u8>,
    /// Bank side: centred crops, by percentage kept.
    pub derived_crops: Vec<u8>,
    /// Bank side: parts keeping this percentage from each side.
    pub derived_sides: Vec<u8>,
    /// Bank side: parts keeping this percentage from each corner.
    pub derived_corners: Vec<u8>,
    /// Bank side: also the trimmed picture.
    pub derived_trim: bool,
    /// Bank side: the picture turned by each of these degrees and enlarged
    /// to fill its frame.
    pub derived_fills: Vec<i8>,
}

impl Default for ViewHasher {
    fn default() -> ViewHasher {
        ViewHasher {
            query_crops: Vec::new(),
            derived_crops: vec![90, 80],
            derived_sides: vec![90],
            derived_corners: vec![85],
            derived_trim: true,
            derived_fills: vec![3, -3],
        }
    }
}

fn hash_picture(pdq: &mut Hasher, picture: &Picture) -> Option<(Hash256, u8)> {
    let image = Image::rgb(picture.rgb(), picture.width(), picture.height()).ok()?;
    let hashed = pdq.hash(&image);
    Some((hashed.hash, hashed.quality))
}

/// Boxes already hashed, so that two views of one region are hashed once.
struct Taken(Vec<Rect>);

impl Taken {
    /// Adds `rect` of the picture as `view`, unless that region is taken.
    fn push(
        &mut self,
        picture: &Picture,
        rect: Rect,
        view: View,
        views: &mut Vec<(View, Picture)>,
    ) {
        if !self.0.contains(&rect) {
            self.0.push(rect);
            views.push((view, picture.crop(rect)));
        }
    }
}

impl ViewHasher {
    /// The views of a query picture, without the plain hash. Views that
    /// would be the whole picture, or too small a part of it, are left out.
    pub fn query_views(&self, pdq: &mut Hasher, picture: &Picture) -> Vec<ViewHash> {
        hash_all(pdq, self.query_pictures(picture))
    }

    /// The derived hashes of a known picture: extra hashes a bank keeps
    /// beside its own, marked as derived. Hashes below PDQ's usual quality
    /// floor, and repeats of an earlier one, are left out: they would match
    /// by accident, or stand twice for one picture.
    pub fn derived(&self, pdq: &mut Hasher, picture: &Picture) -> Vec<ViewHash> {
        let mut out: Vec<ViewHash> = Vec::new();
        for view in hash_all(pdq, self.derived_pictures(picture)) {
            if view.quality >= QUALITY_FLOOR && out.iter().all(|v| v.hash != view.hash) {
                out.push(view);
            }
        }
        out
    }

    /// The pictures [`ViewHasher::query_views`] hashes.
    pub fn query_pictures(&self, picture: &Picture) -> Vec<(View, Picture)> {
        let picture = &picture.shrink_to(VIEW_SIDE);
        let working = picture.shrink_to(WORKING_SIDE);
        let mut taken = Taken(vec![picture.bounds()]);
        let mut views = Vec::new();
        let scale = |r: Rect| {
            r.rescale(
                (working.width(), working.height()),
                (picture.width(), picture.height()),
            )
        };
        let trimmed = trim::content_box(&working, trim::UNIFORM, LEAST_PERCENT);
        if let Some(rect) = trimmed {
            taken.push(picture, scale(rect), View::Trim, &mut views);
        }
        if let Some(rect) = trim::innermost_frame(&working, LEAST_FRAMED_PERCENT) {
            taken.push(picture, scale(rect), View::Content, &mut views);
        }
        for &percent in &self.query_crops {
            let rect = Rect::centre(picture.width(), picture.height(), percent.into());
            taken.push(picture, rect, View::Crop(percent), &mut views);
        }
        // Bars around a turned picture go first, so that its corners touch
        // the edges.
        let (unbarred, unbarred_working) = match trimmed {
            Some(r) => (picture.crop(scale(r)), working.crop(r)),
            None => (picture.clone(), working.clone()),
        };
        if let Some(turn) = turn::undo(&unbarred, &unbarred_working) {
            views.push(turn);
        }
        views
    }

    /// The pictures [`ViewHasher::derived`] hashes.
    pub fn derived_pictures(&self, picture: &Picture) -> Vec<(View, Picture)> {
        let picture = &picture.shrink_to(VIEW_SIDE);
        let working = picture.shrink_to(WORKING_SIDE);
        let mut taken = Taken(vec![picture.bounds()]);
        let mut views = Vec::new();
        if self.derived_trim {
            if let Some(rect) = trim::content_box(&working, trim::UNIFORM, LEAST_PERCENT) {
                let rect = rect.rescale(
                    (working.width(), working.height()),
                    (picture.width(), picture.height()),
                );
                taken.push(picture, rect, View::Trim, &mut views);
            }
        }
        for &percent in &self.derived_crops {
            let rect = Rect::centre(picture.width(), picture.height(), percent.into());
            taken.push(picture, rect, View::Crop(percent), &mut views);
        }
        let parts = (self
            .derived_sides
            .iter()
            .flat_map(|&p| Anchor::SIDES.map(|a| (p, a))))
        .chain(
            self.derived_corners
                .iter()
                .flat_map(|&p| Anchor::CORNERS.map(|a| (p, a))),
        );
        for (percent, anchor) in parts {
            let rect = part_of(anchor, picture.width(), picture.height(), percent);
            taken.push(picture, rect, View::Part(percent, anchor), &mut views);
        }
        for &degrees in &self.derived_fills {
            views.push((
                View::Fill(degrees),
                picture.turned_to_fill(f64::from(degrees)),
            ));
        }
        views
    }
}

fn hash_all(pdq: &mut Hasher, pictures: Vec<(View, Picture)>) -> Vec<ViewHash> {
    pictures
        .into_iter()
        .filter_map(|(view, picture)| {
            let (hash, quality) = hash_picture(pdq, &picture)?;
            Some(ViewHash {
                view,
                hash,
                quality,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_names_read_back() {
        for view in [
            View::Trim,
            View::Content,
            View::Crop(90),
            View::Part(85, Anchor::TopLeft),
            View::Part(90, Anchor::Right),
            View::Turn(-6),
            View::Turn(3),
            View::Fill(-3),
            View::Fill(12),
        ] {
            assert_eq!(view.name().parse::<View>(), Ok(view));
        }
        for bad in [
            "", "crop", "crop100", "crop4", "crop90x", "cropl", "turn3", "turn+0", "turn+40",
            "fill3", "fill-0", "Trim",
        ] {
            assert!(bad.parse::<View>().is_err(), "{bad}");
        }
    }
}
