//! A hostile target: a raw tokio TCP server on 127.0.0.1 port 0 (optionally
//! behind TLS with a certificate made for the test) that misbehaves at the
//! byte level: answers raw bytes, never answers, drips, floods, echoes the
//! Guid. It records every request it reads, so a test can prove that nothing
//! arrived (the Location target of a redirect).
//!
//! Every server stops by itself: dropping [`Hostile`] aborts the accept loop
//! and every connection, and the accept loop ends after [`LIFETIME`] anyway.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// Longest a hostile server lives, even if a test forgets it.
pub const LIFETIME: Duration = Duration::from_secs(60);

/// Largest request head or body read.
const MAX_REQUEST: usize = 256 * 1024;

/// How the server answers each request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Writes these bytes (a whole HTTP response) and closes.
    Raw(Vec<u8>),
    /// Reads the request and never answers; the connection stays open.
    Silent,
    /// Accepts the connection and never reads nor answers.
    SilentBeforeRequest,
    /// Writes `head`, then one byte of `a` every `every`, forever.
    Drip { head: Vec<u8>, every: Duration },
    /// Writes a 200 head with a `Content-Length` of 1 GiB, then zeros until
    /// the client goes away.
    Flood,
    /// Answers a refusal whose message and `X-Echo-Guid` header repeat the
    /// request's Guid header, and whose body also carries it under `detail`.
    EchoGuid,
    /// Keeps each connection open: the n-th request read on a connection is
    /// answered with these bytes' n-th entry (the last one repeats), then the
    /// next request is awaited on the same connection. An empty entry closes
    /// the connection without an answer.
    KeepAlive(Vec<Vec<u8>>),
}

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A certificate made for one test, and the rustls configuration serving it.
#[derive(Clone)]
pub struct TestCert {
    /// The certificate in PEM, for `--ca-cert`.
    pub pem: String,
    config: Arc<rustls::ServerConfig>,
}

impl TestCert {
    /// A self-signed certificate for `names` (an IP literal becomes an IP SAN).
    pub fn for_names(names: &[&str]) -> TestCert {
        ccgw_conformance::install_crypto_provider();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let certified = rcgen::generate_simple_self_signed(names).expect("rcgen makes a cert");
        let cert: CertificateDer<'static> = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .expect("rustls accepts the cert");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TestCert {
            pem: certified.cert.pem(),
            config: Arc::new(config),
        }
    }
}

impl TestCert {
    /// A certificate and key given as PEM (made by openssl or rcgen with
    /// other parameters), served as they are.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> TestCert {
        use rustls::pki_types::pem::PemObject;
        ccgw_conformance::install_crypto_provider();
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .expect("certificate PEM");
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key PEM");
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("rustls accepts the cert");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TestCert {
            pem: cert_pem.to_owned(),
            config: Arc::new(config),
        }
    }
}

/// A running hostile server.
pub struct Hostile {
    pub addr: SocketAddr,
    is_tls: bool,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        // Dropping the JoinSet inside the task aborts every connection too.
        self.task.abort();
    }
}

impl Hostile {
    /// Starts a plain-HTTP server.
    pub async fn start(behaviour: Behaviour) -> Hostile {
        Self::spawn(behaviour, None).await
    }

    /// Starts an HTTPS server presenting `cert`.
    pub async fn start_tls(behaviour: Behaviour, cert: &TestCert) -> Hostile {
        Self::spawn(behaviour, Some(TlsAcceptor::from(cert.config.clone()))).await
    }

    async fn spawn(behaviour: Behaviour, tls: Option<TlsAcceptor>) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let is_tls = tls.is_some();
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            let accept_loop = async {
                loop {
                    let Ok((socket, _)) = listener.accept().await else {
                        continue;
                    };
                    let behaviour = behaviour.clone();
                    let recorded = recorded.clone();
                    let tls = tls.clone();
                    connections.spawn(async move {
                        match tls {
                            None => serve(socket, &behaviour, &recorded).await,
                            Some(acceptor) => {
                                // A client that rejects the certificate ends here.
                                if let Ok(stream) = acceptor.accept(socket).await {
                                    serve(stream, &behaviour, &recorded).await;
                                }
                            }
                        }
                    });
                }
            };
            let _ = tokio::time::timeout(LIFETIME, accept_loop).await;
        });
        Hostile {
            addr,
            is_tls,
            requests,
            task,
        }
    }

    /// The base URL, `http(s)://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let scheme = if self.is_tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Every request read so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("not poisoned").clone()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    behaviour: &Behaviour,
    recorded: &Mutex<Vec<Recorded>>,
) {
    if matches!(behaviour, Behaviour::SilentBeforeRequest) {
        std::future::pending::<()>().await;
    }
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    recorded.lock().expect("not poisoned").push(request.clone());
    if let Behaviour::KeepAlive(answers) = behaviour {
        for turn in 0.. {
            let answer = &answers[turn.min(answers.len() - 1)];
            if answer.is_empty() {
                // No answer: the connection is closed after the request was read.
                let _ = stream.shutdown().await;
                return;
            }
            if stream.write_all(answer).await.is_err() || stream.flush().await.is_err() {
                return;
            }
            let Some(next) = read_request(&mut stream).await else {
                return;
            };
            recorded.lock().expect("not poisoned").push(next);
        }
    }
    match behaviour {
        Behaviour::Raw(bytes) => {
            let _ = stream.write_all(bytes).await;
            let _ = stream.shutdown().await;
        }
        Behaviour::Silent | Behaviour::SilentBeforeRequest | Behaviour::KeepAlive(_) => {
            std::future::pending::<()>().await;
        }
        Behaviour::Drip { head, every } => {
            if stream.write_all(head).await.is_err() {
                return;
            }
            loop {
                if stream.write_all(b"a").await.is_err() || stream.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(*every).await;
            }
        }
        Behaviour::Flood => {
            let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n";
            if stream.write_all(head).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            while stream.write_all(&chunk).await.is_ok() {}
        }
        Behaviour::EchoGuid => {
            let guid = request.header("guid").unwrap_or_default().to_owned();
            let body = serde_json::json!({
                "retcode": "100-006",
                "message": format!("unknown Guid {guid}"),
                "detail": { "guid_seen": guid },
            })
            .to_string();
            let bytes = response_with(
                200,
                "application/json",
                &[("X-Echo-Guid", guid.as_str())],
                body.as_bytes(),
            );
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
    }
}

/// Reads one request: the head up to the blank line, then `Content-Length` bytes.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_REQUEST {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_owned();
    let path = start.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
        .min(MAX_REQUEST);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

/// A whole HTTP/1.1 response with `Content-Length` and `Connection: close`.
pub fn response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    response_with(status, content_type, &[], body)
}

/// Like [`response`], with extra headers.
pub fn response_with(
    status: u16,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} Whatever\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A JSON response with status 200.
pub fn json(body: &str) -> Vec<u8> {
    response(200, "application/json; charset=UTF-8", body.as_bytes())
}
