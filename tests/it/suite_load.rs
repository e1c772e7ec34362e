//! Loading suites from disk: a mistake in a suite file names the file, the
//! line and the key, and suggests the likely name; nothing runs.

use crate::support;

use ccgw_conformance::gateway::Fault;
use ccgw_conformance::schemas::Schemas;
use ccgw_conformance::suite::{SuiteError, SuiteSource, load_suite};
use rstest::rstest;
use std::path::{Path, PathBuf};

/// A copy of the embedded suite in a temp folder, to break on purpose.
pub(crate) fn suite_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/getconnectinfo"),
        dir.path(),
    );
    dir
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn load(dir: &Path) -> Result<ccgw_conformance::suite::Suite, SuiteError> {
    let (schemas, _) = support::suite();
    let faults: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
    load_suite(&SuiteSource::Dir(dir.to_owned()), schemas, &faults)
}

pub(crate) const GOOD: &str = r#"id = "method/get"
title = "GET is refused"
severity = "required"
requirements = ["REQ-METHOD"]
catches = ["method-any"]

[request]
method = "GET"

[expect]
outcome = "not_served"
http = "wrong_method"
"#;

#[test]
fn the_suite_on_disk_loads_like_the_embedded_one() {
    let dir = suite_copy();
    let from_disk = load(dir.path()).expect("copy loads");
    let (_, embedded) = support::suite();
    assert_eq!(from_disk.cases, embedded.cases);
    assert_eq!(from_disk.requirements, embedded.requirements);
}

#[rstest]
#[case::unknown_key(GOOD.replace("method = \"GET\"", "methd = \"GET\""), 8, "request.methd", "did you mean `method`?")]
#[case::wrong_type(GOOD.replace("severity = \"required\"", "severity = 3"), 3, "severity", "")]
#[case::bad_severity(GOOD.replace("severity = \"required\"", "severity = \"requried\""), 3, "severity", "")]
#[case::two_changes(GOOD.replace("method = \"GET\"", "method = \"GET\"\nguid = \"<absent>\""), 9, "request.guid", "exactly one thing")]
#[case::unknown_requirement(GOOD.replace("REQ-METHOD", "REQ-METHODS"), 4, "requirements.0", "did you mean `REQ-METHOD`?")]
#[case::unknown_fault(GOOD.replace("method-any", "method-anyy"), 5, "catches.0", "did you mean `method-any`?")]
#[case::unknown_http_set(GOOD.replace("wrong_method", "wrong_methods"), 12, "expect.http", "did you mean `wrong_method`?")]
#[case::id_not_path(GOOD.replace("id = \"method/get\"", "id = \"method/gett\""), 1, "id", "must match the file's path")]
#[case::syntax(GOOD.replace("[expect]", "[expect"), 10, "", "")]
#[case::bad_body_json(GOOD.replace("method = \"GET\"", "body_json = '{\"callid\": '"), 8, "request.body_json", "not valid JSON")]
fn a_broken_case_file_names_file_line_and_key(
    #[case] text: String,
    #[case] line: usize,
    #[case] key: &str,
    #[case] hint: &str,
) {
    let dir = suite_copy();
    let file: PathBuf = dir.path().join("method/get.toml");
    std::fs::write(&file, text).unwrap();
    let err = load(dir.path()).expect_err("a broken case must not load");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}:{line}:", file.display())),
        "{message}"
    );
    if !key.is_empty() {
        assert!(message.contains(&format!("key `{key}`")), "{message}");
    }
    assert!(message.contains(hint), "{message}");
    match err {
        SuiteError::Invalid { line: l, .. } => assert_eq!(l, line, "{message}"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_missing_requirements_file_is_named() {
    let dir = suite_copy();
    std::fs::remove_file(dir.path().join("requirements.toml")).unwrap();
    let message = load(dir.path()).unwrap_err().to_string();
    assert!(message.contains("requirements.toml: missing"), "{message}");
}

#[test]
fn an_expectations_entry_without_reference_is_refused() {
    let dir = suite_copy();
    let path = dir.path().join("expectations.toml");
    let text =
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen("reference = ", "# reference = ", 1);
    std::fs::write(&path, text).unwrap();
    let message = load(dir.path()).unwrap_err().to_string();
    assert!(message.contains("expectations.toml"), "{message}");
}

#[test]
fn a_schema_folder_with_a_broken_ref_fails_at_start() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas"),
        dir.path(),
    );
    let path = dir.path().join("success.schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("result.schema.json", "nowhere.schema.json");
    std::fs::write(&path, text).unwrap();
    let message = Schemas::from_dir(dir.path()).unwrap_err().to_string();
    assert!(message.contains("success.schema.json"), "{message}");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Mutations of a valid case file: a random slice replaced by random text.
    fn mutated() -> impl Strategy<Value = String> {
        let chars: Vec<char> = GOOD.chars().collect();
        let n = chars.len();
        (0..n, 0..40usize, ".{0,30}").prop_map(move |(at, len, insert)| {
            let end = (at + len).min(n);
            let mut text: String = chars[..at].iter().collect();
            text.push_str(&insert);
            text.extend(&chars[end..]);
            text
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Whatever a case file holds, loading it answers Ok or a located
        /// error, never a panic.
        #[test]
        fn malformed_case_files_never_panic(text in prop_oneof![mutated(), ".{0,200}"]) {
            // One copy for every iteration: only this test writes to it.
            static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
            let dir = DIR.get_or_init(suite_copy);
            std::fs::write(dir.path().join("method/get.toml"), &text).unwrap();
            match load(dir.path()) {
                Ok(_) => {}
                Err(SuiteError::Invalid { file, line, .. }) => {
                    prop_assert!(file.ends_with("get.toml"), "{file}");
                    prop_assert!(line >= 1 && line <= text.lines().count().max(1) + 1, "line {line}");
                }
                Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
            }
        }
    }
}
