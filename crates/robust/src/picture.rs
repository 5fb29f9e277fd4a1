//! An owned RGB picture and the geometry the views need: crops, area
//! shrinking and rotation.

/// A rectangle of pixels: left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left column.
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
}

impl Rect {
    /// The rectangle scaled from a picture of `from` size to one of `to`
    /// size (both width, height), rounded outward by less than a pixel of
    /// `to` so that no content of the box is lost.
    pub fn rescale(&self, from: (usize, usize), to: (usize, usize)) -> Rect {
        let sx = to.0 as f64 / from.0 as f64;
        let sy = to.1 as f64 / from.1 as f64;
        let x0 = ((self.x as f64 * sx).floor() as usize).min(to.0.saturating_sub(1));
        let y0 = ((self.y as f64 * sy).floor() as usize).min(to.1.saturating_sub(1));
        let x1 = (((self.x + self.width) as f64 * sx).ceil() as usize).clamp(x0 + 1, to.0);
        let y1 = (((self.y + self.height) as f64 * sy).ceil() as usize).clamp(y0 + 1, to.1);
        Rect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }

    /// The centred rectangle keeping `percent` of each side of a picture of
    /// `width` × `height`.
    pub fn centre(width: usize, height: usize, percent: u32) -> Rect {
        let keep = |n: usize| ((n * percent.min(100) as usize) / 100).clamp(1, n.max(1));
        let (w, h) = (keep(width), keep(height));
        Rect {
            x: (width - w) / 2,
            y: (height - h) / 2,
            width: w,
            height: h,
        }
    }
}

/// Interleaved 8-bit RGB, row-major without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Picture {
    /// A picture from interleaved RGB bytes, `None` when the length is not
    /// `3 * width * height` or a side is 0.
    pub fn from_rgb(width: usize, height: usize, rgb: Vec<u8>) -> Option<Picture> {
        let len = width.checked_mul(height)?.checked_mul(3)?;
        (width > 0 && height > 0 && rgb.len() == len).then_some(Picture { width, height, rgb })
    }

    /// A picture from grey bytes (R = G = B, as the hasher takes grey).
    pub fn from_grey(width: usize, height: usize, grey: &[u8]) -> Option<Picture> {
        Picture::from_rgb(
            width,
            height,
            grey.iter().flat_map(|&v| [v, v, v]).collect(),
        )
    }

    /// One colour everywhere (a side of 0 is taken as 1).
    pub fn filled(width: usize, height: usize, colour: [u8; 3]) -> Picture {
        let (width, height) = (width.max(1), height.max(1));
        Picture {
            width,
            height,
            rgb: colour.repeat(width * height),
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The interleaved RGB bytes.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// The pixel at column `x`, row `y`.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = 3 * (y * self.width + x);
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Sets the pixel at column `x`, row `y`.
    pub fn set_pixel(&mut self, x: usize, y: usize, colour: [u8; 3]) {
        let i = 3 * (y * self.width + x);
        self.rgb[i..i + 3].copy_from_slice(&colour);
    }

    /// The whole picture as a rectangle.
    pub fn bounds(&self) -> Rect {
        Rect {
            x: 0,
            y: 0,
            width: self.width,
            height: self.height,
        }
    }

    /// A copy of `rect`, clipped to the picture (at least one pixel).
    pub fn crop(&self, rect: Rect) -> Picture {
        let x = rect.x.min(self.width - 1);
        let y = rect.y.min(self.height - 1);
        let width = rect.width.clamp(1, self.width - x);
        let height = rect.height.clamp(1, self.height - y);
        let mut rgb = Vec::with_capacity(3 * width * height);
        for row in y..y + height {
            let start = 3 * (row * self.width + x);
            rgb.extend_from_slice(&self.rgb[start..start + 3 * width]);
        }
        Picture { width, height, rgb }
    }

    /// Draws `other` with its top left corner at (`x`, `y`), clipped.
    pub fn paste(&mut self, other: &Picture, x: usize, y: usize) {
        if x >= self.width || y >= self.height {
            return;
        }
        let width = other.width.min(self.width - x);
        for row in 0..other.height.min(self.height - y) {
            let to = 3 * ((y + row) * self.width + x);
            let from = 3 * row * other.width;
            self.rgb[to..to + 3 * width].copy_from_slice(&other.rgb[from..from + 3 * width]);
        }
    }

    /// Fills `rect` (clipped) with one colour.
    pub fn fill(&mut self, rect: Rect, colour: [u8; 3]) {
        for y in rect.y..(rect.y + rect.height).min(self.height) {
            for x in rect.x..(rect.x + rect.width).min(self.width) {
                self.set_pixel(x, y, colour);
            }
        }
    }

    /// The picture resized to `width` × `height` by averaging the source
    /// area under each output pixel (bilinear when enlarging).
    pub fn resize(&self, width: usize, height: usize) -> Picture {
        let (width, height) = (width.max(1), height.max(1));
        if width >= self.width && height >= self.height {
            return self.resample(width, height);
        }
        let mut rgb = vec![0u8; 3 * width * height];
        let sx = self.width as f64 / width as f64;
        let sy = self.height as f64 / height as f64;
        for oy in 0..height {
            let y0 = ((oy as f64 * sy) as usize).min(self.height - 1);
            let y1 = (((oy + 1) as f64 * sy).ceil() as usize).clamp(y0 + 1, self.height);
            for ox in 0..width {
                let x0 = ((ox as f64 * sx) as usize).min(self.width - 1);
                let x1 = (((ox + 1) as f64 * sx).ceil() as usize).clamp(x0 + 1, self.width);
                let mut sum = [0u32; 3];
                for y in y0..y1 {
                    let row = &self.rgb[3 * (y * self.width + x0)..3 * (y * self.width + x1)];
                    for p in row.chunks_exact(3) {
                        sum[0] += u32::from(p[0]);
                        sum[1] += u32::from(p[1]);
                        sum[2] += u32::from(p[2]);
                    }
                }
                let n = ((y1 - y0) * (x1 - x0)) as u32;
                let o = 3 * (oy * width + ox);
                for c in 0..3 {
                    rgb[o + c] = ((sum[c] + n / 2) / n) as u8;
                }
            }
        }
        Picture { width, height, rgb }
    }

    /// The picture shrunk so that its longer side is at most `side`.
    pub fn shrink_to(&self, side: usize) -> Picture {
        let long = self.width.max(self.height);
        if long <= side {
            return self.clone();
        }
        let scale = side as f64 / long as f64;
        let w = ((self.width as f64 * scale).round() as usize).max(1);
        let h = ((self.height as f64 * scale).round() as usize).max(1);
        self.resize(w, h)
    }

    /// Bilinear sample at a real position; `None` outside the picture.
    fn sample(&self, x: f64, y: f64) -> Option<[u8; 3]> {
        if x < -0.5 || y < -0.5 || x > self.width as f64 - 0.5 || y > self.height as f64 - 0.5 {
            return None;
        }
        let x = x.clamp(0.0, (self.width - 1) as f64);
        let y = y.clamp(0.0, (self.height - 1) as f64);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let (a, b, c, d) = (
            self.pixel(x0, y0),
            self.pixel(x1, y0),
            self.pixel(x0, y1),
            self.pixel(x1, y1),
        );
        Some(std::array::from_fn(|k| {
            let top = f64::from(a[k]) * (1.0 - fx) + f64::from(b[k]) * fx;
            let bottom = f64::from(c[k]) * (1.0 - fx) + f64::from(d[k]) * fx;
            (top * (1.0 - fy) + bottom * fy).round() as u8
        }))
    }

    fn resample(&self, width: usize, height: usize) -> Picture {
        let sx = self.width as f64 / width as f64;
        let sy = self.height as f64 / height as f64;
        let mut out = Picture::filled(width, height, [0, 0, 0]);
        for y in 0..height {
            for x in 0..width {
                let p = self
                    .sample((x as f64 + 0.5) * sx - 0.5, (y as f64 + 0.5) * sy - 0.5)
                    .unwrap_or([0, 0, 0]);
                out.set_pixel(x, y, p);
            }
        }
        out
    }

    /// The picture turned `degrees` anticlockwise about its centre, on a
    /// canvas of `width` × `height` centred on the same point; uncovered
    /// pixels get `fill`.
    pub fn rotate(&self, degrees: f64, width: usize, height: usize, fill: [u8; 3]) -> Picture {
        self.rotate_zoomed(degrees, 1.0, width, height, fill)
    }

    /// The picture turned `degrees` and enlarged just enough to fill its
    /// own frame, as editors straighten a picture: no corner of the canvas
    /// is left empty.
    pub fn turned_to_fill(&self, degrees: f64) -> Picture {
        let zoom = self.fill_zoom(degrees);
        self.rotate_zoomed(degrees, zoom, self.width, self.height, [0, 0, 0])
    }

    /// How much a picture turned `degrees` must be enlarged to fill its
    /// own frame.
    pub fn fill_zoom(&self, degrees: f64) -> f64 {
        let (w, h) = (self.width as f64, self.height as f64);
        let (sin, cos) = degrees.to_radians().abs().sin_cos();
        (cos + sin * w.max(h) / w.min(h).max(1.0)).max(1.0)
    }

    /// The picture turned `degrees` and enlarged `zoom` times about its
    /// centre, onto a `width` × `height` canvas of `fill`.
    fn rotate_zoomed(
        &self,
        degrees: f64,
        zoom: f64,
        width: usize,
        height: usize,
        fill: [u8; 3],
    ) -> Picture {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let (sin, cos) = (sin / zoom, cos / zoom);
        let (cx, cy) = (self.width as f64 / 2.0, self.height as f64 / 2.0);
        let (ox, oy) = (width as f64 / 2.0, height as f64 / 2.0);
        let mut out = Picture::filled(width, height, fill);
        for y in 0..height {
            for x in 0..width {
                // The inverse rotation of the output pixel's centre.
                let (dx, dy) = (x as f64 + 0.5 - ox, y as f64 + 0.5 - oy);
                let sx = cos * dx - sin * dy + cx - 0.5;
                let sy = sin * dx + cos * dy + cy - 0.5;
                if let Some(p) = self.sample(sx, sy) {
                    out.set_pixel(x, y, p);
                }
            }
        }
        out
    }

    /// The canvas size that holds the whole picture turned `degrees`.
    pub fn rotated_size(&self, degrees: f64) -> (usize, usize) {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let (w, h) = (self.width as f64, self.height as f64);
        let rw = w * cos.abs() + h * sin.abs();
        let rh = w * sin.abs() + h * cos.abs();
        (rw.round() as usize, rh.round() as usize)
    }
}

/// A picture for tests: blocks of colours that change along every row and
/// column, so that no line of it is uniform.
#[cfg(test)]
pub(crate) fn textured(width: usize, height: usize) -> Picture {
    let rgb = (0..width * height)
        .flat_map(|i| {
            let (x, y) = (i % width, i / width);
            let v = (((x / 7) * 37 + (y / 5) * 91) % 200 + 40) as u8;
            [v, 255 - v, v / 2 + 60]
        })
        .collect();
    Picture::from_rgb(width, height, rgb).expect("sizes agree")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: usize, height: usize) -> Picture {
        let rgb = (0..width * height)
            .flat_map(|i| {
                let (x, y) = (i % width, i / width);
                [(x * 255 / width) as u8, (y * 255 / height) as u8, 90]
            })
            .collect();
        Picture::from_rgb(width, height, rgb).expect("sizes agree")
    }

    #[test]
    fn crop_then_paste_restores_the_region() {
        let picture = gradient(40, 30);
        let rect = Rect {
            x: 5,
            y: 7,
            width: 20,
            height: 10,
        };
        let piece = picture.crop(rect);
        assert_eq!((piece.width(), piece.height()), (20, 10));
        assert_eq!(piece.pixel(0, 0), picture.pixel(5, 7));
        assert_eq!(piece.pixel(19, 9), picture.pixel(24, 16));
        let mut blank = Picture::filled(40, 30, [0, 0, 0]);
        blank.paste(&piece, 5, 7);
        assert_eq!(blank.crop(rect), piece);
    }

    #[test]
    fn shrinking_averages_areas() {
        let mut picture = Picture::filled(4, 2, [0, 0, 0]);
        picture.fill(
            Rect {
                x: 0,
                y: 0,
                width: 2,
                height: 2,
            },
            [200, 100, 50],
        );
        let small = picture.resize(2, 1);
        assert_eq!(small.pixel(0, 0), [200, 100, 50]);
        assert_eq!(small.pixel(1, 0), [0, 0, 0]);
        assert_eq!(gradient(1000, 500).shrink_to(100).width(), 100);
    }

    #[test]
    fn a_turn_and_its_inverse_restore_the_centre() {
        let picture = gradient(120, 80);
        let (w, h) = picture.rotated_size(5.0);
        assert!(w > 120 && h > 80);
        let turned = picture.rotate(5.0, w, h, [0, 0, 0]);
        let back = turned.rotate(-5.0, 120, 80, [0, 0, 0]);
        let (a, b) = (picture.pixel(60, 40), back.pixel(60, 40));
        assert!(
            a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3),
            "{a:?} {b:?}"
        );
        // A quarter turn moves the top left corner to the bottom left.
        let quarter = picture.rotate(90.0, 80, 120, [0, 0, 0]);
        let corner = quarter.pixel(0, 119);
        assert!(corner
            .iter()
            .zip(picture.pixel(0, 0))
            .all(|(x, y)| x.abs_diff(y) <= 4));
    }

    #[test]
    fn rectangles_rescale_outward() {
        let r = Rect {
            x: 10,
            y: 10,
            width: 80,
            height: 30,
        };
        assert_eq!(
            r.rescale((100, 50), (1000, 500)),
            Rect {
                x: 100,
                y: 100,
                width: 800,
                height: 300
            }
        );
        assert_eq!(
            Rect::centre(100, 50, 80),
            Rect {
                x: 10,
                y: 5,
                width: 80,
                height: 40
            }
        );
    }
}
