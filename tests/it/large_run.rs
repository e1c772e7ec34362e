//! A run past the sizes where `run` changes how it keeps things: its case
//! evidence passes the 1 MiB held in memory (the cases held so far are
//! spilled, then every later one as it finishes), and the suite's cases are
//! freed before the reports are written. Every case keeps its evidence, in
//! every report.

use crate::suite_load::{GOOD, suite_copy};
use crate::support::{self, run_args};
use serde_json::Value;

/// Cases added to the default suite's copy.
const EXTRA: usize = 1000;
/// 50 bytes of a rationale.
const RATIONALE: &str = "A rationale long enough to weigh in the evidence. ";

#[test]
fn a_run_of_a_thousand_cases_keeps_every_case_whole() {
    let dir = suite_copy();
    std::fs::create_dir(dir.path().join("many")).unwrap();
    for i in 0..EXTRA {
        let id = format!("many/case-{i:04}");
        // A long rationale (a note of the result): the evidence passes
        // 1 MiB about halfway.
        let text = GOOD
            .replacen("id = \"method/get\"", &format!("id = \"{id}\""), 1)
            .replacen(
                "severity = ",
                &format!("rationale = \"{}\"\nseverity = ", RATIONALE.repeat(40)),
                1,
            );
        std::fs::write(dir.path().join(format!("{id}.toml")), text).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let run = run_args(&[
        "run",
        "--quiet",
        "--concurrency",
        "16",
        "--suite",
        dir.path().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", support::output_text(&run));

    let report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 52 + EXTRA);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        assert_eq!(case["status"], "passed", "{id}");
        assert!(case["request"].is_object(), "{id}: request evidence");
        assert!(
            case["response"]["headers"]
                .as_array()
                .is_some_and(|h| !h.is_empty()),
            "{id}: response headers"
        );
        assert!(
            case["expected"].as_str().is_some_and(|e| !e.is_empty()),
            "{id}: expectation"
        );
        if id.starts_with("many/") {
            assert_eq!(
                case["notes"][0].as_str().map(str::len),
                Some(RATIONALE.len() * 40),
                "{id}: its note"
            );
        }
    }
    // Every case, held and then spilled or spilled as it finished, with its
    // evidence in the JUnit file too.
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), 52 + EXTRA);
    assert_eq!(junit.matches("\nresponse: HTTP ").count(), 52 + EXTRA);
}
