//! The session-aware self-test: a session fault can only be caught by a run
//! that drives a session, so the suite runs with `--sign-in` against the
//! reference gateway in fast dynamic mode and the session checks join the
//! report.

use super::embedded::start_embedded_with;
use super::options::{SelfTestError, SelfTestOptions};
use crate::contract::Profile;
use crate::gateway::{AuthMode, Fault, GatewayConfig, SessionConfig};
use crate::pipeline::RunSession;
use crate::report::RunReport;
use crate::runner::{EventListener, FlowControl};
use crate::session::{Session, SessionOptions, run_with_agent};
use crate::suite::{Case, Suite};
use std::time::Duration;

/// The password of the self-test's agent (a secret like any other).
const PASSWORD: &str = "self-test-password";

/// The fast dynamic mode of the self-test: a Guid interval of 300 ms, a
/// timeout of 1.5 s (the Guid a case carries is at most about 0.5 s old).
pub fn fast_dynamic() -> SessionConfig {
    SessionConfig {
        auth_mode: AuthMode::Dynamic,
        guid_interval: Duration::from_millis(300),
        guid_timeout: Duration::from_millis(1500),
        timeout_from_replacement: false,
        idle_sign_out: Duration::from_secs(10),
        poll_wait: Duration::from_millis(100),
        password: Some(PASSWORD.to_owned()),
        agent_signed_in: false,
        ..SessionConfig::default()
    }
}

/// Runs `cases` with a session against a fresh gateway in fast dynamic mode
/// with `faults` on; the session checks join the report. `listener` hears
/// the events of the cases (`RunFinished` before the session checks).
pub async fn run_with_session(
    suite: &Suite,
    schemas: &crate::schemas::Schemas,
    profile: &Profile,
    faults: &[Fault],
    cases: &[&Case],
    options: &SelfTestOptions,
    listener: &mut dyn EventListener,
) -> Result<RunReport, SelfTestError> {
    let session_config = fast_dynamic();
    let config = GatewayConfig {
        faults: faults.to_vec(),
        agent_id_min: profile.agent_id_min,
        agent_id_max: profile.agent_id_max,
        slow_delay: options.slow_delay,
        session: session_config.clone(),
        ..GatewayConfig::default()
    };
    let mut embedded = start_embedded_with(config).await?;
    let redactor = embedded.redactor();
    let mut session_options = SessionOptions::new(&embedded.credentials.agent_id, PASSWORD);
    session_options.poll_pause = Duration::from_millis(100);
    session_options.long_poll = session_config.poll_wait;
    session_options.guid_interval = Some(session_config.guid_interval);
    session_options.guid_timeout = Some(session_config.guid_timeout);
    session_options.timeout = options.timeout.max(Duration::from_secs(5));
    let mut session = match Session::sign_in(&embedded.target, session_options, &redactor).await {
        Ok(session) => session,
        Err(e) => {
            embedded.gateway.shutdown().await;
            return Err(SelfTestError::Session(e.to_string()));
        }
    };
    session.start_polling();
    embedded.credentials.guid = session.current_guid();
    let mut plan = super::options::self_test_plan(&embedded, suite, profile, options);
    plan.flow = FlowControl {
        guid: Some(session.guid()),
        ..FlowControl::default()
    };
    let run = RunSession {
        suite,
        schemas,
        cases: cases.to_vec(),
        plan,
        info: super::options::self_test_info(options, faults),
        redactor,
        baseline: None,
    };
    let (report, _) = run_with_agent(&run, Some(session), listener, std::future::pending()).await;
    embedded.gateway.shutdown().await;
    Ok(report?)
}
