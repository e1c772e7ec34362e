//! Starting and stopping the reference gateway: configuration, the loopback
//! listener, the self-signed certificate and the server task.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use axum_server::Handle;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::task::JoinHandle;

use super::agent_id::{Bounds, parse_strict};
use super::behaviour::Behaviour;
use super::error::GatewayError;
use super::fault::Fault;
use super::handler;
use super::session::{AgentSession, SessionConfig};
use super::sniff::SniffAcceptor;
use super::state::{AgentCredentials, GatewayState};

/// How long [`RunningGateway::shutdown`] lets requests in flight finish.
const GRACE: Duration = Duration::from_secs(1);

/// How to start the reference gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    /// Serve plain HTTP instead of HTTPS.
    pub plain_http: bool,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// Address to listen on: 127.0.0.1 unless `serve --bind` says otherwise
    /// (e.g. 0.0.0.0 in a CI service container).
    pub host: std::net::IpAddr,
    /// Faults switched on (none: the documented behaviour).
    pub faults: Vec<Fault>,
    /// The signed-in agent, with a live call.
    pub agent_id: String,
    /// A second signed-in agent, with its own live call.
    pub other_agent_id: String,
    /// Smallest valid agentid.
    pub agent_id_min: u64,
    /// Largest valid agentid (59999; 999999 from AICC 25.200).
    pub agent_id_max: u64,
    /// Delay of the `slow` fault.
    pub slow_delay: Duration,
    /// Sign-in, Guid mode and timers, events, flow limit (see `session.rs`).
    pub session: SessionConfig,
    /// Require a client certificate signed by this CA (PEM): mutual TLS,
    /// see [`super::mtls`].
    pub client_ca_pem: Option<String>,
    /// The callids of the two agents' live calls (the agent's, the other
    /// agent's); `None` draws them at random at start.
    pub callids: Option<(String, String)>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            plain_http: false,
            port: 0,
            host: Ipv4Addr::LOCALHOST.into(),
            faults: Vec::new(),
            agent_id: "1001".to_owned(),
            other_agent_id: "1002".to_owned(),
            agent_id_min: 101,
            agent_id_max: 59999,
            slow_delay: Duration::from_secs(5),
            session: SessionConfig::default(),
            client_ca_pem: None,
            callids: None,
        }
    }
}

/// A gateway serving on 127.0.0.1 until [`shutdown`](Self::shutdown) or drop.
pub struct RunningGateway {
    /// `https://127.0.0.1:PORT` (or `http://`).
    pub base_url: String,
    /// The signed-in agent.
    pub agent: AgentCredentials,
    /// A second signed-in agent.
    pub other_agent: AgentCredentials,
    /// The self-signed certificate (PEM) to trust; `None` for plain HTTP.
    pub ca_cert_pem: Option<String>,
    addr: SocketAddr,
    state: Arc<GatewayState>,
    handle: Handle<SocketAddr>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for RunningGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningGateway")
            .field("base_url", &self.base_url)
            .field("agent", &self.agent)
            .field("other_agent", &self.other_agent)
            .finish_non_exhaustive()
    }
}

impl RunningGateway {
    /// The bound address (127.0.0.1 and the actual port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// getconnectinfo calls received so far (every agent).
    pub fn getconnectinfo_calls(&self) -> u64 {
        self.state
            .sessions
            .calls
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// getconnectinfo calls refused by the flow limit so far (every agent).
    pub fn flow_refusals(&self) -> u64 {
        self.state
            .sessions
            .refused
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Changes the flow limit of getconnectinfo from the next call on.
    pub fn set_flow_limit(&self, limit: Option<super::FlowLimit>) {
        self.state.sessions.set_flow_limit(limit);
    }

    /// The session state of `agent_id` now (signed in, sign-outs, polls...).
    pub fn agent_session(&self, agent_id: &str) -> Option<AgentSession> {
        self.state.sessions.view(agent_id)
    }

    /// Stops the gateway: requests in flight get 1 s, then the task is
    /// aborted. The port is free when this returns.
    pub async fn shutdown(mut self) {
        self.handle.graceful_shutdown(Some(GRACE));
        if let Some(mut task) = self.task.take() {
            let finished = tokio::time::timeout(GRACE + GRACE / 2, &mut task).await;
            if finished.is_err() {
                task.abort();
                let _ = task.await;
            }
        }
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            self.handle.shutdown();
            task.abort();
        }
    }
}

/// Starts the reference gateway on 127.0.0.1 (see the module doc of
/// [`crate::gateway`] for its behaviour).
pub async fn start(config: GatewayConfig) -> Result<RunningGateway, GatewayError> {
    // Another part of the process may have installed it already: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    check_config(&config)?;
    let behaviour = Behaviour::from_faults(&config.faults);
    let bounds = Bounds {
        lower_off: behaviour.lower_bound_off,
        upper_off: behaviour.upper_bound_off,
        ..Bounds::documented(config.agent_id_min, config.agent_id_max)
    };
    let state = GatewayState::new(
        behaviour,
        bounds,
        &config.agent_id,
        &config.other_agent_id,
        config.slow_delay,
        config.session.clone(),
        config.callids.clone(),
    )?;
    let (agent, other_agent) = (state.agent.clone(), state.other_agent.clone());
    let state = Arc::new(state);
    let app = handler::router(Arc::clone(&state)).into_make_service();

    let bind_error = |source| GatewayError::Bind {
        host: config.host,
        port: config.port,
        source,
    };
    let listener = TcpListener::bind((config.host, config.port)).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let server = axum_server::from_tcp(listener).map_err(bind_error)?;
    let handle = Handle::new();

    let (scheme, ca_cert_pem, task) = if config.plain_http {
        let server = server
            .acceptor(SniffAcceptor::new(NoDelayAcceptor::new()))
            .http1_only()
            .handle(handle.clone());
        ("http", None, tokio::spawn(server.serve(app)))
    } else {
        let (tls, pem) = tls_config(config.client_ca_pem.as_deref())?;
        let server = server
            .acceptor(SniffAcceptor::new(
                RustlsAcceptor::new(tls).acceptor(NoDelayAcceptor::new()),
            ))
            .http1_only()
            .handle(handle.clone());
        ("https", Some(pem), tokio::spawn(server.serve(app)))
    };

    Ok(RunningGateway {
        base_url: format!("{scheme}://{addr}"),
        agent,
        other_agent,
        ca_cert_pem,
        addr,
        state,
        handle,
        task: Some(task),
    })
}

fn check_config(config: &GatewayConfig) -> Result<(), GatewayError> {
    let (min, max) = (config.agent_id_min, config.agent_id_max);
    if min > max {
        return Err(GatewayError::Config(format!(
            "agent_id_min {min} is greater than agent_id_max {max}"
        )));
    }
    for (field, id) in [
        ("agent_id", &config.agent_id),
        ("other_agent_id", &config.other_agent_id),
    ] {
        if !parse_strict(id).is_some_and(|value| (min..=max).contains(&value)) {
            return Err(GatewayError::Config(format!(
                "{field} {id:?} is not a decimal agent id in {min}..={max}"
            )));
        }
    }
    if config.agent_id == config.other_agent_id {
        return Err(GatewayError::Config(format!(
            "agent_id and other_agent_id are both {:?}; they must differ",
            config.agent_id
        )));
    }
    if let Some((callid, other)) = &config.callids {
        let usable = |c: &str| !c.is_empty() && c.bytes().all(|b| b.is_ascii_graphic());
        if !usable(callid) || !usable(other) || callid == other {
            return Err(GatewayError::Config(format!(
                "callids {callid:?} and {other:?}: each must be printable ASCII without spaces, and they must differ"
            )));
        }
    }
    Ok(())
}

/// A fresh self-signed certificate for `127.0.0.1` and `localhost`, offered
/// with ALPN `http/1.1` only; returns the rustls config and the PEM.
fn tls_config(client_ca_pem: Option<&str>) -> Result<(RustlsConfig, String), GatewayError> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .map_err(GatewayError::Cert)?;
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(GatewayError::Tls)?
        .with_client_cert_verifier(super::mtls::client_verifier(client_ca_pem)?)
        .with_single_cert(vec![cert], key)
        .map_err(GatewayError::Tls)?;
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((
        RustlsConfig::from_config(Arc::new(server_config)),
        certified.cert.pem(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_mistakes_are_named() {
        let bad = |config: GatewayConfig| check_config(&config).unwrap_err().to_string();
        let text = bad(GatewayConfig {
            agent_id: "01001".into(),
            ..GatewayConfig::default()
        });
        assert!(text.contains("agent_id \"01001\""), "{text}");
        let text = bad(GatewayConfig {
            other_agent_id: "1001".into(),
            ..GatewayConfig::default()
        });
        assert!(text.contains("must differ"), "{text}");
        let text = bad(GatewayConfig {
            agent_id_min: 10,
            agent_id_max: 5,
            ..GatewayConfig::default()
        });
        assert!(text.contains("agent_id_min 10"), "{text}");
        assert!(check_config(&GatewayConfig::default()).is_ok());
    }
}
