//! Module docs show real output: every case id, requirement id and check id
//! quoted in a `//!` comment of `src/` exists in the suite or among the
//! checks, so a sample cannot drift into made-up ids (`auth/missing-guid`).

use crate::support;

use ccgw_conformance::checks::CheckId;
use regex::Regex;
use std::collections::BTreeSet;
use std::path::Path;

/// First path segments that name folders, media types or URL parts, not
/// case families: `schemas/report.schema.json`, `application/json`.
const NOT_A_FAMILY: [&str; 11] = [
    "agentgateway",
    "application",
    "fixtures",
    "http",
    "key",
    "new",
    "old",
    "schemas",
    "suites",
    "tests",
    "text",
];

/// The check-id namespaces; a token in one of them is a check id or an
/// expectation key (`http.wrong_method`).
const CHECK_PREFIXES: &str = "transport|body|http|envelope|outcome|retcode|refusal|result";

/// Every `//!` line of `src/`, with its file and line number.
fn module_doc_lines() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut lines = Vec::new();
    for file in support::rust_files(&src) {
        let text = std::fs::read_to_string(&file).expect("a source file is readable");
        for (n, line) in text.lines().enumerate() {
            if let Some(doc) = line.trim_start().strip_prefix("//!") {
                let at = format!("{}:{}", file.display(), n + 1);
                lines.push((at, doc.to_owned()));
            }
        }
    }
    lines
}

/// The ids quoted in `text`: (case ids, requirement ids, dotted check tokens).
fn quoted_ids(text: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let case =
        Regex::new(r"(?:^|[^A-Za-z0-9_./-])([a-z][a-z0-9-]*/[a-z0-9][a-z0-9-]*)").expect("regex");
    let requirement = Regex::new(r"\bREQ-[A-Z0-9-]*[A-Z0-9]").expect("regex");
    let check = Regex::new(&format!(
        r"(?:^|[^A-Za-z0-9_./-])((?:{CHECK_PREFIXES})\.[a-z_]+)"
    ))
    .expect("regex");
    let after_ok = |end: usize| {
        text[end..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')))
    };
    let cases = case
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .filter(|m| after_ok(m.end()))
        .map(|m| m.as_str().trim_start_matches("case-").to_owned())
        .filter(|id| !NOT_A_FAMILY.contains(&id.split('/').next().unwrap_or_default()))
        .collect();
    let requirements = requirement
        .find_iter(text)
        .map(|m| m.as_str().to_owned())
        .collect();
    let checks = check
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .filter(|m| after_ok(m.end()))
        .map(|m| m.as_str().to_owned())
        .collect();
    (cases, requirements, checks)
}

#[test]
fn module_docs_quote_only_ids_that_exist() {
    let (_, suite) = support::suite();
    let mut case_ids: BTreeSet<&str> = suite.cases.iter().map(|c| c.id.as_str()).collect();
    // The session's checks are cases too (family `session`), defined in code.
    case_ids.extend(
        ccgw_conformance::session::SESSION_CHECKS
            .iter()
            .map(|c| c.id),
    );
    let requirement_ids: BTreeSet<&str> =
        suite.requirements.iter().map(|r| r.id.as_str()).collect();
    let expectation_keys: BTreeSet<&str> = suite.expectations.keys().collect();
    let mut unknown = Vec::new();
    let mut seen = 0;
    for (at, line) in module_doc_lines() {
        let (cases, requirements, checks) = quoted_ids(&line);
        seen += cases.len() + requirements.len() + checks.len();
        for id in cases {
            if !case_ids.contains(id.as_str()) {
                unknown.push(format!("{at}: case `{id}`"));
            }
        }
        for id in requirements {
            if !requirement_ids.contains(id.as_str()) {
                unknown.push(format!("{at}: requirement `{id}`"));
            }
        }
        for id in checks {
            if id.parse::<CheckId>().is_err() && !expectation_keys.contains(id.as_str()) {
                unknown.push(format!("{at}: check `{id}`"));
            }
        }
    }
    assert!(seen > 10, "module docs quote ids ({seen} seen)");
    assert!(
        unknown.is_empty(),
        "module docs quote ids that do not exist:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn the_reader_finds_made_up_ids() {
    let (cases, requirements, checks) = quoted_ids(
        r##"<a href="#case-auth/missing-guid">`REQ-AUTH`</a> [envelope.retcode] application/json schemas/envelope.schema.json result.userId"##,
    );
    assert_eq!(cases, ["auth/missing-guid"]);
    assert_eq!(requirements, ["REQ-AUTH"]);
    assert_eq!(checks, ["envelope.retcode"]);
}
