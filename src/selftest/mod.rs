//! Running the suite against the embedded reference gateway: the main
//! command's default target, the per-case tests and the fault matrix.

#[cfg(feature = "gateway")]
mod matrix;
#[cfg(feature = "gateway")]
mod session;
#[cfg(feature = "gateway")]
pub use matrix::{
    FaultRun, FaultRunError, FaultRunFinished, FaultRuns, PARALLEL_RUNS, run_fault_matrix,
};
#[cfg(feature = "gateway")]
pub use session::fast_dynamic;

#[cfg(feature = "gateway")]
use crate::contract::Profile;
use crate::gateway::Fault;
#[cfg(feature = "gateway")]
use crate::gateway::{self, GatewayConfig, GatewayError, RunningGateway};
use crate::redact::Redactor;
use crate::runner::Credentials;
#[cfg(feature = "gateway")]
use crate::runner::{Target, TlsSetup};
use std::collections::{BTreeMap, BTreeSet};

#[cfg(feature = "gateway")]
/// A started reference gateway and how to reach it.
pub struct Embedded {
    pub gateway: RunningGateway,
    pub target: Target,
    pub credentials: Credentials,
}

#[cfg(feature = "gateway")]
impl Embedded {
    /// A redactor that knows the gateway's secrets.
    pub fn redactor(&self) -> Redactor {
        redactor_for(&self.credentials)
    }
}

#[cfg(feature = "gateway")]
/// Starts the reference gateway for `profile` with `faults`, on 127.0.0.1
/// port 0, over HTTPS with its own certificate.
pub async fn start_embedded(
    profile: &Profile,
    faults: &[Fault],
    slow_delay: std::time::Duration,
) -> Result<Embedded, GatewayError> {
    start_embedded_with(GatewayConfig {
        faults: faults.to_vec(),
        agent_id_min: profile.agent_id_min,
        agent_id_max: profile.agent_id_max,
        slow_delay,
        ..GatewayConfig::default()
    })
    .await
}

#[cfg(feature = "gateway")]
/// Starts the reference gateway with `config` and says how to reach it.
pub async fn start_embedded_with(config: GatewayConfig) -> Result<Embedded, GatewayError> {
    let gateway = gateway::start(config).await?;
    let base_url = reqwest::Url::parse(&gateway.base_url).expect("the gateway's base URL parses");
    let tls = match &gateway.ca_cert_pem {
        Some(pem) => TlsSetup::CaPem(pem.clone().into_bytes()),
        None => TlsSetup::System,
    };
    let credentials = Credentials {
        agent_id: gateway.agent.agent_id.clone(),
        guid: gateway.agent.guid.clone(),
        callid: Some(gateway.agent.callid.clone()),
        other_agent_id: Some(gateway.other_agent.agent_id.clone()),
        other_guid: Some(gateway.other_agent.guid.clone()),
        other_callid: Some(gateway.other_agent.callid.clone()),
    };
    Ok(Embedded {
        gateway,
        target: Target {
            base_url,
            tls,
            client_identity: None,
        },
        credentials,
    })
}

/// A redactor for every secret in `credentials`.
pub fn redactor_for(credentials: &Credentials) -> Redactor {
    let redactor = Redactor::new();
    redactor.add_secret(&credentials.guid, "<guid>");
    for (value, placeholder) in [
        (&credentials.other_guid, "<other-guid>"),
        (&credentials.callid, "<callid>"),
        (&credentials.other_callid, "<other-callid>"),
    ] {
        if let Some(v) = value {
            redactor.add_secret(v, placeholder);
        }
    }
    redactor
}

/// One row of the fault matrix: a fault, the cases that name it, and the
/// cases that failed (or errored) with it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRow {
    pub fault: String,
    pub description: String,
    /// Cases whose `catches` name this fault.
    pub expected: BTreeSet<String>,
    /// Cases that failed or errored against the faulty gateway.
    pub caught_by: BTreeSet<String>,
    /// Check ids of all findings of the run.
    pub checks: BTreeSet<String>,
}

impl FaultRow {
    /// Cases that name the fault but did not catch it.
    pub fn missed(&self) -> Vec<&str> {
        self.expected
            .difference(&self.caught_by)
            .map(String::as_str)
            .collect()
    }
}

/// The fault matrix: for each fault, which cases catch it. Built from one run
/// per fault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultMatrix {
    pub rows: Vec<FaultRow>,
}

impl FaultMatrix {
    /// Faults that no case catches, or that a naming case misses.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for row in &self.rows {
            if row.expected.is_empty() {
                out.push(format!("fault `{}` is named by no case", row.fault));
            }
            if row.caught_by.is_empty() {
                out.push(format!("fault `{}` is caught by no case", row.fault));
            }
            for case in row.missed() {
                out.push(format!(
                    "case `{case}` names fault `{}` but passed against it",
                    row.fault
                ));
            }
        }
        out
    }

    /// Check ids that no fault run produced a finding for.
    pub fn unexercised_checks(&self) -> Vec<&'static str> {
        let seen: BTreeSet<&str> = self
            .rows
            .iter()
            .flat_map(|r| r.checks.iter().map(String::as_str))
            .collect();
        crate::checks::CheckId::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|c| !seen.contains(c))
            .collect()
    }

    /// Plain-text rendering: one line per fault.
    pub fn render(&self) -> String {
        let mut out =
            String::from("fault matrix (fault: cases that caught it; * = named by the case)\n");
        for row in &self.rows {
            // Cases that name the fault first; the others only counted past a few.
            let (named, others): (Vec<&String>, Vec<&String>) = row
                .caught_by
                .iter()
                .partition(|c| row.expected.contains(*c));
            let mut shown: Vec<String> = named.iter().map(|c| format!("{c}*")).collect();
            shown.extend(others.iter().take(3).map(|c| (*c).clone()));
            if others.len() > 3 {
                shown.push(format!("(+{} more)", others.len() - 3));
            }
            let status = if row.missed().is_empty() && !row.caught_by.is_empty() {
                "caught"
            } else {
                "MISSED"
            };
            out.push_str(&format!(
                "{:<28} {status:<7} {:>2} case(s): {}\n",
                row.fault,
                row.caught_by.len(),
                shown.join(" ")
            ));
        }
        let caught = self
            .rows
            .iter()
            .filter(|r| !r.caught_by.is_empty() && r.missed().is_empty())
            .count();
        out.push_str(&format!(
            "mutation score: {caught}/{} faults caught\n",
            self.rows.len()
        ));
        out
    }
}

/// Which cases name each fault.
pub fn cases_by_fault(suite: &crate::suite::Suite) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = Fault::all()
        .iter()
        .map(|f| (f.name().to_owned(), BTreeSet::new()))
        .collect();
    // Session faults are caught by the session's checks (a session-aware run).
    for check in crate::session::SESSION_CHECKS {
        for fault in check.catches {
            map.entry((*fault).to_owned())
                .or_default()
                .insert(check.id.to_owned());
        }
    }
    for case in &suite.cases {
        for fault in &case.catches {
            map.entry(fault.clone())
                .or_default()
                .insert(case.id.clone());
        }
    }
    map
}

/// A matrix row from a run against the gateway with `fault` on.
pub fn fault_row(
    suite: &crate::suite::Suite,
    fault: Fault,
    report: &crate::report::RunReport,
) -> FaultRow {
    use crate::report::Status;
    FaultRow {
        fault: fault.name().to_owned(),
        description: fault.description().to_owned(),
        expected: cases_by_fault(suite)
            .remove(fault.name())
            .unwrap_or_default(),
        caught_by: report
            .cases
            .iter()
            .filter(|c| matches!(c.status, Status::Failed | Status::Errored))
            .map(|c| c.id.clone())
            .collect(),
        checks: report
            .cases
            .iter()
            .flat_map(|c| c.findings.iter().map(|f| f.check.to_string()))
            .collect(),
    }
}

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
fn self_test_plan(
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
fn self_test_info(options: &SelfTestOptions, faults: &[Fault]) -> crate::report::RunInfo {
    crate::report::RunInfo {
        started_at: options.started_at.clone(),
        embedded_gateway: true,
        gateway_faults: faults.iter().map(|f| f.name().to_owned()).collect(),
        ..Default::default()
    }
}

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
