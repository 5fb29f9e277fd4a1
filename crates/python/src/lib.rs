//! `hashwatch._native`: the library crates as Python sees them.
//!
//! Nothing here decides anything: PDQ comes from `hashwatch-pdq`, file
//! hashing from `hashwatch-signals`, the index from `hashwatch-index`,
//! signature checks from `hashwatch-feed`. This crate converts NumPy arrays,
//! bytes and strings to their types and back, raises the Python exceptions
//! of `hashwatch.errors`, and lets other Python threads run while Rust
//! works. The Python package around it (`python/hashwatch`) adds the
//! client, the python-threatexchange extension and the documentation.

mod convert;
mod files;
mod index;
mod pdq;

use pyo3::prelude::*;

/// The native module, imported by `hashwatch/__init__.py`.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DIHEDRAL", hashwatch_pdq::Dihedral::NAMES)?;
    m.add_function(wrap_pyfunction!(pdq::compute, m)?)?;
    m.add_function(wrap_pyfunction!(pdq::compute_dihedral, m)?)?;
    m.add_function(wrap_pyfunction!(pdq::hash_image, m)?)?;
    m.add_function(wrap_pyfunction!(convert::distance, m)?)?;
    m.add_function(wrap_pyfunction!(convert::to_hex, m)?)?;
    m.add_function(wrap_pyfunction!(convert::to_bits, m)?)?;
    m.add_function(wrap_pyfunction!(files::hash_file, m)?)?;
    m.add_function(wrap_pyfunction!(files::hash_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(files::verify_blocklist, m)?)?;
    m.add_function(wrap_pyfunction!(files::is_video, m)?)?;
    m.add_function(wrap_pyfunction!(files::check_public_key, m)?)?;
    m.add_class::<index::Index>()?;
    Ok(())
}
