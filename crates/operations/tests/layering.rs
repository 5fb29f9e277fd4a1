//! The layering the operations layer exists for, read off the sources:
//! domain crates depend on the vocabulary, never on the store; and the
//! HTTP, web and command-line code reaches the store only through the
//! operations, apart from the wiring that opens it.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `hashwatch-…` crates a crate's `[dependencies]` names.
fn dependencies(krate: &str) -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("{krate}/Cargo.toml: {e}"));
    let mut in_dependencies = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies && line.starts_with("hashwatch-") {
            out.push(
                line.split(['.', ' ', '='])
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    out
}

#[test]
fn domain_crates_depend_on_the_vocabulary_not_on_the_store() {
    let domain = [
        "pdq", "media", "model", "access", "signals", "index", "robust", "series", "matcher",
        "hotline", "feed", "exchange", "outbound", "video",
    ];
    for krate in domain {
        let deps = dependencies(krate);
        for upper in [
            "hashwatch-store",
            "hashwatch-operations",
            "hashwatch-server",
            "hashwatch-web",
        ] {
            assert!(
                !deps.iter().any(|d| d == upper),
                "{krate} depends on {upper}"
            );
        }
    }
    let forbidden = [
        ("matcher", "hashwatch-store"),
        ("outbound", "hashwatch-hotline"),
        ("outbound", "hashwatch-feed"),
        ("exchange", "hashwatch-robust"),
        ("feed", "hashwatch-robust"),
    ];
    for (krate, dep) in forbidden {
        assert!(
            !dependencies(krate).iter().any(|d| d == dep),
            "{krate} depends on {dep}"
        );
    }
    // The pages are a crate of their own over the API's state, and reach
    // the store only through the operations; the API does not know them.
    assert!(!dependencies("web").iter().any(|d| d == "hashwatch-store"));
    assert!(!dependencies("server").iter().any(|d| d == "hashwatch-web"));
    // The check reads what it claims to read.
    assert!(dependencies("operations")
        .iter()
        .any(|d| d == "hashwatch-store"));
}

/// The wiring that opens the store and hands it to the operations.
const WIRING: &[&str] = &["crates/cli/src/db.rs", "crates/server/src/lib.rs"];

/// Whether source text reaches the store: names the crate, or reads the
/// state's store, records or blocking database helper.
fn reaches_the_store(text: &str) -> bool {
    let store_field = text.match_indices(".store").any(|(at, m)| {
        let rest = &text[at + m.len()..];
        // An atomic's `store(true, …)` is not the store.
        let atomic = rest.starts_with("(true") || rest.starts_with("(false");
        !atomic
            && !rest
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
    });
    text.contains("hashwatch_store")
        || store_field
        || text.contains(".records()")
        || text.contains(".db(")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("reads the folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn handlers_and_commands_reach_the_store_only_through_the_operations() {
    let root = root();
    let mut files = Vec::new();
    for dir in ["crates/server/src", "crates/web/src", "crates/cli/src"] {
        sources(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "the sources were found");
    let mut reaching = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("reads the file");
        let name = file
            .strip_prefix(&root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if reaches_the_store(&text) {
            reaching.push(name);
        }
    }
    for name in &reaching {
        assert!(
            WIRING.contains(&name.as_str()),
            "{name} reaches the store directly: write its use case as an operation in hashwatch-operations"
        );
    }
    // The check sees what it looks for.
    for wiring in WIRING {
        assert!(
            reaching.iter().any(|r| r == wiring),
            "{wiring} opens the store"
        );
    }
}
