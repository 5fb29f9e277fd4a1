//! `hashwatch.Index`: `hashwatch_index::PdqIndex` for Python, with the
//! method names of faiss's binary indexes where they mean the same thing
//! (`add`, `add_with_ids`, `remove_ids`, `search`, `range_search`,
//! `ntotal`) and plain ones for single queries.

use std::sync::RwLock;

use hashwatch_index::{PdqIndex, SnapshotError};
use hashwatch_pdq::{Dihedral, Hash256};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::{PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::convert::{describe, error, hash_of, hashes_of};

/// The padding faiss puts in `search` results when fewer than `k` hashes
/// exist: the largest int32 distance and id -1.
const NO_DISTANCE: i32 = i32::MAX;
const NO_ID: i64 = -1;

/// The largest `search` answer (queries × k), about 3 GB of results.
const MAX_RESULT_CELLS: usize = 1 << 28;

/// Index(hashes=None, ids=None): an exact index of PDQ hashes under int64
/// ids (0, 1, 2… when no ids are given), for radius and k-nearest search.
///
/// Hashes may be 64-digit hex strings, 32 packed bytes, 256 bits (as
/// pdqhash returns them), or many of these: a sequence, or a 2-D array of
/// rows (32 uint8 bytes, or 256 bits). faiss's names mean what they mean
/// there: add(hashes) -> ids, add_with_ids(hashes, ids), remove_ids(ids),
/// ntotal, search(queries, k) -> (D, I), range_search(queries, radius) ->
/// (lims, D, I) with faiss's exclusive radius. For one query:
/// query(hash, radius=31) -> [(id, distance)] with PDQ's inclusive radius,
/// nearest(hash, k=1), query_dihedral(eight_hashes, radius=31) ->
/// [(id, distance, variant)]. Also get(id) -> hex, `id in index`, len(),
/// save(path), Index.load(path), to_bytes(), Index.from_bytes(data), and
/// pickling. Searches run without the GIL; threads may share an index.
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

/// Ids are faiss's: int64, and never negative here (faiss's -1 means none).
const MAX_ID: u64 = i64::MAX as u64;

fn ids_of(value: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
    let ids = any_ids(value)?;
    if let Some(&id) = ids.iter().find(|&&id| id > MAX_ID) {
        return Err(PyValueError::new_err(format!(
            "ids are int64 as in faiss: {id} is too large"
        )));
    }
    Ok(ids)
}

fn any_ids(value: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
    if let Ok(array) = value.extract::<PyReadonlyArray1<'_, u64>>() {
        return Ok(array.as_array().to_vec());
    }
    let ints: Vec<i64> =
        if let Ok(array) = value.extract::<PyReadonlyArray1<'_, i64>>() {
            array.as_array().to_vec()
        } else if let Ok(id) = value.extract::<i64>() {
            vec![id]
        } else {
            let items = value.try_iter().map_err(|_| {
                PyTypeError::new_err(format!("ids are integers, not {}", describe(value)))
            })?;
            let mut ids = Vec::new();
            for item in items {
                let item = item?;
                ids.push(item.extract::<i64>().map_err(|_| {
                    PyValueError::new_err(format!("ids are int64 from 0, not {item}"))
                })?);
            }
            ids
        };
    ints.into_iter()
        .map(|id| {
            u64::try_from(id)
                .map_err(|_| PyValueError::new_err(format!("ids are int64 from 0, not {id}")))
        })
        .collect()
}

/// A radius in bits: 0 to 256 (faiss's exclusive radius may be 257).
fn bits(value: i64, name: &str) -> PyResult<u32> {
    u32::try_from(value)
        .ok()
        .filter(|&v| v <= 257)
        .ok_or_else(|| PyValueError::new_err(format!("{name} is 0 to 256 bits, not {value}")))
}

/// A count of results: 0 or more.
fn count(value: i64, name: &str) -> PyResult<usize> {
    usize::try_from(value)
        .map_err(|_| PyValueError::new_err(format!("{name} is 0 or more, not {value}")))
}

/// A name beside `path` that no other save uses at the same time.
fn partial_path(path: &std::path::Path) -> std::path::PathBuf {
    static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}.partial", std::process::id()))
}

fn snapshot_error(py: Python<'_>, e: SnapshotError, path: Option<&std::path::Path>) -> PyErr {
    match (e, path) {
        (SnapshotError::Io(io), Some(path)) => crate::convert::os_error(&io, path),
        (SnapshotError::Io(io), None) => PyErr::from(io),
        (other, _) => error(py, "SnapshotError", (other.to_string(),)),
    }
}

impl Index {
    /// Runs `f` on the index with the GIL released. The lock is taken and
    /// released inside, so no thread ever waits for the lock while holding
    /// the GIL that the lock's holder needs to finish.
    fn reading<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&State) -> T + Send) -> PyResult<T> {
        py.detach(|| {
            let state = self.state.read().map_err(|_| poisoned())?;
            Ok(f(&state))
        })
    }

    /// [`Index::reading`] for a quick look: with the GIL held when the
    /// lock is free, which spares a cheap call the cost of handing the GIL
    /// to other threads and waiting to get it back.
    fn peek<T: Send>(&self, py: Python<'_>, f: impl Fn(&State) -> T + Send + Sync) -> PyResult<T> {
        match self.state.try_read() {
            Ok(state) => Ok(f(&state)),
            Err(std::sync::TryLockError::Poisoned(_)) => Err(poisoned()),
            Err(std::sync::TryLockError::WouldBlock) => self.reading(py, f),
        }
    }

    /// One query's matches as `(id, distance)` pairs, found by `search`.
    fn ranked(
        &self,
        py: Python<'_>,
        hash: &Bound<'_, PyAny>,
        search: impl FnOnce(&PdqIndex, &Hash256) -> Vec<hashwatch_index::Match> + Send,
    ) -> PyResult<Vec<(u64, u32)>> {
        let query = hash_of(hash)?;
        let found = self.reading(py, |s| search(&s.index, &query))?;
        Ok(found.iter().map(|m| (m.id, m.distance)).collect())
    }

    /// [`Index::reading`] for changes.
    fn writing<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut State) -> T + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut state = self.state.write().map_err(|_| poisoned())?;
            Ok(f(&mut state))
        })
    }

    fn with_index(index: PdqIndex) -> Index {
        let next_id = index
            .entries()
            .map(|(id, _)| id.saturating_add(1))
            .max()
            .unwrap_or(0);
        Index {
            state: RwLock::new(State { index, next_id }),
        }
    }
}

impl State {
    fn insert(&mut self, hashes: &[Hash256], ids: &[u64]) {
        if let Some(&top) = ids.iter().max() {
            self.next_id = self.next_id.max(top.saturating_add(1));
        }
        self.index
            .extend(ids.iter().copied().zip(hashes.iter().copied()));
    }

    fn snapshot(&self) -> Result<Vec<u8>, SnapshotError> {
        let mut out = Vec::new();
        self.index.write_to(&mut out)?;
        Ok(out)
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
        match (hashes, ids) {
            (Some(hashes), Some(ids)) => index.add_with_ids(hashes, ids)?,
            (Some(hashes), None) => {
                index.add(hashes)?;
            }
            (None, Some(_)) => return Err(PyValueError::new_err("ids without hashes")),
            (None, None) => {}
        }
        Ok(index)
    }

    /// How many hashes the index holds (faiss's name).
    #[getter]
    fn ntotal(&self, py: Python<'_>) -> PyResult<usize> {
        self.peek(py, |s| s.index.len())
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.ntotal(py)
    }

    fn __contains__(&self, py: Python<'_>, id: u64) -> PyResult<bool> {
        self.peek(py, |s| s.index.get(id).is_some())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("hashwatch.Index(ntotal={})", self.ntotal(py)?))
    }

    /// `add(hashes) -> ids`: adds hashes under the next free ids, as
    /// faiss's `add` numbers them, and returns those ids.
    fn add<'py>(&self, hashes: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let py = hashes.py();
        let hashes = hashes_of(hashes)?;
        let ids = self
            .writing(py, |s| {
                let first = s.next_id;
                let end = first
                    .checked_add(hashes.len() as u64)
                    .filter(|&end| end <= MAX_ID + 1)?;
                let ids: Vec<u64> = (first..end).collect();
                s.insert(&hashes, &ids);
                Some(ids)
            })?
            .ok_or_else(|| {
                PyOverflowError::new_err("no int64 ids are left after the largest in use")
            })?;
        Ok(PyArray1::from_vec(
            py,
            ids.iter().map(|&id| id as i64).collect(),
        ))
    }

    /// `add_with_ids(hashes, ids)`: adds or replaces the hash under each id.
    fn add_with_ids(&self, hashes: &Bound<'_, PyAny>, ids: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = hashes.py();
        let hashes = hashes_of(hashes)?;
        let ids = ids_of(ids)?;
        if ids.len() != hashes.len() {
            return Err(PyValueError::new_err(format!(
                "{} hashes but {} ids",
                hashes.len(),
                ids.len()
            )));
        }
        self.writing(py, |s| s.insert(&hashes, &ids))
    }

    /// `remove_ids(ids) -> count`: removes ids; returns how many were there.
    fn remove_ids(&self, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        let py = ids.py();
        let ids = ids_of(ids)?;
        self.writing(py, |s| ids.iter().filter(|&&id| s.index.remove(id)).count())
    }

    /// `remove(ids) -> count`: the same as `remove_ids`.
    fn remove(&self, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        self.remove_ids(ids)
    }

    /// `get(id) -> hex or None`.
    fn get(&self, py: Python<'_>, id: u64) -> PyResult<Option<String>> {
        self.peek(py, |s| s.index.get(id).map(|h| h.to_string()))
    }

    /// `query(hash, radius=31) -> [(id, distance)]`: every hash within
    /// `radius` bits (inclusive, as PDQ thresholds are), nearest first.
    #[pyo3(signature = (hash, radius=31))]
    fn query(
        &self,
        py: Python<'_>,
        hash: &Bound<'_, PyAny>,
        radius: i64,
    ) -> PyResult<Vec<(u64, u32)>> {
        let radius = bits(radius, "radius")?;
        self.ranked(py, hash, |index, query| index.search(query, radius))
    }

    /// `nearest(hash, k=1) -> [(id, distance)]`: the `k` nearest hashes.
    #[pyo3(signature = (hash, k=1))]
    fn nearest(
        &self,
        py: Python<'_>,
        hash: &Bound<'_, PyAny>,
        k: i64,
    ) -> PyResult<Vec<(u64, u32)>> {
        let k = count(k, "k")?;
        self.ranked(py, hash, |index, query| index.nearest(query, k))
    }

    /// `query_dihedral(variants, radius=31) -> [(id, distance, variant)]`:
    /// searches the eight hashes `compute_dihedral` gives at once; each id
    /// once, with the name of its closest variant.
    #[pyo3(signature = (variants, radius=31))]
    fn query_dihedral(
        &self,
        py: Python<'_>,
        variants: &Bound<'_, PyAny>,
        radius: i64,
    ) -> PyResult<Vec<(u64, u32, &'static str)>> {
        let radius = bits(radius, "radius")?;
        let hashes = hashes_of(variants)?;
        let variants: [Hash256; 8] = hashes.try_into().map_err(|h: Vec<Hash256>| {
            PyValueError::new_err(format!(
                "a dihedral query is the 8 hashes compute_dihedral gives, not {}",
                h.len()
            ))
        })?;
        let found = self.reading(py, |s| s.index.search_dihedral(&variants, radius))?;
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
        radius: i64,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let py = queries.py();
        let radius = bits(radius, "radius")?;
        let queries = hashes_of(queries)?;
        let (lims, distances, ids) = self.reading(py, |s| {
            let mut lims = Vec::with_capacity(queries.len() + 1);
            let (mut distances, mut ids) = (Vec::new(), Vec::new());
            lims.push(0u64);
            for query in &queries {
                // faiss's radius is exclusive, PDQ thresholds inclusive.
                let found = match radius.checked_sub(1) {
                    Some(inclusive) => s.index.search(query, inclusive),
                    None => Vec::new(),
                };
                for m in found {
                    distances.push(m.distance as i32);
                    ids.push(m.id as i64);
                }
                lims.push(ids.len() as u64);
            }
            (lims, distances, ids)
        })?;
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
    fn search<'py>(&self, queries: &Bound<'py, PyAny>, k: i64) -> PyResult<Bound<'py, PyTuple>> {
        let py = queries.py();
        let k = count(k, "k")?;
        let queries = hashes_of(queries)?;
        if queries
            .len()
            .checked_mul(k)
            .is_none_or(|cells| cells > MAX_RESULT_CELLS)
        {
            return Err(PyValueError::new_err(format!(
                "{} queries × k={k} is more results than one call returns; ask in smaller batches",
                queries.len()
            )));
        }
        let (distances, ids) = self.reading(py, |s| {
            let mut distances = vec![NO_DISTANCE; queries.len() * k];
            let mut ids = vec![NO_ID; queries.len() * k];
            for (row, query) in queries.iter().enumerate() {
                for (j, m) in s.index.nearest(query, k).iter().enumerate() {
                    distances[row * k + j] = m.distance as i32;
                    ids[row * k + j] = m.id as i64;
                }
            }
            (distances, ids)
        })?;
        let shape = [queries.len(), k];
        let distances = PyArray1::from_vec(py, distances).reshape(shape)?;
        let ids = PyArray1::from_vec(py, ids).reshape(shape)?;
        PyTuple::new(py, [distances.into_any(), ids.into_any()])
    }

    /// `to_bytes() -> bytes`: a snapshot `from_bytes` reads back.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self
            .reading(py, State::snapshot)?
            .map_err(|e| snapshot_error(py, e, None))?;
        Ok(PyBytes::new(py, &out))
    }

    /// `Index.from_bytes(data)`: an index from a `to_bytes` snapshot.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Index> {
        let mut data = data;
        PdqIndex::read_from(&mut data)
            .map(Index::with_index)
            .map_err(|e| snapshot_error(py, e, None))
    }

    /// `save(path)`: writes a snapshot to a file (replaced whole: written
    /// beside it, then renamed over it).
    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let written = self.reading(py, |s| -> Result<(), SnapshotError> {
            let partial = partial_path(&path);
            let write = || -> Result<(), SnapshotError> {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&partial)
                    .map_err(SnapshotError::Io)?;
                let mut out = std::io::BufWriter::new(file);
                s.index.write_to(&mut out)?;
                let file = out
                    .into_inner()
                    .map_err(|e| SnapshotError::Io(e.into_error()))?;
                file.sync_all().map_err(SnapshotError::Io)?;
                std::fs::rename(&partial, &path).map_err(SnapshotError::Io)
            };
            let result = write();
            if result.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            result
        })?;
        written.map_err(|e| snapshot_error(py, e, Some(&path)))
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
            .map_err(|e| snapshot_error(py, e, Some(&path)))
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
