//! Sending one request: reqwest over rustls (ring), HTTP/1.1 only, redirects
//! never followed, every byte under one timeout, the body capped.
//!
//! Connections are kept alive and reused between cases, as real clients of
//! the gateway do: a new TCP connection and TLS handshake per case cost more
//! than the rest of a run. A case gets a fresh connection when its plan says
//! so (`--fresh-connections`, or a case marked `fresh_connection`), and so
//! does the case after a transport anomaly (a timeout, a transport error, a
//! body over the cap). The connection that carried the broken answer is
//! closed, never pooled (hyper pools only connections whose answer was read
//! whole and framed right); the fresh connection after it makes sure that
//! nothing the broken answer left behind reaches the next case
//! (`tests/it/keepalive.rs`).

use super::plan::ConnectionPolicy;
use super::request::Prepared;
use super::tls::{Target, TlsSetup};
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The clients of a run: header names in title case (`Guid`, as the
/// documentation writes them) and in lowercase (the header-case cases), each
/// pooled (keep-alive) and fresh (a new connection per request).
#[derive(Debug)]
pub struct Clients {
    recipe: Recipe,
    /// Pooled clients (keep-alive); `None` with [`ConnectionPolicy::Fresh`].
    pooled: Option<Pair>,
    /// A transport anomaly happened: the next case takes a fresh connection.
    after_anomaly: AtomicBool,
    /// Clients without a pool, built when first needed (building a client
    /// can cost tens of milliseconds: it may load the system's trust store).
    fresh: tokio::sync::OnceCell<Result<Pair, String>>,
    /// Their build, started ahead by [`Clients::prepare_fresh`].
    fresh_ahead: std::sync::Mutex<Option<tokio::task::JoinHandle<Result<Pair, String>>>>,
}

/// Whether a request with `method` goes on a fresh connection whatever the
/// run's policy. A HEAD answer ends with its head even when it announces a
/// body: a server that sends the body anyway would leave it on a kept-alive
/// connection for the next case to read, so HEAD never uses the pool.
pub fn method_needs_fresh_connection(method: &str) -> bool {
    method.eq_ignore_ascii_case("HEAD")
}

#[derive(Debug, Clone)]
struct Pair {
    title_case: reqwest::Client,
    lowercase: reqwest::Client,
}

impl Pair {
    fn get(&self, lowercase_names: bool) -> &reqwest::Client {
        if lowercase_names {
            &self.lowercase
        } else {
            &self.title_case
        }
    }
}

/// What every client of a run is built from.
#[derive(Debug, Clone)]
struct Recipe {
    target: Target,
    connect_timeout: Duration,
}

/// A failure to set up the HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A certificate or key that cannot be used, naming the input.
    #[error(transparent)]
    TlsInput(#[from] super::tls::TlsInputError),
    #[error("build the HTTP client: {0}")]
    Build(String),
}

/// What came back, before interpretation.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub over_cap: bool,
}

/// Why no response was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// The target could not be reached at all (connect, DNS or TLS failure).
    pub is_connect: bool,
    /// No complete answer came within the timeout.
    pub is_timeout: bool,
    /// The TLS layer failed or the server refused the handshake (an alert).
    pub is_tls: bool,
    /// What happened, for a person.
    pub message: String,
}

impl Recipe {
    fn pair(&self, pooled: bool) -> Result<Pair, ClientError> {
        Ok(Pair {
            title_case: self.client(true, pooled)?,
            lowercase: self.client(false, pooled)?,
        })
    }

    fn client(&self, title_case: bool, pooled: bool) -> Result<reqwest::Client, ClientError> {
        let mut builder = reqwest::Client::builder()
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("ccgw-conformance/", env!("CARGO_PKG_VERSION")));
        if !pooled {
            builder = builder.pool_max_idle_per_host(0);
        }
        if title_case {
            builder = builder.http1_title_case_headers();
        }
        builder = super::tls::configure(builder, &self.target)?;
        builder
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))
    }
}

impl Clients {
    /// Builds the clients for `target`, using connections by `policy`.
    pub fn new(
        target: &Target,
        timeout: Duration,
        policy: ConnectionPolicy,
    ) -> Result<Clients, ClientError> {
        crate::install_crypto_provider();
        let recipe = Recipe {
            target: target.clone(),
            connect_timeout: timeout,
        };
        // Built now, so that a bad CA file fails before any case runs.
        let first = recipe.pair(policy == ConnectionPolicy::Reuse)?;
        let (pooled, fresh) = match policy {
            ConnectionPolicy::Reuse => (Some(first), tokio::sync::OnceCell::new()),
            ConnectionPolicy::Fresh => (None, tokio::sync::OnceCell::new_with(Some(Ok(first)))),
        };
        Ok(Clients {
            recipe,
            pooled,
            after_anomaly: AtomicBool::new(false),
            fresh,
            fresh_ahead: std::sync::Mutex::new(None),
        })
    }

    /// Starts building the fresh clients now, off the runtime's threads,
    /// for a run that will need them (a case on a fresh connection): the
    /// first such case then does not wait for the build.
    pub fn prepare_fresh(&self) {
        if self.fresh.initialized() {
            return;
        }
        let mut ahead = self
            .fresh_ahead
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if ahead.is_none() {
            *ahead = Some(self.build_fresh());
        }
    }

    /// The fresh clients built on a blocking thread: building a client can
    /// take long (a trust store to load), and would stall every case in flight.
    fn build_fresh(&self) -> tokio::task::JoinHandle<Result<Pair, String>> {
        let recipe = self.recipe.clone();
        tokio::task::spawn_blocking(move || recipe.pair(false).map_err(|e| e.to_string()))
    }

    /// The client for `request`: pooled, unless the run or the case wants a
    /// fresh connection, or the previous answer was broken.
    async fn client_for(
        &self,
        request: &Prepared,
        fresh_connection: bool,
    ) -> Result<(reqwest::Client, bool), ClientError> {
        let after_anomaly = self.after_anomaly.swap(false, Ordering::SeqCst);
        if let Some(pair) = &self.pooled {
            if !fresh_connection && !after_anomaly {
                return Ok((pair.get(request.lowercase_names).clone(), true));
            }
        }
        let fresh = self
            .fresh
            .get_or_init(|| async {
                let ahead = self
                    .fresh_ahead
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                ahead
                    .unwrap_or_else(|| self.build_fresh())
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()))
            })
            .await;
        match fresh {
            Ok(pair) => Ok((pair.get(request.lowercase_names).clone(), false)),
            Err(message) => Err(ClientError::Build(message.clone())),
        }
    }

    /// Sends `request` to `target` and reads at most `cap` bytes of the body,
    /// all within `timeout`; on a fresh connection when `fresh_connection`.
    pub async fn send(
        &self,
        target: &Target,
        request: &Prepared,
        fresh_connection: bool,
        timeout: Duration,
        cap: usize,
    ) -> Result<RawResponse, TransportError> {
        let fresh_connection = fresh_connection || method_needs_fresh_connection(&request.method);
        let (mut sent, pooled) = self
            .send_on(target, request, fresh_connection, timeout, cap)
            .await;
        // A kept-alive connection can be closed by the server, or spoilt by
        // an earlier answer, just as it is reused: a transport error there
        // (not a timeout) is the connection's, not the case's, so the request
        // goes once more on a fresh connection, whose answer is the case's.
        // A TLS refusal (an alert) is the server's answer to the handshake,
        // not a stale connection's: it stays the case's answer.
        if pooled && matches!(&sent, Err(e) if !e.is_timeout && !e.is_tls) {
            sent = self.send_on(target, request, true, timeout, cap).await.0;
        }
        if !matches!(&sent, Ok(response) if !response.over_cap) {
            self.after_anomaly.store(true, Ordering::SeqCst);
        }
        sent
    }

    async fn send_on(
        &self,
        target: &Target,
        request: &Prepared,
        fresh_connection: bool,
        timeout: Duration,
        cap: usize,
    ) -> (Result<RawResponse, TransportError>, bool) {
        let url = url_for(&target.base_url, &request.path);
        let (client, pooled) = match self.client_for(request, fresh_connection).await {
            Ok(pair) => pair,
            Err(e) => {
                let error = TransportError {
                    is_connect: false,
                    is_timeout: false,
                    is_tls: false,
                    message: format!("failed to {e}"),
                };
                return (Err(error), false);
            }
        };
        let work = async {
            let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
                TransportError {
                    is_connect: false,
                    is_timeout: false,
                    is_tls: false,
                    message: format!("`{}` is not a valid HTTP method", request.method),
                }
            })?;
            let mut builder = client.request(method, url.clone());
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            let mut response = builder
                .send()
                .await
                .map_err(|e| describe(&e, &url, target))?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            let mut over_cap = false;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| describe(&e, &url, target))?
            {
                if body.len() + chunk.len() > cap {
                    body.extend_from_slice(&chunk[..cap - body.len()]);
                    over_cap = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(RawResponse {
                status,
                headers,
                body,
                over_cap,
            })
        };
        let result = match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(TransportError {
                is_connect: false,
                is_timeout: true,
                is_tls: false,
                message: format!(
                    "no complete answer within the timeout of {} ms",
                    timeout.as_millis()
                ),
            }),
        };
        (result, pooled)
    }
}

/// The URL of `path` below the base URL (which may carry a path prefix).
pub fn url_for(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}/{path}"));
    url.set_query(None);
    url
}

/// Whether the request was canceled because its connection closed before
/// it could be sent (hyper's "connection was not ready").
fn closed_before_sending(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_canceled)
        {
            return true;
        }
        source = e.source();
    }
    false
}

fn describe(error: &reqwest::Error, url: &reqwest::Url, target: &Target) -> TransportError {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        let text = e.to_string();
        if !chain.contains(&text) {
            chain.push(text);
        }
        source = e.source();
    }
    let detail = chain.join(": ");
    let origin = url.origin().ascii_serialization();
    let typed = super::tls::classify(error);
    let message = if let Some(problem) = &typed {
        let host = url.host_str().unwrap_or_default();
        let advice = match (problem, &target.tls) {
            (super::tls::TlsProblem::OldVersion, _) => {
                "ask for TLS 1.2 or 1.3 on the gateway".to_owned()
            }
            (super::tls::TlsProblem::ClientCertificate, _) => {
                "give the client certificate and key the gateway expects with --client-cert and --client-key".to_owned()
            }
            (_, TlsSetup::CaPem(_)) => {
                "the certificate given with --ca-cert neither signs nor is the server's certificate (it must also name the host of --target), or skip verification with --insecure".to_owned()
            }
            _ => "trust its CA with --ca-cert PEM (the certificate must also name the host of --target), or skip verification with --insecure".to_owned(),
        };
        format!(
            "TLS with {origin} failed: {} ({detail}); {advice}",
            problem.describe(host)
        )
    } else if error.is_connect() {
        format!("could not reach {origin}: {detail}")
    } else if error.is_timeout() {
        format!("{origin} did not answer in time: {detail}")
    } else if url.scheme() == "https" && closed_before_sending(error) {
        // Under TLS 1.3 the server judges the client's certificate after
        // the client has finished its handshake: its refusal (an alert, then
        // the connection closed) may arrive before the request is written,
        // and the request is then only canceled, the alert unread.
        format!(
            "request to {origin} failed: the connection closed before the request was sent ({detail}); right after the TLS handshake, this is how a server that wants a client certificate, or refuses the one given, answers under TLS 1.3: check --client-cert and --client-key"
        )
    } else {
        format!("request to {origin} failed: {detail}")
    };
    TransportError {
        is_connect: error.is_connect(),
        is_timeout: error.is_timeout(),
        is_tls: typed.is_some(),
        message,
    }
}
