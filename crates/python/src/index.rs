//! `hashwatch.Index`: `hashwatch_index::PdqIndex` for Python, with the
//! method names of faiss's binary indexes where they mean the same thing
//! (`add`, `add_with_ids`, `remove_ids`, `search`, `range_search`,
//! `ntotal`) and plain ones for single queries.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use hashwatch_index::{PdqIndex, SnapshotError};
use hashwatch_pdq::{Dihedral, Hash256};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::convert::{error, hash_of, hashes_of};

/// The padding faiss puts in `search` results when fewer than `k` hashes
/// exist: the largest int32 distance and id -1.
const NO_DISTANCE: i32 = i32::MAX;
const NO_ID: i64 = -1;

/// An exact index of PDQ hashes under integer ids. See the package
/// documentation (`hashwatch.Index`).
#[pyclass(module = "hashwatch", frozen)]
pub struct Index {
    state: RwLock<State>,
}

struct State {
    index: PdqIndex,
    /// The id `add` gives next, as faiss numbers added vectors.
    next_id: u64,
}

fn poisoned() -> PyErr {
    PyRuntimeError::new_err("the index was left inconsistent by a panic; rebuild it")
}

fn ids_of(value: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
    if let Ok(array) = value.extract::<PyReadonlyArray1<'_, i64>>() {
        return array
            .as_array()
            .iter()
            .map(|&id| {
                u64::try_from(id)
                    .map_err(|_| PyValueError::new_err(format!("ids are not negative: {id}")))
            })
            .collect();
    }
    if let Ok(array) = value.extract::<PyReadonlyArray1<'_, u64>>() {
        return Ok(array.as_array().to_vec());
    }
    if let Ok(id) = value.extract::<u64>() {
        return Ok(vec![id]);
    }
    value.extract::<Vec<u64>>()
}

fn snapshot_error(py: Python<'_>, e: SnapshotError) -> PyErr {
    match e {
        SnapshotError::Io(io) => PyErr::from(io),
        other => error(py, "SnapshotError", (other.to_string(),)),
    }
}

fn pairs(matches: impl IntoIterator<Item = (u64, u32)>) -> Vec<(u64, u32)> {
    matches.into_iter().collect()
}

impl Index {
    fn read(&self) -> PyResult<RwLockReadGuard<'_, State>> {
        self.state.read().map_err(|_| poisoned())
    }

    fn write(&self) -> PyResult<RwLockWriteGuard<'_, State>> {
        self.state.write().map_err(|_| poisoned())
    }

    fn with_index(index: PdqIndex) -> Index {
        let next_id = index.entries().map(|(id, _)| id + 1).max().unwrap_or(0);
        Index {
            state: RwLock::new(State { index, next_id }),
        }
    }

    fn insert(&self, hashes: &[Hash256], ids: &[u64]) -> PyResult<()> {
        let mut state = self.write()?;
        for (&id, &hash) in ids.iter().zip(hashes) {
            state.index.insert(id, hash);
            state.next_id = state.next_id.max(id.saturating_add(1));
        }
        Ok(())
    }
}

#[pymethods]
impl Index {
    /// `Index(hashes=None, ids=None)`: empty, or built from hashes (ids
    /// 0, 1, 2… unless given).
    #[new]
    #[pyo3(signature = (hashes=None, ids=None))]
    fn new(hashes: Option<&Bound<'_, PyAny>>, ids: Option<&Bound<'_, PyAny>>) -> PyResult<Index> {
        let index = Index::with_index(PdqIndex::new());
        if let Some(hashes) = hashes {
            match ids {
                Some(ids) => index.add_with_ids(hashes, ids)?,
                None => {
                    index.add(hashes)?;
                }
            }
        }
        Ok(index)
    }

    /// How many hashes the index holds (faiss's name).
    #[getter]
    fn ntotal(&self) -> PyResult<usize> {
        Ok(self.read()?.index.len())
    }

    fn __len__(&self) -> PyResult<usize> {
        self.ntotal()
    }

    fn __contains__(&self, id: u64) -> PyResult<bool> {
        Ok(self.read()?.index.get(id).is_some())
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!("hashwatch.Index(ntotal={})", self.ntotal()?))
    }

    /// `add(hashes) -> ids`: adds hashes under the next free ids, as
    /// faiss's `add` numbers them, and returns those ids.
    fn add<'py>(&self, hashes: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let py = hashes.py();
        let (hashes, _) = hashes_of(hashes)?;
        let first = self.read()?.next_id;
        let ids: Vec<u64> = (first..first + hashes.len() as u64).collect();
        self.insert(&hashes, &ids)?;
        Ok(PyArray1::from_vec(
            py,
            ids.iter().map(|&id| id as i64).collect(),
        ))
    }

    /// `add_with_ids(hashes, ids)`: adds or replaces the hash under each id.
    fn add_with_ids(&self, hashes: &Bound<'_, PyAny>, ids: &Bound<'_, PyAny>) -> PyResult<()> {
        let (hashes, _) = hashes_of(hashes)?;
        let ids = ids_of(ids)?;
        if ids.len() != hashes.len() {
            return Err(PyValueError::new_err(format!(
                "{} hashes but {} ids",
                hashes.len(),
                ids.len()
            )));
        }
        self.insert(&hashes, &ids)
    }

    /// `remove_ids(ids) -> count`: removes ids; returns how many were there.
    fn remove_ids(&self, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        let ids = ids_of(ids)?;
        let mut state = self.write()?;
        Ok(ids.iter().filter(|&&id| state.index.remove(id)).count())
    }

    /// `remove(ids) -> count`: the same as `remove_ids`.
    fn remove(&self, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        self.remove_ids(ids)
    }

    /// `get(id) -> hex or None`.
    fn get(&self, id: u64) -> PyResult<Option<String>> {
        Ok(self.read()?.index.get(id).map(|h| h.to_string()))
    }

    /// `query(hash, radius=31) -> [(id, distance)]`: every hash within
    /// `radius` bits (inclusive, as PDQ thresholds are), nearest first.
    #[pyo3(signature = (hash, radius=31))]
    fn query(
        &self,
        py: Python<'_>,
        hash: &Bound<'_, PyAny>,
        radius: u32,
    ) -> PyResult<Vec<(u64, u32)>> {
        let query = hash_of(hash)?;
        let state = self.read()?;
        let found = py.detach(|| state.index.search(&query, radius));
        Ok(pairs(found.iter().map(|m| (m.id, m.distance))))
    }

    /// `nearest(hash, k=1) -> [(id, distance)]`: the `k` nearest hashes.
    #[pyo3(signature = (hash, k=1))]
    fn nearest(
        &self,
        py: Python<'_>,
        hash: &Bound<'_, PyAny>,
        k: usize,
    ) -> PyResult<Vec<(u64, u32)>> {
        let query = hash_of(hash)?;
        let state = self.read()?;
        let found = py.detach(|| state.index.nearest(&query, k));
        Ok(pairs(found.iter().map(|m| (m.id, m.distance))))
    }

    /// `query_dihedral(variants, radius=31) -> [(id, distance, variant)]`:
    /// searches the eight hashes `compute_dihedral` gives at once; each id
    /// once, with the name of its closest variant.
    #[pyo3(signature = (variants, radius=31))]
    fn query_dihedral(
        &self,
        py: Python<'_>,
        variants: &Bound<'_, PyAny>,
        radius: u32,
    ) -> PyResult<Vec<(u64, u32, &'static str)>> {
        let (hashes, _) = hashes_of(variants)?;
        let variants: [Hash256; 8] = hashes.try_into().map_err(|h: Vec<Hash256>| {
            PyValueError::new_err(format!(
                "a dihedral query is the 8 hashes compute_dihedral gives, not {}",
                h.len()
            ))
        })?;
        let state = self.read()?;
        let found = py.detach(|| state.index.search_dihedral(&variants, radius));
        Ok(found
            .iter()
            .map(|m| (m.id, m.distance, Dihedral::NAMES[m.variant]))
            .collect())
    }

    /// `range_search(queries, radius) -> (lims, D, I)` as faiss's binary
    /// indexes answer it: the hashes *strictly* closer than `radius` to
    /// query `i` are `I[lims[i]:lims[i+1]]` at distances
    /// `D[lims[i]:lims[i+1]]` (nearest first here; int32 distances).
    fn range_search<'py>(
        &self,
        queries: &Bound<'py, PyAny>,
        radius: u32,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let py = queries.py();
        let (queries, _) = hashes_of(queries)?;
        let state = self.read()?;
        let (lims, distances, ids) = py.detach(|| {
            let mut lims = Vec::with_capacity(queries.len() + 1);
            let (mut distances, mut ids) = (Vec::new(), Vec::new());
            lims.push(0u64);
            for query in &queries {
                if radius > 0 {
                    for m in state.index.search(query, radius - 1) {
                        distances.push(m.distance as i32);
                        ids.push(m.id as i64);
                    }
                }
                lims.push(ids.len() as u64);
            }
            (lims, distances, ids)
        });
        PyTuple::new(
            py,
            [
                PyArray1::from_vec(py, lims).into_any(),
                PyArray1::from_vec(py, distances).into_any(),
                PyArray1::from_vec(py, ids).into_any(),
            ],
        )
    }

    /// `search(queries, k) -> (D, I)` as faiss answers it: the `k` nearest
    /// hashes of each query, rows padded with distance 2147483647 and id
    /// -1 when the index holds fewer.
    fn search<'py>(&self, queries: &Bound<'py, PyAny>, k: usize) -> PyResult<Bound<'py, PyTuple>> {
        let py = queries.py();
        let (queries, _) = hashes_of(queries)?;
        let state = self.read()?;
        let (distances, ids) = py.detach(|| {
            let mut distances = vec![NO_DISTANCE; queries.len() * k];
            let mut ids = vec![NO_ID; queries.len() * k];
            for (row, query) in queries.iter().enumerate() {
                for (j, m) in state.index.nearest(query, k).iter().enumerate() {
                    distances[row * k + j] = m.distance as i32;
                    ids[row * k + j] = m.id as i64;
                }
            }
            (distances, ids)
        });
        let shape = [queries.len(), k];
        let distances = PyArray1::from_vec(py, distances).reshape(shape)?;
        let ids = PyArray1::from_vec(py, ids).reshape(shape)?;
        PyTuple::new(py, [distances.into_any(), ids.into_any()])
    }

    /// `to_bytes() -> bytes`: a snapshot `from_bytes` reads back.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        self.read()?
            .index
            .write_to(&mut out)
            .map_err(|e| snapshot_error(py, e))?;
        Ok(PyBytes::new(py, &out))
    }

    /// `Index.from_bytes(data)`: an index from a `to_bytes` snapshot.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Index> {
        let mut data = data;
        PdqIndex::read_from(&mut data)
            .map(Index::with_index)
            .map_err(|e| snapshot_error(py, e))
    }

    /// `save(path)`: writes a snapshot to a file (replaced whole: written
    /// beside it, then renamed over it).
    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let state = self.read()?;
        py.detach(|| {
            let partial = path.with_extension("partial");
            let mut file = std::io::BufWriter::new(std::fs::File::create(&partial)?);
            state.index.write_to(&mut file).map_err(|e| match e {
                SnapshotError::Io(io) => io,
                other => std::io::Error::other(other.to_string()),
            })?;
            std::io::Write::flush(&mut file)?;
            file.get_ref().sync_all()?;
            std::fs::rename(&partial, &path)
        })?;
        Ok(())
    }

    /// `Index.load(path)`: reads a snapshot `save` wrote.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Index> {
        let loaded = py.detach(|| -> Result<PdqIndex, SnapshotError> {
            let file = std::fs::File::open(&path).map_err(SnapshotError::Io)?;
            PdqIndex::read_from(&mut std::io::BufReader::new(file))
        });
        loaded
            .map(Index::with_index)
            .map_err(|e| snapshot_error(py, e))
    }

    /// Pickling goes through the snapshot, so an index pickles as
    /// python-threatexchange's indexes are stored.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let rebuild = py.get_type::<Index>().getattr("from_bytes")?;
        let bytes = slf.get().to_bytes(py)?;
        PyTuple::new(py, [rebuild, PyTuple::new(py, [bytes])?.into_any()])
    }
}
