//! `list`: every case on its own line, or the JSON array, byte for byte as
//! the columns and `serde_json`'s pretty printer lay them out; what a
//! terminal would interpret in a suite's text is shown escaped.

use crate::suite_load::{GOOD, suite_copy};
use crate::support::{self, run_args};

use ccgw_conformance::contract::Severity;
use ccgw_conformance::suite::Case;
use serde_json::json;

#[test]
fn list_prints_one_aligned_line_per_case() {
    let out = run_args(&["list"]);
    assert_eq!(out.status.code(), Some(0));
    let expected: String = support::suite()
        .1
        .cases
        .iter()
        .map(|c| format!("{}\n", line_of(c)))
        .collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

/// The line `list` prints for `case`, before any escape.
pub(crate) fn line_of(case: &Case) -> String {
    let severity = match case.severity {
        Severity::Required => "required",
        Severity::Advisory => "advisory",
    };
    format!(
        "{:<34} {:<9} {:<40} {}",
        case.id,
        severity,
        case.requirements.join(","),
        case.title
    )
}

#[test]
fn list_json_is_the_pretty_printed_array() {
    let out = run_args(&["list", "--format", "json", "--only", "guid/*"]);
    assert_eq!(out.status.code(), Some(0));
    let items: Vec<serde_json::Value> = support::suite()
        .1
        .cases
        .iter()
        .filter(|c| c.id.starts_with("guid/"))
        .map(|c| {
            json!({
                "id": c.id,
                "family": c.family(),
                "title": c.title,
                "severity": c.severity,
                "requirements": c.requirements,
                "catches": c.catches,
                "file": c.file,
            })
        })
        .collect();
    let expected = serde_json::to_string_pretty(&serde_json::Value::Array(items)).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{expected}\n")
    );
}

#[test]
fn list_shows_control_characters_of_a_title_escaped() {
    let dir = suite_copy();
    let hostile = "GET \u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7} is \u{202e}refused\r";
    let text = GOOD.replace(
        "title = \"GET is refused\"",
        &format!("title = {}", toml::Value::String(hostile.to_owned())),
    );
    std::fs::write(dir.path().join("method/get.toml"), text).unwrap();
    let out = run_args(&["list", "--suite", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", support::output_text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("method/get "))
        .unwrap();
    assert!(
        line.ends_with("GET \\u001b[2J\\u001b]52;c;ZXZpbA==\\u0007 is \\u202erefused\\u000d"),
        "{line}"
    );
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\r'),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), support::suite().1.cases.len());
}
