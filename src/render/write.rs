//! [`write_all`]: renders every [`Format`] and writes each file atomically
//! (into `<name>.tmp` beside it, then renamed), so a reader never sees half a
//! report and a failed run never leaves a stale file looking fresh.

use super::Format;
use crate::report::RunReport;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writing the report files failed; names the path that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The report folder could not be created.
    #[error("create report folder `{}`", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A temporary file could not be created, written or flushed.
    #[error("write report file `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The temporary file could not be renamed over the report file.
    #[error("rename `{}` to `{}`", from.display(), path.display())]
    Rename {
        from: PathBuf,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl WriteError {
    /// The path that could not be created or written.
    pub fn path(&self) -> &Path {
        match self {
            WriteError::CreateDir { path, .. }
            | WriteError::Write { path, .. }
            | WriteError::Rename { path, .. } => path,
        }
    }
}

/// Creates `dir` (and its parents) and writes every format into it, in
/// [`Format::ALL`] order. Returns the paths written.
pub fn write_all(report: &RunReport, dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    fs::create_dir_all(dir).map_err(|source| WriteError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    Format::ALL
        .iter()
        .map(|format| {
            let path = dir.join(format.file_name());
            write_atomically(&path, format.render(report).as_bytes())?;
            Ok(path)
        })
        .collect()
}

/// Writes `contents` to `path.tmp`, flushes it to disk and renames it to `path`.
fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);

    let written = fs::File::create(&tmp).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    if let Err(source) = written {
        // Best effort: a leftover .tmp is harmless but untidy.
        let _ = fs::remove_file(&tmp);
        return Err(WriteError::Write { path: tmp, source });
    }
    fs::rename(&tmp, path).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        WriteError::Rename {
            from: tmp,
            path: path.to_path_buf(),
            source,
        }
    })
}
