//! Machine-readable output of `list` and `faults` (`--format json`), and the
//! temporary certificate file of `serve`.

use ccgw_conformance::console;
use ccgw_conformance::contract::Severity;
#[cfg(feature = "gateway")]
use ccgw_conformance::selftest::FaultMatrix;
use ccgw_conformance::suite::Case;
use serde::Serialize;
#[cfg(feature = "gateway")]
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write;
#[cfg(feature = "gateway")]
use std::path::{Path, PathBuf};

/// `list`: one line per case, aligned columns (id, severity,
/// requirements, title). What a terminal would interpret (controls, bidi
/// overrides) is shown escaped, as [`console::visible`] shows it.
pub fn write_cases_text(out: &mut impl Write, cases: &[&Case]) -> std::io::Result<()> {
    let mut line = String::new();
    for case in cases {
        line.clear();
        let severity = match case.severity {
            Severity::Required => "required",
            Severity::Advisory => "advisory",
        };
        let _ = write!(
            line,
            "{:<34} {:<9} {:<40} {}",
            case.id,
            severity,
            case.requirements.join(","),
            case.title
        );
        if line.chars().any(|c| console::needs_escape(c, false)) {
            writeln!(out, "{}", console::visible(&line, false))?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// `list --format json`: an array with one object per case (keys in
/// alphabetical order, as a `serde_json::Value` prints them), written as it
/// is serialized.
pub fn write_cases_json(out: &mut impl Write, cases: &[&Case]) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Item<'a> {
        catches: &'a [String],
        family: &'a str,
        file: &'a str,
        id: &'a str,
        requirements: &'a [String],
        severity: Severity,
        title: &'a str,
    }
    let items: Vec<Item<'_>> = cases
        .iter()
        .map(|c| Item {
            catches: &c.catches,
            family: c.family(),
            file: &c.file,
            id: &c.id,
            requirements: &c.requirements,
            severity: c.severity,
            title: &c.title,
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
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

#[cfg(feature = "gateway")]
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
