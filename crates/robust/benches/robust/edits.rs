//! The edits re-posted copies go through, written for this benchmark:
//! borders, bars, captions, crops, turns, screenshots and combinations,
//! each followed by JPEG compression as a re-post would be.

use hashwatch_robust::{Picture, Rect};

/// A small deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low).max(1) as u64) as usize
    }

    pub fn colour(&mut self) -> [u8; 3] {
        let v = self.next();
        [v as u8, (v >> 8) as u8, (v >> 16) as u8]
    }

    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Rows of dark or light marks standing for text, inside `rect`.
fn scribble(picture: &mut Picture, rect: Rect, ink: [u8; 3], rng: &mut Rng) {
    let line = (rect.height / 3).clamp(6, 28);
    let glyph = (line * 2 / 3).max(3);
    let mut y = rect.y + line / 3;
    while y + glyph < rect.y + rect.height {
        let mut x = rect.x + glyph;
        let end = rect.x + rect.width * rng.range(55, 95) / 100;
        while x + glyph < end {
            let w = rng.range(glyph / 3 + 1, glyph);
            if rng.range(0, 6) > 0 {
                picture.fill(
                    Rect {
                        x,
                        y: y + rng.range(0, glyph / 4 + 1),
                        width: w.max(1) / 2 + 1,
                        height: glyph - glyph / 4,
                    },
                    ink,
                );
            }
            x += w + 1;
        }
        y += line;
    }
}

fn pad(
    picture: &Picture,
    left: usize,
    top: usize,
    right: usize,
    bottom: usize,
    colour: [u8; 3],
) -> Picture {
    let mut canvas = Picture::filled(
        picture.width() + left + right,
        picture.height() + top + bottom,
        colour,
    );
    canvas.paste(picture, left, top);
    canvas
}

fn percent(n: usize, p: usize) -> usize {
    (n * p / 100).max(1)
}

fn border(picture: &Picture, p: usize, colour: [u8; 3]) -> Picture {
    let (dx, dy) = (percent(picture.width(), p), percent(picture.height(), p));
    pad(picture, dx, dy, dx, dy, colour)
}

fn noisy_border(picture: &Picture, p: usize, rng: &mut Rng) -> Picture {
    let mut canvas = border(picture, p, [0, 0, 0]);
    let (dx, dy) = (percent(picture.width(), p), percent(picture.height(), p));
    for y in 0..canvas.height() {
        for x in 0..canvas.width() {
            let inside =
                x >= dx && x < dx + picture.width() && y >= dy && y < dy + picture.height();
            if !inside {
                let v = 120 + rng.range(0, 17) as u8;
                canvas.set_pixel(x, y, [v, v, v + 4]);
            }
        }
    }
    canvas
}

/// Bars above and below to a wider frame than the picture's, or beside it
/// to a narrower one.
fn bars(picture: &Picture, aspect: f64) -> Picture {
    let (w, h) = (picture.width() as f64, picture.height() as f64);
    if w / h < aspect {
        let extra = ((h * aspect - w) / 2.0).round() as usize;
        pad(picture, extra, 0, extra, 0, [0, 0, 0])
    } else {
        let extra = ((w / aspect - h) / 2.0).round() as usize;
        pad(picture, 0, extra, 0, extra, [0, 0, 0])
    }
}

fn caption(
    picture: &Picture,
    p: usize,
    top: bool,
    paper: [u8; 3],
    ink: [u8; 3],
    rng: &mut Rng,
) -> Picture {
    let band = percent(picture.height(), p);
    let (t, b) = if top { (band, 0) } else { (0, band) };
    let mut canvas = pad(picture, 0, t, 0, b, paper);
    let y = if top { 0 } else { picture.height() };
    scribble(
        &mut canvas,
        Rect {
            x: 0,
            y,
            width: picture.width(),
            height: band,
        },
        ink,
        rng,
    );
    canvas
}

fn crop(picture: &Picture, left: usize, top: usize, right: usize, bottom: usize) -> Picture {
    let (w, h) = (picture.width(), picture.height());
    let (l, t) = (w * left / 100, h * top / 100);
    let (r, b) = (w * right / 100, h * bottom / 100);
    picture.crop(Rect {
        x: l,
        y: t,
        width: w - l - r,
        height: h - t - b,
    })
}

fn turn_expanded(picture: &Picture, degrees: f64, fill: [u8; 3]) -> Picture {
    let (w, h) = picture.rotated_size(degrees);
    picture.rotate(degrees, w, h, fill)
}

/// Turned and enlarged to fill the original frame, as editors straighten:
/// enlarged by area averaging first, then turned (the crate's derived
/// `fill` hashes turn and enlarge in one step).
fn turn_filled(picture: &Picture, degrees: f64) -> Picture {
    let (w, h) = (picture.width() as f64, picture.height() as f64);
    let zoom = picture.fill_zoom(degrees);
    let big = picture.resize((w * zoom).round() as usize, (h * zoom).round() as usize);
    big.rotate(degrees, picture.width(), picture.height(), [0, 0, 0])
}

/// A desktop window showing the picture: title bar, toolbar, status bar,
/// task bar, on a gradient desktop.
fn desktop_screenshot(picture: &Picture, rng: &mut Rng) -> Picture {
    let (sw, sh) = (1280usize, 800usize);
    let mut screen = Picture::filled(sw, sh, [0, 0, 0]);
    let (a, b) = (rng.colour(), rng.colour());
    for y in 0..sh {
        let t = y as f64 / sh as f64;
        let c: [u8; 3] =
            std::array::from_fn(|k| (f64::from(a[k]) * (1.0 - t) + f64::from(b[k]) * t) as u8);
        screen.fill(
            Rect {
                x: 0,
                y,
                width: sw,
                height: 1,
            },
            c,
        );
    }
    let (wx, wy, ww, wh) = (
        rng.range(40, 200),
        rng.range(20, 80),
        rng.range(900, 1060),
        rng.range(600, 680),
    );
    let window = Rect {
        x: wx,
        y: wy,
        width: ww,
        height: wh,
    };
    screen.fill(window, [236, 236, 236]);
    let title = Rect {
        x: wx,
        y: wy,
        width: ww,
        height: 30,
    };
    screen.fill(title, [60, 63, 70]);
    scribble(
        &mut screen,
        Rect {
            x: wx + ww / 3,
            y: wy,
            width: ww / 4,
            height: 30,
        },
        [220, 220, 220],
        rng,
    );
    let toolbar = Rect {
        x: wx,
        y: wy + 30,
        width: ww,
        height: 36,
    };
    screen.fill(toolbar, [245, 245, 245]);
    for i in 0..8 {
        let icon = Rect {
            x: wx + 10 + i * 34,
            y: wy + 36,
            width: 24,
            height: 24,
        };
        screen.fill(icon, rng.colour());
    }
    let status = Rect {
        x: wx,
        y: wy + wh - 24,
        width: ww,
        height: 24,
    };
    screen.fill(status, [225, 225, 225]);
    scribble(
        &mut screen,
        Rect {
            x: wx,
            y: wy + wh - 24,
            width: ww / 3,
            height: 24,
        },
        [90, 90, 90],
        rng,
    );
    // The picture, fitted into the view area with a margin.
    let (aw, ah) = (ww - 40, wh - 30 - 36 - 24 - 40);
    let scale = (aw as f64 / picture.width() as f64).min(ah as f64 / picture.height() as f64);
    let (pw, ph) = (
        ((picture.width() as f64 * scale) as usize).max(1),
        ((picture.height() as f64 * scale) as usize).max(1),
    );
    let shown = picture.resize(pw, ph);
    screen.paste(
        &shown,
        wx + 20 + (aw - pw) / 2,
        wy + 66 + 20 + (ah - ph) / 2,
    );
    screen.fill(
        Rect {
            x: 0,
            y: sh - 40,
            width: sw,
            height: 40,
        },
        [30, 30, 34],
    );
    for i in 0..6 {
        screen.fill(
            Rect {
                x: 12 + i * 44,
                y: sh - 34,
                width: 28,
                height: 28,
            },
            rng.colour(),
        );
    }
    screen
}

/// A phone screenshot: status bar, app header, the picture across the
/// width, caption text and buttons under it, on black.
fn phone_screenshot(picture: &Picture, rng: &mut Rng) -> Picture {
    let (sw, sh) = (720usize, 1480usize);
    let mut screen = Picture::filled(sw, sh, [0, 0, 0]);
    scribble(
        &mut screen,
        Rect {
            x: 10,
            y: 0,
            width: 200,
            height: 40,
        },
        [250, 250, 250],
        rng,
    );
    screen.fill(
        Rect {
            x: 0,
            y: 40,
            width: sw,
            height: 90,
        },
        [18, 18, 18],
    );
    scribble(
        &mut screen,
        Rect {
            x: 90,
            y: 60,
            width: 300,
            height: 50,
        },
        [240, 240, 240],
        rng,
    );
    let ph =
        ((picture.height() as f64 * sw as f64 / picture.width() as f64) as usize).clamp(1, 1000);
    let shown = picture.resize(sw, ph);
    screen.paste(&shown, 0, 150);
    let below = 150 + ph + 20;
    if below + 120 < sh {
        scribble(
            &mut screen,
            Rect {
                x: 0,
                y: below,
                width: sw,
                height: 120,
            },
            [230, 230, 230],
            rng,
        );
    }
    screen
}

/// Every edit, by name.
pub const EDITS: [&str; 18] = [
    "border-black-5",
    "border-white-10",
    "border-noisy-8",
    "letterbox",
    "pillarbox",
    "caption-top",
    "caption-bottom-dark",
    "crop-centre-90",
    "crop-left-10",
    "crop-corner-85",
    "turn-5-expanded",
    "turn-neg3-expanded-white",
    "turn-3-filled",
    "screenshot-desktop",
    "screenshot-phone",
    "crop-90+border-white-6",
    "caption+half-size",
    "turn-4+letterbox",
];

/// The edit called `name` applied to `picture`.
pub fn apply(name: &str, picture: &Picture, rng: &mut Rng) -> Picture {
    match name {
        "border-black-5" => border(picture, 5, [0, 0, 0]),
        "border-white-10" => border(picture, 10, [255, 255, 255]),
        "border-noisy-8" => noisy_border(picture, 8, rng),
        "letterbox" => bars(
            picture,
            picture.width() as f64 / picture.height() as f64 / 1.35,
        ),
        "pillarbox" => bars(
            picture,
            picture.width() as f64 / picture.height() as f64 * 1.4,
        ),
        "caption-top" => caption(picture, 18, true, [255, 255, 255], [0, 0, 0], rng),
        "caption-bottom-dark" => caption(picture, 12, false, [16, 16, 16], [250, 250, 250], rng),
        "crop-centre-90" => crop(picture, 5, 5, 5, 5),
        "crop-left-10" => crop(picture, 10, 0, 0, 0),
        "crop-corner-85" => crop(picture, 0, 0, 15, 15),
        "turn-5-expanded" => turn_expanded(picture, 5.0, [0, 0, 0]),
        "turn-neg3-expanded-white" => turn_expanded(picture, -3.0, [255, 255, 255]),
        "turn-3-filled" => turn_filled(picture, 3.0),
        "screenshot-desktop" => desktop_screenshot(picture, rng),
        "screenshot-phone" => phone_screenshot(picture, rng),
        "crop-90+border-white-6" => border(&crop(picture, 5, 5, 5, 5), 6, [255, 255, 255]),
        "caption+half-size" => {
            let c = caption(picture, 15, false, [255, 255, 255], [0, 0, 0], rng);
            c.resize(c.width() / 2, c.height() / 2)
        }
        "turn-4+letterbox" => {
            let t = turn_expanded(picture, 4.0, [0, 0, 0]);
            bars(&t, t.width() as f64 / t.height() as f64 / 1.3)
        }
        other => panic!("no edit called {other}"),
    }
}

/// A generated picture: a gradient, shapes and texture, different for
/// every seed.
pub fn generate(seed: u64) -> Picture {
    let mut rng = Rng::new(seed ^ 0x005E_ED0F_1A6E);
    let (w, h) = (rng.range(320, 1100), rng.range(320, 1100));
    let (a, b) = (rng.colour(), rng.colour());
    let (dx, dy) = (rng.unit() - 0.5, rng.unit() - 0.5);
    let mut picture = Picture::filled(w, h, [0, 0, 0]);
    for y in 0..h {
        for x in 0..w {
            let t = ((x as f64 / w as f64 - 0.5) * dx + (y as f64 / h as f64 - 0.5) * dy + 0.5)
                .clamp(0.0, 1.0);
            let c =
                std::array::from_fn(|k| (f64::from(a[k]) * (1.0 - t) + f64::from(b[k]) * t) as u8);
            picture.set_pixel(x, y, c);
        }
    }
    for _ in 0..rng.range(4, 24) {
        let colour = rng.colour();
        let (cx, cy) = (rng.range(0, w), rng.range(0, h));
        let (rx, ry) = (rng.range(8, w / 3 + 9), rng.range(8, h / 3 + 9));
        let ellipse = rng.range(0, 2) == 0;
        for y in cy.saturating_sub(ry)..(cy + ry).min(h) {
            for x in cx.saturating_sub(rx)..(cx + rx).min(w) {
                let (u, v) = (
                    (x as f64 - cx as f64) / rx as f64,
                    (y as f64 - cy as f64) / ry as f64,
                );
                if !ellipse || u * u + v * v <= 1.0 {
                    picture.set_pixel(x, y, colour);
                }
            }
        }
    }
    let grain = rng.range(0, 40) as u8;
    if grain > 0 {
        for y in 0..h {
            for x in 0..w {
                let n = rng.range(0, usize::from(grain)) as u8;
                let p = picture.pixel(x, y);
                picture.set_pixel(
                    x,
                    y,
                    p.map(|c| c.saturating_add(n).saturating_sub(grain / 2)),
                );
            }
        }
    }
    picture
}
