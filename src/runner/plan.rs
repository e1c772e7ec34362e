//! What to run against: the target, the credentials and the knobs of a run.

use crate::contract::{Expectations, Profile};
use std::time::Duration;

/// How TLS is set up for the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetup {
    /// The system's trust store.
    System,
    /// Trust only this PEM bundle (`--ca-cert`, or the embedded gateway's certificate).
    CaPem(Vec<u8>),
    /// Accept any certificate (`--insecure`).
    Insecure,
}

/// The gateway under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL: scheme, host, port and an optional path prefix.
    pub base_url: reqwest::Url,
    pub tls: TlsSetup,
    /// A client certificate for mutual TLS (`--client-cert`, `--client-key`).
    pub client_identity: Option<super::tls::ClientIdentity>,
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

/// Everything one run needs besides the suite.
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
    pub connections: super::http::ConnectionPolicy,
    /// Largest response body read, in bytes.
    pub body_cap: usize,
    /// Start of the run (RFC 3339), injected so that tests control the clock.
    pub started_at: String,
    /// Whether the target is the embedded reference gateway.
    pub embedded_gateway: bool,
    /// Faults switched on in the embedded gateway.
    pub gateway_faults: Vec<String>,
    /// The `--only` pattern, if any.
    pub only: Option<String>,
    /// Flow control (retries, pacing) and the live session's Guid.
    pub flow: super::FlowControl,
}

/// The callid sent when no live call was given: the documentation's example.
pub const EXAMPLE_CALLID: &str = "1552524689-16797284";
/// A well-formed Guid that no gateway issued.
pub const UNKNOWN_GUID: &str = "00000000-0000-4000-8000-000000000000.AgentGateway1";
/// A well-formed callid of no live call.
pub const UNKNOWN_CALLID: &str = "9999999999-99999999";
