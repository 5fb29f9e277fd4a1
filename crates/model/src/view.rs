//! The names of the ways hashwatch-robust looks at a picture: a query's
//! views and a bank's derived hashes are stored and exchanged under these
//! names (`trim`, `crop90l`, `turn+4`, …). How each view is cut is
//! `hashwatch-robust`'s; this is only the vocabulary, so that the formats
//! and feeds that carry the names need no image processing.

use std::fmt;
use std::str::FromStr;

/// One way of looking at a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    /// Uniform and near-uniform borders, letterbox and pillarbox bars
    /// trimmed.
    Trim,
    /// The innermost box framed by straight edges against flat
    /// surroundings: the picture inside a screenshot, a window, a caption
    /// banner or a frame.
    Content,
    /// The centred crop keeping this percentage of each side.
    Crop(u8),
    /// The part keeping this percentage of the picture from one side or
    /// corner: of the width (or height) alone for a side, of both for a
    /// corner.
    Part(u8, Anchor),
    /// A turn of about this many degrees (anticlockwise when positive)
    /// undone, and the canvas it left trimmed. The angle is measured from
    /// the corners the turn filled.
    Turn(i8),
    /// Bank side: the picture turned this many degrees and enlarged to
    /// fill its frame, as editors straighten a picture. No corner is left
    /// to measure such a turn by, so the bank keeps the turned picture.
    Fill(i8),
}

impl View {
    /// The view's name: `trim`, `content`, `crop90`, `crop90l`, `turn+4`,
    /// `fill-3`.
    pub fn name(&self) -> String {
        match self {
            View::Trim => "trim".to_string(),
            View::Content => "content".to_string(),
            View::Crop(p) => format!("crop{p}"),
            View::Part(p, anchor) => format!("crop{p}{}", anchor.name()),
            View::Turn(d) => format!("turn{d:+}"),
            View::Fill(d) => format!("fill{d:+}"),
        }
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The side or corner a [`View::Part`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Anchor {
    /// The left part.
    Left,
    /// The right part.
    Right,
    /// The top part.
    Top,
    /// The bottom part.
    Bottom,
    /// The top left part.
    TopLeft,
    /// The top right part.
    TopRight,
    /// The bottom left part.
    BottomLeft,
    /// The bottom right part.
    BottomRight,
}

impl Anchor {
    /// Every anchor.
    pub const ALL: [Anchor; 8] = [
        Anchor::Left,
        Anchor::Right,
        Anchor::Top,
        Anchor::Bottom,
        Anchor::TopLeft,
        Anchor::TopRight,
        Anchor::BottomLeft,
        Anchor::BottomRight,
    ];
    /// The four sides.
    pub const SIDES: [Anchor; 4] = [Anchor::Left, Anchor::Right, Anchor::Top, Anchor::Bottom];
    /// The four corners.
    pub const CORNERS: [Anchor; 4] = [
        Anchor::TopLeft,
        Anchor::TopRight,
        Anchor::BottomLeft,
        Anchor::BottomRight,
    ];

    /// The short name in a view's name: `l`, `r`, `t`, `b`, `tl`, `tr`,
    /// `bl`, `br`.
    pub fn name(&self) -> &'static str {
        match self {
            Anchor::Left => "l",
            Anchor::Right => "r",
            Anchor::Top => "t",
            Anchor::Bottom => "b",
            Anchor::TopLeft => "tl",
            Anchor::TopRight => "tr",
            Anchor::BottomLeft => "bl",
            Anchor::BottomRight => "br",
        }
    }
}

/// A name that is not a view's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownView(pub String);

impl fmt::Display for UnknownView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown view {:?} (trim, content, cropNN with NN 50-99 and an optional l, r, t, b, tl, tr, bl or br, turn±D or fill±D with D 1-20)",
            self.0
        )
    }
}

impl std::error::Error for UnknownView {}

impl FromStr for View {
    type Err = UnknownView;
    fn from_str(s: &str) -> Result<View, UnknownView> {
        let unknown = || UnknownView(s.to_string());
        match s {
            "trim" => return Ok(View::Trim),
            "content" => return Ok(View::Content),
            _ => {}
        }
        if let Some(rest) = s.strip_prefix("crop") {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (p, anchor) = rest.split_at(digits);
            let p: u8 = p.parse().map_err(|_| unknown())?;
            if !(50..=99).contains(&p) {
                return Err(unknown());
            }
            if anchor.is_empty() {
                return Ok(View::Crop(p));
            }
            let anchor = Anchor::ALL
                .into_iter()
                .find(|a| a.name() == anchor)
                .ok_or_else(unknown)?;
            return Ok(View::Part(p, anchor));
        }
        for (prefix, view) in [("turn", View::Turn as fn(i8) -> View), ("fill", View::Fill)] {
            if let Some(d) = s.strip_prefix(prefix) {
                if !d.starts_with(['+', '-']) {
                    return Err(unknown());
                }
                let d: i8 = d.parse().map_err(|_| unknown())?;
                return (1..=20)
                    .contains(&d.unsigned_abs())
                    .then_some(view(d))
                    .ok_or_else(unknown);
            }
        }
        Err(unknown())
    }
}
