//! Writing the three renderings of a comparison to a folder, as one set
//! (see [`crate::render::write_set`]).

use std::path::{Path, PathBuf};

use crate::render::comparison::render_files;
use crate::render::{COMPARISON_FILES, WriteError, write_set};
use crate::report::Comparison;

/// Writes `comparison.md`, `comparison.html` and `comparison.json` into `dir`
/// (created if missing) and returns their paths in that order.
///
/// An error names the file or folder it is about, with the OS cause as its source.
pub fn write_comparison(c: &Comparison, dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    write_set(dir, &render_files(c), &COMPARISON_FILES)
}
