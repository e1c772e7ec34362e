//! Writing the three renderings of a comparison to a folder.

use std::path::{Path, PathBuf};

use super::render;
use crate::report::Comparison;

/// Writes `comparison.md`, `comparison.html` and `comparison.json` into `dir`
/// (created if missing) and returns their paths in that order.
///
/// An I/O error names the file it is about.
pub fn write_comparison(c: &Comparison, dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    std::fs::create_dir_all(dir).map_err(|e| with_path(e, dir))?;
    let files = [
        ("comparison.md", render::markdown(c)),
        ("comparison.html", render::html(c)),
        ("comparison.json", render::json(c)),
    ];
    let mut written = Vec::with_capacity(files.len());
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| with_path(e, &path))?;
        written.push(path);
    }
    Ok(written)
}

/// Keeps the error kind and puts the path into the message.
fn with_path(e: std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("write {}: {e}", path.display()))
}
