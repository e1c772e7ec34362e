//! Expectation names are resolved once, at load: a name the runner or a case
//! uses that the suite does not define is a load error naming the file and
//! the key, never a silent fallback to HTTP 200 or an empty retcode list.

use crate::support;

use ccgw_conformance::contract::{OutcomePolicy, StatusSet};
use ccgw_conformance::gateway::Fault;
use ccgw_conformance::suite::{OutcomeRule, SuiteError, SuiteSource, load_suite};
use rstest::rstest;
use std::path::Path;

/// A copy of the embedded suite whose `expectations.toml` lacks `[kind.name]`.
fn suite_without(kind: &str, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/getconnectinfo");
    crate::suite_load::copy_dir(&from, dir.path());
    let path = dir.path().join("expectations.toml");
    let text = std::fs::read_to_string(&path).expect("expectations.toml");
    let mut value: toml::Table = text.parse().expect("expectations.toml parses");
    let removed = value
        .get_mut(kind)
        .and_then(|t| t.as_table_mut())
        .and_then(|t| t.remove(name));
    assert!(removed.is_some(), "the suite defines {kind}.{name}");
    std::fs::write(&path, toml::to_string(&value).expect("serializes")).expect("write");
    dir
}

fn load_error(dir: &Path) -> SuiteError {
    let (schemas, _) = support::suite();
    let faults: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
    load_suite(&SuiteSource::Dir(dir.to_owned()), schemas, &faults)
        .expect_err("a suite without a name it uses does not load")
}

/// The names the runner itself uses, and names that only cases use.
#[rstest]
#[case::documented("retcodes", "documented", "expectations.toml")]
#[case::auth("retcodes", "auth", "expectations.toml")]
#[case::invalid_parameter("retcodes", "invalid_parameter", "expectations.toml")]
#[case::success("http", "success", "expectations.toml")]
#[case::refusal("http", "refusal", "expectations.toml")]
#[case::call_refused("retcodes", "call_refused", ".toml")]
#[case::wrong_method("http", "wrong_method", ".toml")]
#[case::content_type("policy", "content_type", ".toml")]
fn a_missing_name_is_a_load_error(#[case] kind: &str, #[case] name: &str, #[case] file: &str) {
    let dir = suite_without(kind, name);
    let message = load_error(dir.path()).to_string();
    assert!(message.contains(file), "names the file: {message}");
    assert!(message.contains(name), "names `{name}`: {message}");
}

/// Every case's names resolve to values in every profile: no case falls back.
#[test]
fn every_name_a_case_uses_has_a_value_in_every_profile() {
    let (_, suite) = support::suite();
    let mut used = 0;
    for profile in &suite.profiles {
        let exp = &profile.expectations;
        let builtin = exp.builtin();
        assert!(!exp.retcodes(&builtin.documented).is_empty());
        assert!(!exp.retcodes(&builtin.auth).is_empty());
        assert!(exp.statuses(&builtin.success).contains(200));
        for case in &suite.cases {
            if let Some(set) = &case.expect.retcodes {
                assert!(!exp.retcodes(set).is_empty(), "{}: {}", case.id, set.key());
                used += 1;
            }
            if let Some(set) = &case.expect.http {
                let _: &StatusSet = exp.statuses(set);
                used += 1;
            }
            if let OutcomeRule::Policy(policy) = &case.expect.outcome {
                let _: OutcomePolicy = exp.policy(policy);
                used += 1;
            }
        }
    }
    assert!(used > 0, "the suite's cases name expectation sets");
}
