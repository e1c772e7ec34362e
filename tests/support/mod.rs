//! Shared helpers of the integration tests: the suite loaded once, a tokio
//! runtime per test, and targets (the embedded reference gateway, or the one
//! named by `CCGW_TARGET`).

#![allow(dead_code)]

use ccgw_conformance::gateway::Fault;
use ccgw_conformance::report::RunReport;
use ccgw_conformance::schemas::Schemas;
use ccgw_conformance::selftest::{self, SelfTestOptions};
use ccgw_conformance::suite::{Case, Suite, SuiteSource, load_suite};
use std::sync::OnceLock;

/// The embedded schemas and suite, loaded once per test binary.
pub fn suite() -> &'static (Schemas, Suite) {
    static SUITE: OnceLock<(Schemas, Suite)> = OnceLock::new();
    SUITE.get_or_init(|| {
        let schemas = Schemas::embedded().expect("embedded schemas compile");
        let faults: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
        let suite =
            load_suite(&SuiteSource::Embedded, &schemas, &faults).expect("embedded suite loads");
        (schemas, suite)
    })
}

/// A current-thread runtime for one test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs `cases` against a fresh reference gateway with `faults` on.
pub fn run_reference(profile: &str, faults: &[Fault], cases: Option<&[&Case]>) -> RunReport {
    let (schemas, suite) = suite();
    let profile = suite.profile(profile).expect("profile exists");
    runtime()
        .block_on(selftest::run_embedded(
            suite,
            schemas,
            profile,
            faults,
            cases,
            &SelfTestOptions::default(),
        ))
        .expect("self-test run starts")
}
