//! What the gateway knows: signed-in agents (Guid -> agent id), live calls
//! (agent id -> callid), and the per-start secrets, all drawn from the
//! system's random source at start.

use std::fmt;
use std::time::Duration;

use ring::rand::SystemRandom;

use super::GatewayError;
use super::agent_id::Bounds;
use super::behaviour::Behaviour;
use super::draw::{hex, new_callid, new_guid, random_bytes};
use super::session::{GuidLookup, SessionConfig, Sessions};

/// A signed-in agent as a client sees it: its id, its Guid and its live call.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentCredentials {
    /// The agent id, e.g. `1001`.
    pub agent_id: String,
    /// The Guid header value (a secret), e.g. `xxxxxxxx-...-xxxxxxxxxxxx.AgentGateway1`.
    pub guid: String,
    /// The agent's live call, e.g. `1552524689-16797284`.
    pub callid: String,
}

impl fmt::Debug for AgentCredentials {
    // The Guid is a secret: never printed, not even in a test failure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentCredentials")
            .field("agent_id", &self.agent_id)
            .field("guid", &"<redacted>")
            .field("callid", &self.callid)
            .finish()
    }
}

/// Shared state of one running gateway.
#[derive(Debug)]
pub(crate) struct GatewayState {
    pub(crate) behaviour: Behaviour,
    /// Bounds used on the getconnectinfo route (faults applied).
    pub(crate) bounds: Bounds,
    /// Bounds used by the sign-in emulation (documented, no faults).
    pub(crate) sign_in_bounds: Bounds,
    pub(crate) agent: AgentCredentials,
    pub(crate) other_agent: AgentCredentials,
    pub(crate) signature: String,
    pub(crate) slow_delay: Duration,
    pub(crate) sessions: Sessions,
    pub(crate) random: SystemRandom,
}

impl GatewayState {
    /// Draws the secrets and signs the two configured agents in.
    pub(crate) fn new(
        behaviour: Behaviour,
        bounds: Bounds,
        agent_id: &str,
        other_agent_id: &str,
        slow_delay: Duration,
        session: SessionConfig,
        callids: Option<(String, String)>,
    ) -> Result<Self, GatewayError> {
        let random = SystemRandom::new();
        let mut agent = AgentCredentials {
            agent_id: agent_id.to_owned(),
            guid: new_guid(&random, "AgentGateway1")?,
            callid: new_callid(&random)?,
        };
        let mut other_agent = AgentCredentials {
            agent_id: other_agent_id.to_owned(),
            guid: new_guid(&random, "AgentGateway1")?,
            callid: new_callid(&random)?,
        };
        while other_agent.callid == agent.callid {
            other_agent.callid = new_callid(&random)?;
        }
        if let Some((callid, other)) = callids {
            (agent.callid, other_agent.callid) = (callid, other);
        }
        let signature = hex(&random_bytes::<16>(&random)?);
        let sessions = Sessions::new(
            session,
            behaviour.session,
            (&agent.agent_id, &agent.guid),
            (&other_agent.agent_id, &other_agent.guid),
        );
        Ok(GatewayState {
            behaviour,
            bounds,
            sign_in_bounds: Bounds::documented(bounds.min, bounds.max),
            agent,
            other_agent,
            signature,
            slow_delay,
            sessions,
            random,
        })
    }

    /// Who a Guid was issued to; `None` if the session table is unusable.
    pub(crate) fn lookup_guid(&self, guid: &str) -> Option<GuidLookup> {
        self.sessions.lookup(guid)
    }

    /// The live call of `agent_id`: only the two configured agents have one
    /// (the first one as the session configuration says).
    pub(crate) fn live_call(&self, agent_id: &str) -> Option<&str> {
        [&self.agent, &self.other_agent]
            .into_iter()
            .find(|agent| agent.agent_id == agent_id && self.sessions.has_call(agent_id))
            .map(|agent| agent.callid.as_str())
    }

    /// The agent whose live call is `callid`, if any.
    pub(crate) fn call_owner(&self, callid: &str) -> Option<&str> {
        [&self.agent, &self.other_agent]
            .into_iter()
            .find(|agent| agent.callid == callid && self.sessions.has_call(&agent.agent_id))
            .map(|agent| agent.agent_id.as_str())
    }

    /// The configured agent that is not `agent_id` (for `user-id-mismatch`).
    pub(crate) fn other_than(&self, agent_id: &str) -> &str {
        if self.other_agent.agent_id == agent_id {
            &self.agent.agent_id
        } else {
            &self.other_agent.agent_id
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_guid() {
        let creds = AgentCredentials {
            agent_id: "1001".into(),
            guid: "secret-guid".into(),
            callid: "1-2".into(),
        };
        assert!(!format!("{creds:?}").contains("secret-guid"));
    }
}
