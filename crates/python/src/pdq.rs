//! `hashwatch.pdq`: `compute` and `compute_dihedral` as `pdqhash` has
//! them, over the same NumPy arrays, with the GIL released while hashing.

use std::borrow::Cow;
use std::cell::RefCell;

use hashwatch_pdq::{Dihedral, Hasher, Image, PdqHash};
use numpy::{PyArray1, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::convert::{bits_of, describe};

/// Pixels borrowed from an array when they are already interleaved RGB or
/// grey, copied when the array is strided or has more than three channels
/// (`pdqhash` reads the first three).
struct Pixels<'a> {
    bytes: Cow<'a, [u8]>,
    width: usize,
    height: usize,
    grey: bool,
}

impl Pixels<'_> {
    fn image(&self) -> PyResult<Image<'_>> {
        let image = if self.grey {
            Image::grey(&self.bytes, self.width, self.height)
        } else {
            Image::rgb(&self.bytes, self.width, self.height)
        };
        image.map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

fn pixels<'a>(array: &'a PyReadonlyArrayDyn<'_, u8>) -> PyResult<Pixels<'a>> {
    let shape = array.shape().to_vec();
    let (height, width, grey) = match shape[..] {
        [h, w] => (h, w, true),
        [h, w, c] if c >= 3 => (h, w, false),
        [h, w, 1] => (h, w, true),
        _ => {
            return Err(PyValueError::new_err(format!(
                "an image is an H×W×3 (or more channels) or H×W uint8 array, not shape {shape:?}"
            )))
        }
    };
    if width == 0 || height == 0 {
        return Err(PyValueError::new_err(format!(
            "the image is empty (shape {shape:?})"
        )));
    }
    let channels = if grey { 1 } else { 3 };
    // as_slice also accepts Fortran order, whose bytes are not in rows.
    let as_is = array.is_c_contiguous() && (shape.len() == 2 || shape[2] == channels);
    let bytes = match array.as_slice() {
        Ok(slice) if as_is => Cow::Borrowed(slice),
        // Rows in order with extra channels (RGBA): keep the first three.
        Ok(slice) if array.is_c_contiguous() && !grey => {
            let mut copy = Vec::with_capacity(width * height * 3);
            for px in slice.chunks_exact(shape[2]) {
                copy.extend_from_slice(&px[..3]);
            }
            Cow::Owned(copy)
        }
        _ => {
            let view = array.as_array();
            let mut copy = Vec::with_capacity(width * height * channels);
            for row in view.outer_iter() {
                if shape.len() == 2 {
                    copy.extend(row.iter());
                } else {
                    for px in row.outer_iter() {
                        copy.extend(px.iter().take(channels));
                    }
                }
            }
            Cow::Owned(copy)
        }
    };
    Ok(Pixels {
        bytes,
        width,
        height,
        grey,
    })
}

fn readonly<'py>(image: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArrayDyn<'py, u8>> {
    image.extract::<PyReadonlyArrayDyn<'py, u8>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "an image is a NumPy uint8 array (H×W×3 or H×W), not {}",
            describe(image)
        ))
    })
}

thread_local! {
    /// One hasher per thread keeps its buffers between images.
    static HASHER: RefCell<Hasher> = RefCell::new(Hasher::new());
}

/// Hashes an array's pixels with the GIL released.
fn hash_with<T: Send>(
    image: &Bound<'_, PyAny>,
    hash: impl FnOnce(&mut Hasher, &Image<'_>) -> T + Send,
) -> PyResult<T> {
    let array = readonly(image)?;
    let pixels = pixels(&array)?;
    let image = pixels.image()?;
    Ok(array
        .py()
        .detach(|| with_hasher(|hasher| hash(hasher, &image))))
}

/// Runs `f` with this thread's hasher (call it without the GIL).
pub fn with_hasher<T>(f: impl FnOnce(&mut Hasher) -> T) -> T {
    HASHER.with_borrow_mut(f)
}

/// `compute(image) -> (bits, quality)`, as `pdqhash.compute`: 256 int64
/// bits, most significant first, and the quality (0..100).
#[pyfunction]
pub fn compute<'py>(image: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyArray1<i64>>, u8)> {
    let PdqHash { hash, quality } = hash_with(image, |h, i| h.hash(i))?;
    Ok((PyArray1::from_vec(image.py(), bits_of(&hash)), quality))
}

/// `compute_dihedral(image) -> ([bits × 8], quality)`, as
/// `pdqhash.compute_dihedral`: original, rot90, rot180, rot270, flipx,
/// flipy, flipplus1, flipminus1.
#[pyfunction]
pub fn compute_dihedral<'py>(
    image: &Bound<'py, PyAny>,
) -> PyResult<(Vec<Bound<'py, PyArray1<i64>>>, u8)> {
    let Dihedral { hashes, quality } = hash_with(image, |h, i| h.hash_dihedral(i))?;
    let arrays = hashes
        .iter()
        .map(|hash| PyArray1::from_vec(image.py(), bits_of(hash)))
        .collect();
    Ok((arrays, quality))
}

/// `hash_image(image) -> (hex, quality)`: the same hash in HMA's hex form.
#[pyfunction]
pub fn hash_image(image: &Bound<'_, PyAny>) -> PyResult<(String, u8)> {
    let PdqHash { hash, quality } = hash_with(image, |h, i| h.hash(i))?;
    Ok((hash.to_string(), quality))
}
