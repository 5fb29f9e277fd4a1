//! The repository's conformance corpus (`tests/corpus/`): committed images,
//! synthetic images made here from `synthetic.tsv`, and Meta's reference
//! hashes for all of them (`scripts/make-corpus.py` made those).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::Rng;

/// The committed part of the corpus.
fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

/// The corpus as the tests read it: `pdq.tsv`, `dihedral.tsv` and an
/// `images/` folder holding every image they list, the synthetic ones
/// written out as PNG. Made once per process in the system's temporary
/// folder, under a name that changes with the committed files, so test
/// binaries running side by side share one copy.
pub fn corpus() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| materialize(&source())).clone()
}

/// The committed corpus folder, which holds the videos (`videos/`) and
/// their reference vPDQ features (`vpdq.tsv`) as they are.
pub fn video_corpus() -> PathBuf {
    source()
}

/// The corpus's image folder.
pub fn corpus_images() -> PathBuf {
    corpus().join("images")
}

/// The pixels of one synthetic image (`H×W×3`, row-major), as
/// `scripts/make-corpus.py` makes them: `black`, `gray` (128), `gradient`
/// (red across, green down, blue along the diagonal) or `noise` (bytes of
/// splitmix64 seeded with `width << 32 | height`, little-endian).
pub fn synthetic_pixels(kind: &str, width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as u64, height as u64);
    let len = (w * h * 3) as usize;
    match kind {
        "black" => vec![0; len],
        "gray" => vec![128; len],
        "gradient" => {
            let mut out = Vec::with_capacity(len);
            for y in 0..h {
                for x in 0..w {
                    out.push((x * 255 / (w - 1).max(1)) as u8);
                    out.push((y * 255 / (h - 1).max(1)) as u8);
                    out.push(((x + y) * 255 / (w + h - 2).max(1)) as u8);
                }
            }
            out
        }
        "noise" => {
            let mut rng = Rng::new((w << 32) | h);
            let mut out = Vec::with_capacity(len + 8);
            while out.len() < len {
                out.extend_from_slice(&rng.next_u64().to_le_bytes());
            }
            out.truncate(len);
            out
        }
        other => panic!("synthetic.tsv: unknown kind {other:?}"),
    }
}

fn materialize(source: &Path) -> PathBuf {
    let images = source.join("images");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&images)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", images.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    names.sort();
    let synthetic = crate::read_tsv(&source.join("synthetic.tsv"));

    // The folder's name is a digest of everything it is made from.
    let mut key = Fnv::default();
    key.write(GENERATOR_VERSION.as_bytes());
    for file in ["pdq.tsv", "dihedral.tsv", "synthetic.tsv"] {
        key.write(&read(&source.join(file)));
    }
    for path in &names {
        key.write(path.file_name().expect("a file name").as_encoded_bytes());
        key.write(&read(path));
    }
    let target = std::env::temp_dir().join(format!("hashwatch-corpus-{:016x}", key.0));
    let complete = |dir: &Path| {
        crate::read_tsv_if_present(&dir.join("pdq.tsv")).is_some_and(|rows| {
            rows.iter()
                .all(|r| dir.join("images").join(&r["file"]).is_file())
        })
    };
    if complete(&target) {
        return target;
    }
    // Part of it was cleaned away (temporary folders age out): made again.
    let _ = std::fs::remove_dir_all(&target);

    let staging = std::env::temp_dir().join(format!(
        "hashwatch-corpus-{:016x}.{}.tmp",
        key.0,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(staging.join("images")).expect("creates the corpus folder");
    for path in &names {
        let name = path.file_name().expect("a file name");
        std::fs::copy(path, staging.join("images").join(name)).expect("copies an image");
    }
    for row in &synthetic {
        let width: u32 = row["width"].parse().expect("synthetic.tsv: width");
        let height: u32 = row["height"].parse().expect("synthetic.tsv: height");
        let pixels = synthetic_pixels(&row["kind"], width, height);
        image::save_buffer(
            staging.join("images").join(&row["file"]),
            &pixels,
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("writes a synthetic PNG");
    }
    // pdq.tsv last: its presence says the folder is complete.
    std::fs::copy(source.join("dihedral.tsv"), staging.join("dihedral.tsv")).expect("copies");
    std::fs::copy(source.join("pdq.tsv"), staging.join("pdq.tsv")).expect("copies");
    // Another process may have won the race; its copy is as good.
    if std::fs::rename(&staging, &target).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    assert!(
        target.join("pdq.tsv").is_file(),
        "corpus not made at {}",
        target.display()
    );
    target
}

/// Bumped when [`synthetic_pixels`] or the folder's layout changes.
const GENERATOR_VERSION: &str = "corpus-1";

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// FNV-1a, 64 bits: a folder name, not a security property.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        // Separates fields, so ("ab", "c") and ("a", "bc") differ.
        self.0 = (self.0 ^ 0xff).wrapping_mul(0x0100_0000_01b3);
    }
}
