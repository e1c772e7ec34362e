//! Machine-readable output of `list` and `faults` (`--format json`), and the
//! temporary certificate file of `serve`.

#[cfg(feature = "gateway")]
use ccgw_conformance::selftest::FaultMatrix;
use ccgw_conformance::suite::Case;
use serde_json::json;
#[cfg(feature = "gateway")]
use std::path::{Path, PathBuf};

/// `list --format json`: an array with one object per case.
pub fn cases_json(cases: &[&Case]) -> String {
    let items: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "family": c.family,
                "title": c.title,
                "severity": c.severity,
                "requirements": c.requirements,
                "catches": c.catches,
                "file": c.file,
            })
        })
        .collect();
    pretty(&serde_json::Value::Array(items))
}

#[cfg(feature = "gateway")]
/// `faults --format json`: one object per fault, the score and the problems.
pub fn fault_matrix_json(matrix: &FaultMatrix, problems: &[String]) -> String {
    let faults: Vec<serde_json::Value> = matrix
        .rows
        .iter()
        .map(|row| {
            json!({
                "fault": row.fault,
                "description": row.description,
                "caught": !row.caught_by.is_empty() && row.missed().is_empty(),
                "named_by": row.expected,
                "caught_by": row.caught_by,
                "missed_by": row.missed(),
                "checks": row.checks,
            })
        })
        .collect();
    let caught = faults.iter().filter(|f| f["caught"] == true).count();
    pretty(&json!({
        "faults": faults,
        "caught": caught,
        "total": matrix.rows.len(),
        "problems": problems,
    }))
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

#[cfg(feature = "gateway")]
/// A file in the temporary folder, removed on drop.
pub struct TemporaryFile(PathBuf);

#[cfg(feature = "gateway")]
impl TemporaryFile {
    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

#[cfg(feature = "gateway")]
impl Drop for TemporaryFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(feature = "gateway")]
/// Writes `pem` to a new file in the temporary folder (never one that
/// exists: another user's file of that name is not overwritten).
pub fn temporary_cert(pem: &str) -> std::io::Result<TemporaryFile> {
    use std::io::Write;
    let dir = std::env::temp_dir();
    let mut attempt = 0u32;
    loop {
        let path = dir.join(format!("ccgw-gateway-{}-{attempt}.pem", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                let guard = TemporaryFile(path);
                file.write_all(pem.as_bytes())?;
                return Ok(guard);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
