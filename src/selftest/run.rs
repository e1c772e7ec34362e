//! One run of the suite against the embedded gateway (the self-test).

#[cfg(feature = "gateway")]
use crate::contract::Profile;
use crate::gateway::Fault;

use super::embedded::start_embedded;
use super::options::{SelfTestError, SelfTestOptions, self_test_info, self_test_plan};
#[cfg(feature = "gateway")]
use super::session;

#[cfg(feature = "gateway")]
/// Runs `cases` (all of the suite when `None`) against a fresh reference
/// gateway with `faults` on, and stops the gateway; `listener` hears the
/// run's events. The options are adjusted for the faults (see
/// [`SelfTestOptions::for_faults`]).
pub async fn run_embedded(
    suite: &crate::suite::Suite,
    schemas: &crate::schemas::Schemas,
    profile: &Profile,
    faults: &[Fault],
    only: Option<&[&crate::suite::Case]>,
    options: &SelfTestOptions,
    listener: &mut dyn crate::runner::EventListener,
) -> Result<crate::report::RunReport, SelfTestError> {
    let all: Vec<&crate::suite::Case> = suite.cases.iter().collect();
    let cases = only.unwrap_or(&all);
    let options = options.clone().for_faults(faults, cases.len());
    if faults.iter().any(|f| f.is_session()) {
        return session::run_with_session(
            suite, schemas, profile, faults, cases, &options, listener,
        )
        .await;
    }
    let embedded = start_embedded(profile, faults, options.slow_delay).await?;
    let session = crate::pipeline::RunSession {
        suite,
        schemas,
        cases: cases.to_vec(),
        plan: self_test_plan(&embedded, suite, profile, &options),
        info: self_test_info(&options, faults),
        redactor: embedded.redactor(),
        baseline: None,
    };
    let report = crate::pipeline::run_session(&session, listener, std::future::pending()).await;
    embedded.gateway.shutdown().await;
    Ok(report?)
}
