//! Hashes in and out of Python: 64-digit hex strings (HMA's form), 32
//! packed bytes (faiss's binary vectors), and 256-element 0/1 arrays
//! (`pdqhash.compute`'s form, most significant bit first); one or many.

use hashwatch_pdq::Hash256;
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// Raises `hashwatch.errors.<name>(*args)`, the package's own exception
/// types, which the Python side defines so they can be caught by name.
pub fn error<'py>(py: Python<'py>, name: &str, args: impl pyo3::call::PyCallArgs<'py>) -> PyErr {
    let raised = py
        .import("hashwatch.errors")
        .and_then(|errors| errors.getattr(name))
        .and_then(|class| class.call1(args));
    match raised {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

fn invalid_hash(py: Python<'_>, message: String) -> PyErr {
    error(py, "InvalidHash", (message,))
}

/// The `OSError` subclass Python raises for `io` (FileNotFoundError,
/// PermissionError …), naming the file.
pub fn os_error(io: &std::io::Error, path: &std::path::Path) -> PyErr {
    let message = io.to_string();
    let path = path.to_string_lossy().into_owned();
    match io.raw_os_error() {
        Some(errno) => PyOSError::new_err((errno, message, path)),
        None => PyOSError::new_err(format!("{path}: {message}")),
    }
}

/// Bit `255 - i` at position `i`: the order `pdqhash` returns.
pub fn bits_of(hash: &Hash256) -> Vec<i64> {
    (0..256).map(|i| i64::from(hash.bit(255 - i))).collect()
}

fn from_bits(py: Python<'_>, bits: impl Iterator<Item = i64>) -> PyResult<Hash256> {
    let mut hash = Hash256::ZERO;
    for (i, b) in bits.enumerate() {
        match b {
            0 => {}
            1 => hash.set_bit(255 - i),
            other => {
                return Err(invalid_hash(
                    py,
                    format!("a PDQ bit array holds 0 and 1 only, not {other}"),
                ))
            }
        }
    }
    Ok(hash)
}

fn from_hex(py: Python<'_>, text: &str) -> PyResult<Hash256> {
    text.parse::<Hash256>()
        .map_err(|e| invalid_hash(py, format!("{e}: {text:?}")))
}

fn from_packed(py: Python<'_>, bytes: &[u8]) -> PyResult<Hash256> {
    let array: [u8; 32] = bytes.try_into().map_err(|_| {
        invalid_hash(
            py,
            format!("a packed PDQ hash is 32 bytes, not {}", bytes.len()),
        )
    })?;
    Ok(Hash256::from_be_bytes(array))
}

/// One hash from any of its forms.
pub fn hash_of(value: &Bound<'_, PyAny>) -> PyResult<Hash256> {
    let py = value.py();
    if let Ok(text) = value.cast::<PyString>() {
        return from_hex(py, &text.to_cow()?);
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return from_packed(py, bytes.as_bytes());
    }
    if let Ok(array) = value.extract::<PyReadonlyArray1<'_, u8>>() {
        if array.len() == 32 {
            return from_packed(py, &array.as_array().to_vec());
        }
    }
    if let Ok(array) = value.extract::<PyReadonlyArray1<'_, i64>>() {
        if array.len() == 256 {
            return from_bits(py, array.as_array().iter().copied());
        }
    }
    if let Ok(array) = value.extract::<PyReadonlyArray1<'_, u8>>() {
        if array.len() == 256 {
            return from_bits(py, array.as_array().iter().map(|&b| i64::from(b)));
        }
    }
    if let Ok(array) = value.extract::<PyReadonlyArray1<'_, bool>>() {
        if array.len() == 256 {
            return from_bits(py, array.as_array().iter().map(|&b| i64::from(b)));
        }
    }
    if let Ok(list) = value.extract::<Vec<i64>>() {
        if list.len() == 256 {
            return from_bits(py, list.into_iter());
        }
    }
    // A 1-D array of another length or type is no hash and no batch.
    if let (Ok(shape), Ok(dtype)) = (value.getattr("shape"), value.getattr("dtype")) {
        if shape.len().is_ok_and(|n| n == 1) {
            return Err(
                match dtype.getattr("kind").and_then(|k| k.extract::<String>()) {
                    Ok(kind) if kind == "u" || kind == "i" || kind == "b" => invalid_hash(
                        py,
                        format!(
                            "a PDQ hash array holds 32 packed bytes or 256 bits, not {}",
                            describe(value)
                        ),
                    ),
                    _ => PyTypeError::new_err(format!(
                        "a PDQ hash array is uint8 (32 packed bytes) or integers or booleans \
                     (256 bits), not {}",
                        describe(value)
                    )),
                },
            );
        }
    }
    Err(PyTypeError::new_err(format!(
        "a PDQ hash is a 64-digit hex string, 32 packed bytes, or 256 bits \
         (as pdqhash.compute returns them), not {}",
        describe(value)
    )))
}

/// A value's type and, for arrays, dtype and shape, for error messages.
pub fn describe(value: &Bound<'_, PyAny>) -> String {
    let kind = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an object".to_string());
    match (value.getattr("dtype"), value.getattr("shape")) {
        (Ok(dtype), Ok(shape)) => format!("{kind} of dtype {dtype} and shape {shape}"),
        _ => kind,
    }
}

/// A 2-D array of 256-bit rows, each element read by `bit`.
fn rows_of_bits<T: Copy>(
    py: Python<'_>,
    rows: numpy::ndarray::ArrayView2<'_, T>,
    bit: impl Fn(T) -> i64,
) -> PyResult<Vec<Hash256>> {
    if rows.ncols() != 256 {
        return Err(invalid_hash(
            py,
            format!(
                "rows of 32 packed bytes or 256 bits, not {} columns",
                rows.ncols()
            ),
        ));
    }
    rows.rows()
        .into_iter()
        .map(|r| from_bits(py, r.iter().map(|&b| bit(b))))
        .collect()
}

/// One hash or many: a single hash in any form is one; a 2-D array is one
/// per row; any other sequence is one per item.
pub fn hashes_of(value: &Bound<'_, PyAny>) -> PyResult<Vec<Hash256>> {
    let py = value.py();
    match hash_of(value) {
        Ok(one) => return Ok(vec![one]),
        // Not a single hash's type: perhaps many. A single hash's type
        // with a bad value (a stray bit of 2) is that hash's error.
        Err(e) if e.is_instance_of::<PyTypeError>(py) => {}
        Err(e) => return Err(e),
    }
    if let Ok(rows) = value.extract::<PyReadonlyArray2<'_, u8>>() {
        let rows = rows.as_array();
        if rows.ncols() == 32 {
            return rows
                .rows()
                .into_iter()
                .map(|r| from_packed(py, &r.to_vec()))
                .collect();
        }
        return rows_of_bits(py, rows, i64::from);
    }
    if let Ok(rows) = value.extract::<PyReadonlyArray2<'_, bool>>() {
        return rows_of_bits(py, rows.as_array(), i64::from);
    }
    if let Ok(rows) = value.extract::<PyReadonlyArray2<'_, i64>>() {
        return rows_of_bits(py, rows.as_array(), |b| b);
    }
    if value.getattr("dtype").is_ok() {
        // An array none of the forms above reads: say so of the whole array.
        return Err(PyTypeError::new_err(format!(
            "hashes as an array are rows of 32 uint8 packed bytes or of 256 bits \
             (integers or booleans), not {}",
            describe(value)
        )));
    }
    let items = value.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "expected a PDQ hash or a sequence of them, not {}",
            describe(value)
        ))
    })?;
    let mut hashes = Vec::new();
    for item in items {
        hashes.push(hash_of(&item?)?);
    }
    Ok(hashes)
}

/// `distance(a, b)`: the number of bits in which two hashes differ.
#[pyfunction]
pub fn distance(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<u32> {
    Ok(hash_of(a)?.distance(&hash_of(b)?))
}

/// `to_hex(hash)`: the 64-digit hex form HMA and python-threatexchange use.
#[pyfunction]
pub fn to_hex(hash: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(hash_of(hash)?.to_string())
}

/// `to_bits(hash)`: the 256-element array `pdqhash.compute` returns.
#[pyfunction]
pub fn to_bits<'py>(hash: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<i64>>> {
    Ok(PyArray1::from_vec(hash.py(), bits_of(&hash_of(hash)?)))
}
