//! The layers of `src/lib.rs`'s map, checked: each layer names only what it may use.

use std::path::{Path, PathBuf};

/// (files under `src/` this rule covers, paths those files must never mention)
const RULES: &[(&[&str], &[&str])] = &[
    (
        &["domain.rs", "domain/"],
        &[
            "crate::protocol",
            "crate::store",
            "crate::central",
            "crate::console",
            "crate::sim",
            "crate::embedded",
            "crate::assets",
            "egui",
            "tokio",
            "reqwest",
            "rusqlite",
            "axum",
        ],
    ),
    // Observation files are read into domain types only: no I/O, no database, no network.
    (
        &["formats.rs", "formats/"],
        &[
            "crate::protocol",
            "crate::store",
            "crate::central",
            "crate::console",
            "crate::sim",
            "crate::embedded",
            "crate::assets",
            "crate::cli",
            "std::fs",
            "std::net",
            "egui",
            "tokio",
            "reqwest",
            "rusqlite",
            "axum",
        ],
    ),
    (
        &["protocol.rs", "protocol/"],
        &[
            "crate::store",
            "crate::central",
            "crate::console",
            "crate::sim",
            "crate::embedded",
            "egui",
            "tokio",
            "reqwest",
            "rusqlite",
            "axum",
        ],
    ),
    // The central's store keeps the change log as protocol payloads; the cache does not.
    (
        &["store.rs", "store/"],
        &[
            "crate::central",
            "crate::console",
            "crate::sim",
            "crate::embedded",
            "egui",
            "tokio",
            "reqwest",
            "axum",
        ],
    ),
    (
        &[
            "store/cache.rs",
            "store/cache/",
            "store/observations.rs",
            "store/sqlite.rs",
        ],
        &["crate::protocol"],
    ),
    (
        &["console/ui.rs", "console/ui/"],
        &[
            "crate::store",
            "crate::protocol",
            "crate::central",
            "crate::sim",
            "crate::embedded",
            "console::backend",
            "tokio",
            "reqwest",
            "rusqlite",
            "axum",
        ],
    ),
    (
        &[
            "console/state.rs",
            "console/state/",
            "console/messages.rs",
            "console/messages/",
        ],
        &[
            "egui",
            "tokio",
            "reqwest",
            "rusqlite",
            "crate::store",
            "console::backend",
        ],
    ),
    (
        &["central.rs", "central/"],
        &["crate::console", "crate::sim", "egui"],
    ),
    (
        &["sim.rs", "sim/"],
        &[
            "crate::console",
            "crate::store",
            "crate::central",
            "egui",
            "rusqlite",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Code lines, without comments (doc comments may name other layers freely).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.split("//").next().unwrap_or("")))
        .filter(|(_, code)| !code.trim().is_empty())
}

#[test]
fn layers_only_use_what_they_may() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap();
        for (covered, forbidden) in RULES {
            if !covered
                .iter()
                .any(|prefix| relative == *prefix || relative.starts_with(prefix))
            {
                continue;
            }
            for (line, code) in code_lines(&text) {
                for name in *forbidden {
                    let mentions = code.match_indices(name).any(|(at, _)| {
                        // whole path segment: `tokio::`, `egui::`, not `tokio_stream` inside a word
                        let before = code[..at].chars().next_back();
                        let after = code[at + name.len()..].chars().next();
                        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    });
                    if mentions {
                        violations.push(format!(
                            "src/{relative}:{line} uses {name}: {}",
                            code.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}
