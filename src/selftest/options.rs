//! What a self-test run is given, and the plan and facts it builds.

#[cfg(feature = "gateway")]
use super::embedded::Embedded;
#[cfg(feature = "gateway")]
use crate::contract::Profile;
use crate::gateway::Fault;
#[cfg(feature = "gateway")]
use crate::gateway::GatewayError;

/// Knobs of a self-test run.
#[derive(Debug, Clone)]
pub struct SelfTestOptions {
    /// Per-request timeout: a generous safety net, so that a loaded machine
    /// never turns an answer into a timeout.
    pub timeout: std::time::Duration,
    pub concurrency: usize,
    /// Keep-alive (default) or a new connection per case.
    pub connections: crate::runner::ConnectionPolicy,
    pub body_cap: usize,
    /// Delay of the `slow` fault; longer than `timeout`.
    pub slow_delay: std::time::Duration,
    pub started_at: String,
}

impl Default for SelfTestOptions {
    fn default() -> Self {
        SelfTestOptions {
            timeout: std::time::Duration::from_secs(30),
            concurrency: 4,
            connections: crate::runner::ConnectionPolicy::Reuse,
            body_cap: 1024 * 1024,
            slow_delay: std::time::Duration::from_secs(120),
            started_at: "1970-01-01T00:00:00Z".to_owned(),
        }
    }
}

impl SelfTestOptions {
    /// The options for a run of `cases` cases against `faults`. Only the
    /// `slow` fault is about time: its run gets a short timeout, and the
    /// gateway's delay stays far longer than it (the gateway is stopped at
    /// the end, so nobody waits for the delay), so its cases time out however
    /// loaded the machine is. They all go at once, so that the run lasts two
    /// timeouts (the control request that times out first, then the cases;
    /// after a control without an answer no other control is sent). Every
    /// other run keeps the generous timeout.
    pub fn for_faults(mut self, faults: &[Fault], cases: usize) -> Self {
        if faults.contains(&Fault::Slow) {
            self.timeout = std::time::Duration::from_secs(1);
            self.concurrency = cases.max(1);
            self.slow_delay = self.slow_delay.max(std::time::Duration::from_secs(120));
        }
        self
    }
}

#[cfg(feature = "gateway")]
/// A self-test run failed to start.
#[derive(Debug, thiserror::Error)]
pub enum SelfTestError {
    #[error("start the reference gateway: {0}")]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Run(#[from] crate::runner::RunError),
    #[error("start the agent session: {0}")]
    Session(String),
}

/// The plan of a self-test run against `embedded`, with the knobs of `options`.
#[cfg(feature = "gateway")]
pub(super) fn self_test_plan(
    embedded: &Embedded,
    suite: &crate::suite::Suite,
    profile: &Profile,
    options: &SelfTestOptions,
) -> crate::runner::RunPlan {
    let mut plan = crate::runner::RunPlan::new(
        embedded.target.clone(),
        embedded.credentials.clone(),
        profile.clone(),
        suite.expectations_for(profile),
    );
    plan.timeout = options.timeout;
    plan.concurrency = options.concurrency;
    plan.body_cap = options.body_cap;
    plan.connections = options.connections;
    plan
}

/// What the report of a self-test run with `faults` says about it.
#[cfg(feature = "gateway")]
pub(super) fn self_test_info(
    options: &SelfTestOptions,
    faults: &[Fault],
) -> crate::report::RunInfo {
    crate::report::RunInfo {
        started_at: options.started_at.clone(),
        embedded_gateway: true,
        gateway_faults: faults.iter().map(|f| f.name().to_owned()).collect(),
        ..Default::default()
    }
}
