//! Reading a baseline `report.json` written by an earlier run.
//!
//! The `format_version` is checked before the rest of the file, so a report
//! of another format says so instead of failing on some field deep inside.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::report::{FORMAT_VERSION, RunReport};

/// Why a report could not be loaded. Every message names the file.
///
/// Display text reads after "failed to ...".
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read (missing, a folder, no permission).
    #[error("read report {}: {cause}", path.display())]
    Read {
        /// The file given.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The file is not JSON, or not a JSON object.
    #[error("read report {}: not a JSON report ({cause}); give the report.json written by `run`", path.display())]
    NotJson {
        /// The file given.
        path: PathBuf,
        /// What the JSON parser said, with line and column.
        cause: serde_json::Error,
    },
    /// The report is of another format version (or has none).
    #[error("read report {}: {}", path.display(), version_problem(found.as_deref(), expected))]
    UnsupportedVersion {
        /// The file given.
        path: PathBuf,
        /// The `format_version` found, as JSON text; `None` when absent.
        found: Option<String>,
        /// The version this tool reads.
        expected: &'static str,
    },
    /// The report has the right version but does not fit the report model.
    #[error("read report {}: invalid report at `{at}`: {cause}", path.display())]
    Invalid {
        /// The file given.
        path: PathBuf,
        /// Path of the offending field inside the report, e.g. `cases[3].status`.
        at: String,
        /// What the JSON parser said, with line and column.
        cause: serde_json::Error,
    },
}

impl LoadError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Read { path, .. }
            | LoadError::NotJson { path, .. }
            | LoadError::UnsupportedVersion { path, .. }
            | LoadError::Invalid { path, .. } => path,
        }
    }
}

fn version_problem(found: Option<&str>, expected: &str) -> String {
    let what = match found {
        Some(v) => format!("format_version {v} is not supported"),
        None => "format_version is missing".to_owned(),
    };
    format!(
        "{what} (this tool reads format_version \"{expected}\"); run the baseline again with this version of the tool"
    )
}

/// Just enough of a report to read its version first.
#[derive(Deserialize)]
struct VersionProbe {
    #[serde(default)]
    format_version: Option<serde_json::Value>,
}

/// Reads a `report.json` written by `run` (format version
/// [`FORMAT_VERSION`]).
pub fn load_report(path: &Path) -> Result<RunReport, LoadError> {
    let bytes = crate::input::read_capped(path, crate::input::REPORT_LIMIT).map_err(|e| {
        LoadError::Read {
            path: path.to_owned(),
            cause: e.into_io(),
        }
    })?;
    let probe: VersionProbe =
        serde_json::from_slice(&bytes).map_err(|cause| LoadError::NotJson {
            path: path.to_owned(),
            cause,
        })?;
    match probe.format_version {
        Some(serde_json::Value::String(v)) if v == FORMAT_VERSION => {}
        found => {
            return Err(LoadError::UnsupportedVersion {
                path: path.to_owned(),
                found: found.map(|v| v.to_string()),
                expected: FORMAT_VERSION,
            });
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| LoadError::Invalid {
        path: path.to_owned(),
        at: e.path().to_string(),
        cause: e.into_inner(),
    })
}
