//! Writing the three renderings of a comparison to a folder, as one set
//! (see [`crate::render::write_set`]).

use std::path::{Path, PathBuf};

use super::render;
use crate::render::{COMPARISON_FILES, WriteError, write_set};
use crate::report::Comparison;

/// The comparison's files: `comparison.md`, `comparison.html` and
/// `comparison.json`, with their contents.
pub fn render_files(c: &Comparison) -> Vec<(&'static str, String)> {
    vec![
        ("comparison.md", render::markdown(c)),
        ("comparison.html", render::html(c)),
        ("comparison.json", render::json(c)),
    ]
}

/// Writes `comparison.md`, `comparison.html` and `comparison.json` into `dir`
/// (created if missing) and returns their paths in that order.
///
/// An error names the file or folder it is about, with the OS cause as its source.
pub fn write_comparison(c: &Comparison, dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    write_set(dir, &render_files(c), &COMPARISON_FILES)
}
