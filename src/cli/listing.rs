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
use std::io::Write;
#[cfg(feature = "gateway")]
use std::path::{Path, PathBuf};

/// Lines of `list` formatted at a time; a listing of more than two such
/// shares is formatted on two threads.
const SHARE_LINES: usize = 2048;

/// `list`: one line per case, aligned columns (id, severity,
/// requirements, title). What a terminal would interpret (controls, bidi
/// overrides) is shown escaped, as [`console::visible`] shows it.
///
/// A long listing is formatted in shares, every other share on a second
/// thread, and written in order: at most a few shares are held at once.
pub fn write_cases_text(out: &mut impl Write, cases: &[&Case]) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || cases.len() <= 2 * SHARE_LINES {
        return write_lines(out, cases);
    }
    let shares: Vec<&[&Case]> = cases.chunks(SHARE_LINES).collect();
    std::thread::scope(|scope| {
        let (formatted, take) = std::sync::mpsc::sync_channel::<Vec<u8>>(1);
        let odd = &shares;
        scope.spawn(move || {
            for share in odd.iter().skip(1).step_by(2) {
                let mut bytes = Vec::new();
                // Writing to a vector cannot fail.
                let _ = write_lines(&mut bytes, share);
                // A listing that stopped (a closed pipe) takes no more.
                if formatted.send(bytes).is_err() {
                    break;
                }
            }
        });
        let mut own = Vec::new();
        for (i, share) in shares.iter().enumerate() {
            if i % 2 == 0 {
                own.clear();
                write_lines(&mut own, share)?;
                out.write_all(&own)?;
            } else {
                let bytes = take
                    .recv()
                    .map_err(|_| std::io::Error::other("the listing thread stopped"))?;
                out.write_all(&bytes)?;
            }
        }
        Ok(())
    })
}

/// The lines of `cases`, one after the other.
fn write_lines(out: &mut impl Write, cases: &[&Case]) -> std::io::Result<()> {
    let mut line = String::new();
    for case in cases {
        line.clear();
        case_line(
            &mut line,
            &case.id,
            case.severity.as_str(),
            &case.requirements,
            &case.title,
        );
        // Printable ASCII needs no escape: most lines are not looked at
        // character by character.
        let plain = line.bytes().all(|b| (b' '..=b'~').contains(&b));
        if plain || !line.chars().any(|c| console::needs_escape(c, false)) {
            line.push('\n');
            out.write_all(line.as_bytes())?;
        } else {
            writeln!(out, "{}", console::visible(&line, false))?;
        }
    }
    Ok(())
}

/// One line of `list` as `format!("{:<34} {:<9} {:<40} {}", id, severity,
/// requirements.join(","), title)` writes it, without the formatting
/// machinery or a joined string (50 000 lines are a serial tail of `list`).
fn case_line(line: &mut String, id: &str, severity: &str, requirements: &[String], title: &str) {
    /// Pads what `line` holds from `start` to `width` characters, as `{:<width}` does.
    fn pad(line: &mut String, start: usize, width: usize) {
        let written = line[start..].chars().count();
        line.extend(std::iter::repeat_n(' ', width.saturating_sub(written)));
    }
    line.push_str(id);
    pad(line, 0, 34);
    line.push(' ');
    let start = line.len();
    line.push_str(severity);
    pad(line, start, 9);
    line.push(' ');
    let start = line.len();
    for (i, requirement) in requirements.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(requirement);
    }
    pad(line, start, 40);
    line.push(' ');
    line.push_str(title);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_line_is_what_the_format_string_writes() {
        let samples: [(&str, &[&str], &str); 5] = [
            ("method/get", &["REQ-METHOD"], "GET is refused"),
            ("a-very-long-family-name-indeed/and-a-long-name", &[], ""),
            ("é/ü", &["REQ-É", "REQ-Ü"], "title \u{1b}[2J ☃"),
            (
                "x",
                &["R-1", "R-2", "R-3", "R-4", "R-5", "R-6", "R-7", "R-8"],
                "t",
            ),
            ("αβγδεζηθικλμνξοπρστυφχψω/αβγδεζηθικ", &["Ω"; 13], "\t"),
        ];
        for (id, requirements, title) in samples {
            let requirements: Vec<String> = requirements.iter().map(|r| r.to_string()).collect();
            for severity in ["required", "advisory", "x"] {
                let mut line = String::new();
                case_line(&mut line, id, severity, &requirements, title);
                let expected = format!(
                    "{:<34} {:<9} {:<40} {}",
                    id,
                    severity,
                    requirements.join(","),
                    title
                );
                assert_eq!(line, expected);
            }
        }
    }
}
