//! What to run against: the target, the credentials and the knobs of a run.

use super::tls::{Target, TlsSetup};
use crate::contract::{Expectations, Profile};
use crate::report::{PlanFacts, TlsMode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How connections are used across the cases of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConnectionPolicy {
    /// Keep-alive: reuse a connection while its answers are clean.
    #[default]
    Reuse,
    /// A new connection (TCP and TLS) for every case.
    Fresh,
}

/// The credentials of the signed-in agent (and optionally of a second one).
#[derive(Clone, Default)]
pub struct Credentials {
    pub agent_id: String,
    pub guid: String,
    /// A live video call of the agent; success cases are skipped without it.
    pub callid: Option<String>,
    /// An in-range agent that is not the signed-in one.
    pub other_agent_id: Option<String>,
    /// The Guid of `other_agent_id`, for the Guid-binding cases.
    pub other_guid: Option<String>,
    /// A live call of the other agent.
    pub other_callid: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret, even in a debug dump.
        f.debug_struct("Credentials")
            .field("agent_id", &self.agent_id)
            .field("has_callid", &self.callid.is_some())
            .field("other_agent_id", &self.other_agent_id)
            .field("has_other_guid", &self.other_guid.is_some())
            .field("has_other_callid", &self.other_callid.is_some())
            .finish_non_exhaustive()
    }
}

/// Whether the agent's session still holds. The runner marks it lost when a
/// control request is refused for authentication; whatever keeps the session
/// alive (an event poll, a sign-in) can mark it lost too, from any task: the
/// runner then sends no further case and reports the cases since the last
/// good control that were refused for authentication as not assessed.
#[derive(Debug, Clone, Default)]
pub struct SessionHealth {
    lost: Arc<Mutex<Option<String>>>,
}

impl SessionHealth {
    /// Marks the session lost, with why (the first reason is kept).
    pub fn mark_lost(&self, why: impl Into<String>) {
        if let Ok(mut slot) = self.lost.lock() {
            slot.get_or_insert_with(|| why.into());
        }
    }

    /// Why the session was lost, if it was.
    pub fn lost(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|slot| slot.clone())
    }
}

/// Everything the runner needs besides the cases. Build it with
/// [`RunPlan::new`] and change the knobs that differ from the defaults.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub target: Target,
    pub credentials: Credentials,
    pub profile: Profile,
    pub expectations: Expectations,
    /// Per-request timeout, covering connect, headers and the whole body.
    pub timeout: Duration,
    /// How many cases run at once.
    pub concurrency: usize,
    /// Keep-alive (the default) or a new connection for every case.
    pub connections: ConnectionPolicy,
    /// Largest response body read, in bytes.
    pub body_cap: usize,
    /// A control request is sent after every this many cases (and at the
    /// start and the end).
    pub control_every: usize,
    /// Shared with whatever keeps the session alive.
    pub session: SessionHealth,
    /// Send control requests (on by default, always on in the CLI). Off only
    /// for targets that answer every request alike, as the tests of single
    /// answers use: a control is then meaningless.
    pub control: bool,
    /// Flow control (retries, pacing) and the live session's Guid.
    pub flow: super::FlowControl,
    /// Why the target is known to be down before the run (the sign-in got no
    /// answer): no case is sent, each is reported not run for this reason.
    pub known_down: Option<String>,
}

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default largest body read.
pub const DEFAULT_BODY_CAP: usize = 1024 * 1024;
/// Default number of cases between two control requests.
pub const DEFAULT_CONTROL_EVERY: usize = 20;

impl RunPlan {
    /// A plan with the default knobs: timeout 10 s, one case at a time, body
    /// cap 1 MiB, a control request every 20 cases.
    pub fn new(
        target: Target,
        credentials: Credentials,
        profile: Profile,
        expectations: Expectations,
    ) -> RunPlan {
        RunPlan {
            target,
            credentials,
            profile,
            expectations,
            timeout: DEFAULT_TIMEOUT,
            concurrency: 1,
            connections: ConnectionPolicy::Reuse,
            body_cap: DEFAULT_BODY_CAP,
            control_every: DEFAULT_CONTROL_EVERY,
            session: SessionHealth::default(),
            control: true,
            flow: super::FlowControl::default(),
            known_down: None,
        }
    }

    /// What the report says about this plan (no secret).
    pub fn facts(&self) -> PlanFacts {
        let tls = match (&self.target.tls, self.target.base_url.scheme()) {
            (_, "http") => TlsMode::PlainHttp,
            (TlsSetup::System, _) => TlsMode::Verified,
            (TlsSetup::CaPem(_), _) => TlsMode::CustomCa,
            (TlsSetup::Insecure, _) => TlsMode::Insecure,
        };
        PlanFacts {
            target: crate::report::display_target(&self.target.base_url),
            tls,
            fresh_connections: self.connections == ConnectionPolicy::Fresh,
            profile: self.profile.name.clone(),
            profile_title: self.profile.title.clone(),
            agent_id: self.credentials.agent_id.clone(),
            has_callid: self.credentials.callid.is_some(),
            expectations: self.expectations.records(),
            assumptions: self.assumptions(),
        }
    }

    /// What the run assumes where the documentation is silent, in words.
    fn assumptions(&self) -> Vec<String> {
        let p = &self.profile;
        let mut out = vec![
            format!("agentid range {}..={} from profile {} ({})", p.agent_id_min, p.agent_id_max, p.name, p.agent_id_reference),
            "an agentid is valid only as canonical ASCII decimal digits (no sign, no leading zero, no decimal part); Table 1 types it as a String".to_owned(),
            "ctime is a millisecond timestamp string (the API's general rule, cec_07_0584; its format is unpublished) ahead of the answer, by the tool's clock, within 100 years".to_owned(),
            format!(
                "ip and the domains' IP hosts are reachable (not unspecified, {}multicast, broadcast); Allow names POST, not GET/PUT/DELETE/PATCH; no answer carries a credential its request did not",
                if p.allow_loopback_media { "" } else { "loopback, " }
            ),
            "role, locationId, channelId, appId and signature are checked as non-empty strings only; their values are unpublished".to_owned(),
            "duplicate JSON keys are reported as a failure (RFC 8259: names SHOULD be unique; parsers keep one value silently)".to_owned(),
            "a value that breaks the stated format (e.g. a signaling domain without a port) is a failure, even where the page's own example shows one".to_owned(),
            "the Guid header is sent as `Guid` (title case) and, in the header-case case, as `guid`; other spellings cannot be sent".to_owned(),
            format!("`${{other_agent}}` is agent {}, assumed not to be signed in with this Guid", super::other_agent_id(self)),
        ];
        if self.credentials.callid.is_none() {
            out.push(format!(
                "no live callid was given: requests carry the documentation's example callid {EXAMPLE_CALLID} and cases that expect connection info are skipped"
            ));
            out.push("no live callid was given: the control request is the valid request with the example callid; a refusal with a call retcode (retcodes.call_refused) shows the Guid was accepted".to_owned());
        }
        if !self.control {
            out.push("--no-control: no control request was sent, so a refusal for authentication (an expired or wrong Guid) counts against the case that got it".to_owned());
        }
        if matches!(self.target.tls, TlsSetup::Insecure) {
            out.push("--insecure: the target's TLS certificate was NOT verified".to_owned());
        }
        out
    }
}

/// The callid sent when no live call was given: the documentation's example.
pub const EXAMPLE_CALLID: &str = "1552524689-16797284";
/// A well-formed Guid that no gateway issued.
pub const UNKNOWN_GUID: &str = "00000000-0000-4000-8000-000000000000.AgentGateway1";
/// A well-formed callid of no live call.
pub const UNKNOWN_CALLID: &str = "9999999999-99999999";
