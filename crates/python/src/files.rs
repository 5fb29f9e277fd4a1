//! `hash_file` and `hash_bytes`: every signal of an image or video file as
//! `hashwatch hash` computes them, in a dict of HMA's names and forms; and
//! the blocklist signature check the client relies on.

use std::path::PathBuf;

use hashwatch_signals::{MediaSignals, SignalHasher, SignalHasherBuilder};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::error;
use crate::pdq::with_hasher;

/// The limits and options of one call, as keyword arguments give them.
fn hasher(
    dihedral: bool,
    max_pixels: Option<u64>,
    max_file_bytes: Option<u64>,
    exif_orientation: bool,
) -> SignalHasher {
    let mut builder = SignalHasherBuilder::new();
    builder
        .dihedral(dihedral)
        .apply_orientation(exif_orientation);
    if let Some(limit) = max_pixels {
        builder.max_pixels(limit);
    }
    if let Some(limit) = max_file_bytes {
        builder.max_file_bytes(limit).max_video_bytes(limit);
    }
    builder.build()
}

fn media_error(py: Python<'_>, e: hashwatch_media::Error) -> PyErr {
    // A file that cannot be read is an OSError, as Python's own open()
    // raises: FileNotFoundError, PermissionError …
    if let (hashwatch_media::ErrorKind::Io(io), Some(path)) = (e.kind(), e.path()) {
        return crate::convert::os_error(io, path);
    }
    let path = e.path().map(|p| p.to_string_lossy().into_owned());
    error(py, "MediaError", (e.to_string(), e.code(), path))
}

/// `is_video(head)`: whether a file's first bytes are a video container
/// (what `hash_file` decodes as video).
#[pyfunction]
pub fn is_video(head: &[u8]) -> bool {
    hashwatch_video::is_video(head)
}

/// `check_public_key(text)`: a publisher's Ed25519 public key, 64 hex
/// digits; raises `ValueError` for anything else.
#[pyfunction]
pub fn check_public_key(text: &str) -> PyResult<String> {
    hashwatch_feed::PublicKey::parse(text)
        .map(|key| key.to_string())
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// The dict of a file's signals. Images: `pdq` (hex), `quality`, and with
/// `dihedral` the seven other variants as `pdq_rot90` … `pdq_flipminus1`.
/// Videos: `video_md5` (HMA's name for the file's MD5) and `vpdq` (its
/// frames in python-threatexchange's exchange form). Both: `md5`, `sha1`,
/// `sha256`, `width`, `height`, `media` (`image` or `video`).
fn signals_dict<'py>(py: Python<'py>, signals: &MediaSignals) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let digests = signals.digests();
    match signals {
        MediaSignals::Image(image) => {
            dict.set_item("media", "image")?;
            dict.set_item("format", image.format.name())?;
        }
        MediaSignals::Video(video) => {
            dict.set_item("media", "video")?;
            dict.set_item("video_md5", digests.md5_hex())?;
            dict.set_item("vpdq", hashwatch_video::to_pytx(&video.video.compact()))?;
            dict.set_item("frames", video.video.features.len())?;
            dict.set_item("duration", video.video.duration)?;
            dict.set_item("width", video.video.width)?;
            dict.set_item("height", video.video.height)?;
        }
    }
    if let Some(image) = signals.image() {
        dict.set_item("pdq", image.pdq.hash.to_string())?;
        dict.set_item("quality", image.pdq.quality)?;
        dict.set_item("width", image.width)?;
        dict.set_item("height", image.height)?;
        if let Some(all) = image.dihedral {
            for (name, hash) in hashwatch_pdq::Dihedral::NAMES
                .iter()
                .zip(all.hashes)
                .skip(1)
            {
                dict.set_item(format!("pdq_{name}"), hash.to_string())?;
            }
        }
    }
    dict.set_item("md5", digests.md5_hex())?;
    dict.set_item("sha1", digests.sha1_hex())?;
    dict.set_item("sha256", digests.sha256_hex())?;
    Ok(dict)
}

/// `hash_file(path, *, dihedral=False, max_pixels=None,
/// max_file_bytes=None, exif_orientation=False) -> dict`.
#[pyfunction]
#[pyo3(signature = (path, *, dihedral=false, max_pixels=None, max_file_bytes=None, exif_orientation=false))]
pub fn hash_file<'py>(
    py: Python<'py>,
    path: PathBuf,
    dihedral: bool,
    max_pixels: Option<u64>,
    max_file_bytes: Option<u64>,
    exif_orientation: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let hasher = hasher(dihedral, max_pixels, max_file_bytes, exif_orientation);
    let signals = py
        .detach(|| with_hasher(|pdq| hasher.hash_media_file(pdq, &path, &mut |_| {})))
        .map_err(|e| media_error(py, e))?;
    signals_dict(py, &signals)
}

/// `hash_bytes(data, *, dihedral=False, max_pixels=None,
/// max_file_bytes=None, exif_orientation=False) -> dict`: the same for a
/// file's bytes held in memory (an upload).
#[pyfunction]
#[pyo3(signature = (data, *, dihedral=false, max_pixels=None, max_file_bytes=None, exif_orientation=false))]
pub fn hash_bytes<'py>(
    data: &Bound<'py, PyBytes>,
    dihedral: bool,
    max_pixels: Option<u64>,
    max_file_bytes: Option<u64>,
    exif_orientation: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let py = data.py();
    let hasher = hasher(dihedral, max_pixels, max_file_bytes, exif_orientation);
    let bytes = data.as_bytes();
    let signals = py
        .detach(|| with_hasher(|pdq| hasher.hash_media_bytes(pdq, bytes)))
        .map_err(|e| media_error(py, e))?;
    signals_dict(py, &signals)
}

/// `verify_blocklist(body, signature, public_key, since, seq)`: checks a
/// blocklist answer's `x-hashwatch-signature` against the publisher's
/// pinned key, as the answer to the question asked (`since` None for the
/// whole list) reaching `seq`; raises `SignatureError` when it does not
/// verify.
#[pyfunction]
#[pyo3(signature = (body, signature, public_key, since, seq))]
pub fn verify_blocklist(
    py: Python<'_>,
    body: &[u8],
    signature: &str,
    public_key: &str,
    since: Option<i64>,
    seq: i64,
) -> PyResult<()> {
    let refused = |e: hashwatch_feed::FeedError| error(py, "SignatureError", (e.to_string(),));
    let key = hashwatch_feed::PublicKey::parse(public_key).map_err(refused)?;
    let context = hashwatch_feed::blocklist_context(since, seq);
    key.verify_detached(&context, body, signature)
        .map_err(refused)
}
