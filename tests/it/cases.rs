//! One test per suite case (rstest over the case files), each recording its
//! normalized result as an insta snapshot.
//!
//! By default every case runs against the embedded reference gateway and must
//! pass. With `CCGW_TARGET` set (and `CCGW_AGENT_ID`, `CCGW_GUID`, optionally
//! `CCGW_CALLID`, `CCGW_OTHER_*`, `CCGW_CA_CERT`/`CCGW_INSECURE`, `CCGW_PROFILE`),
//! the cases run against that gateway instead and their snapshots are kept apart
//! under `snapshots/targets/<label>/` (`CCGW_TARGET_LABEL`, default host_port), so
//! that a vendor sees in `cargo insta review` exactly what a gateway upgrade
//! changed.

use crate::support;

use ccgw_conformance::report::{CaseResult, Status};
use ccgw_conformance::runner::{Credentials, RunPlan, Target, TlsSetup};
use ccgw_conformance::selftest;
use rstest::rstest;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The external target from the environment, if one is configured.
fn external() -> Option<(Target, Credentials, String, String)> {
    let url = std::env::var("CCGW_TARGET")
        .ok()
        .filter(|v| !v.is_empty())?;
    let base_url = reqwest::Url::parse(&url).expect("CCGW_TARGET is a URL");
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let tls = match (
        var("CCGW_CA_CERT"),
        var("CCGW_INSECURE").is_some_and(|v| v != "0" && v != "false"),
    ) {
        (Some(path), _) => TlsSetup::CaPem(std::fs::read(path).expect("CCGW_CA_CERT is readable")),
        (None, true) => TlsSetup::Insecure,
        (None, false) => TlsSetup::System,
    };
    let credentials = Credentials {
        agent_id: var("CCGW_AGENT_ID").expect("CCGW_TARGET needs CCGW_AGENT_ID"),
        guid: var("CCGW_GUID").expect("CCGW_TARGET needs CCGW_GUID"),
        callid: var("CCGW_CALLID"),
        other_agent_id: var("CCGW_OTHER_AGENT_ID"),
        other_guid: var("CCGW_OTHER_GUID"),
        other_callid: var("CCGW_OTHER_CALLID"),
    };
    let label = var("CCGW_TARGET_LABEL").unwrap_or_else(|| {
        format!(
            "{}_{}",
            base_url.host_str().unwrap_or("target"),
            base_url.port_or_known_default().unwrap_or(0)
        )
    });
    let profile = var("CCGW_PROFILE").unwrap_or_else(|| "cec-23".to_owned());
    Some((
        Target {
            base_url,
            tls,
            client_identity: None,
        },
        credentials,
        label,
        profile,
    ))
}

/// Runs the case of `path` and returns its result.
fn run_case(path: &Path) -> (CaseResult, Option<String>) {
    let (_, suite) = support::suite();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/getconnectinfo");
    let id = path
        .strip_prefix(&root)
        .expect("case under the suite")
        .with_extension("")
        .to_string_lossy()
        .replace('\\', "/");
    let case = suite
        .cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} is not in the embedded suite"));

    let Some((target, credentials, label, profile_name)) = external() else {
        let report = support::run_reference("cec-23", &[], Some(&[case]));
        return (report.cases.into_iter().next().expect("one case"), None);
    };
    let profile = suite
        .profile(&profile_name)
        .expect("CCGW_PROFILE names a profile")
        .clone();
    let expectations = suite.expectations_for(&profile);
    let mut plan = RunPlan::new(target, credentials.clone(), profile, expectations);
    plan.timeout = Duration::from_secs(10);
    let redactor = selftest::redactor_for(&credentials);
    let report = support::runtime().block_on(support::run_plan(
        &plan,
        &[case],
        &redactor,
        Default::default(),
    ));
    (
        report.cases.into_iter().next().expect("one case"),
        Some(label),
    )
}

#[rstest]
fn case(
    #[files("suites/getconnectinfo/*/*.toml")]
    #[exclude("/profiles/")]
    path: PathBuf,
) {
    let (result, label) = run_case(&path);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(result.id.replace('/', "__"));
    settings.set_prepend_module_to_snapshot(false);
    settings.add_redaction(".duration_ms", "[duration]");
    settings.add_redaction(".duration_us", "[duration]");
    if let Some(label) = &label {
        settings.set_snapshot_path(format!("snapshots/targets/{label}"));
    }
    settings.bind(|| insta::assert_yaml_snapshot!("case", result));
    if label.is_none() {
        assert_eq!(
            result.status,
            Status::Passed,
            "{} must pass against the reference gateway: {:?}\n{:#?}",
            result.id,
            result.reason,
            result.findings
        );
    }
}
