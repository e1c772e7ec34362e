//! The reference gateway started in this process, and how to reach it.

#[cfg(feature = "gateway")]
use crate::contract::Profile;
#[cfg(feature = "gateway")]
use crate::gateway::Fault;
#[cfg(feature = "gateway")]
use crate::gateway::{self, GatewayConfig, GatewayError, RunningGateway};
use crate::redact::Redactor;
use crate::runner::Credentials;
#[cfg(feature = "gateway")]
use crate::runner::{Target, TlsSetup};

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
