//! TLS of the runner: the rustls configuration handed to reqwest.
//!
//! - `--ca-cert PEM`: the certificates are trust anchors for the normal
//!   webpki check, and each is also *pinned*: a server presenting exactly
//!   (byte for byte) one of them is trusted whatever its basic constraints (a
//!   self-signed certificate made by `openssl req -x509` is marked CA:TRUE,
//!   which webpki refuses as a server certificate), its host name and its
//!   validity dates still checked, as `curl --cacert` does.
//! - `--client-cert PEM --client-key PEM`: mutual TLS (a client certificate).
//! - TLS 1.2 and 1.3 only; a server that speaks only an older version gets
//!   "TLS 1.2 or later is required".
//! - Failures are classified by their rustls type ([`classify`]).

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

/// A client certificate and its key, as PEM, with the names of their inputs.
#[derive(Clone)]
pub struct ClientIdentity {
    /// The certificate chain (PEM), leaf first.
    pub cert_pem: Vec<u8>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_pem: Vec<u8>,
    /// How messages name the certificate input, e.g. `--client-cert c.pem`.
    pub cert_name: String,
    /// How messages name the key input.
    pub key_name: String,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("ClientIdentity")
            .field("cert", &self.cert_name)
            .field("key", &self.key_name)
            .finish_non_exhaustive()
    }
}

/// A TLS input that cannot be used; names the input and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{input}: {problem}")]
pub struct TlsInputError {
    /// The input, e.g. `--ca-cert gateway.pem`.
    pub input: String,
    /// What is wrong with it.
    pub problem: String,
}

fn bad(input: &str, problem: impl Into<String>) -> TlsInputError {
    TlsInputError {
        input: input.to_owned(),
        problem: problem.into(),
    }
}

/// The certificates of a PEM file, each checked to be a parsable certificate.
pub fn certificates(
    pem: &[u8],
    input: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsInputError> {
    let mut certs = Vec::new();
    for (i, item) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let cert = item.map_err(|e| bad(input, format!("malformed PEM: {e}")))?;
        rustls::server::ParsedCertificate::try_from(&cert).map_err(|e| {
            bad(
                input,
                format!(
                    "certificate {} is not a valid X.509 certificate ({e})",
                    i + 1
                ),
            )
        })?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(bad(
            input,
            "no certificate in the file (expected a -----BEGIN CERTIFICATE----- block)",
        ));
    }
    Ok(certs)
}

/// The private key of a PEM file.
pub fn private_key(pem: &[u8], input: &str) -> Result<PrivateKeyDer<'static>, TlsInputError> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || text.contains("Proc-Type: 4,ENCRYPTED")
    {
        return Err(bad(
            input,
            "the private key is encrypted (with a passphrase), and encrypted keys are not supported: \
             decrypt it once with `openssl pkey -in KEY.pem -out key-plain.pem` (it asks for the passphrase), \
             give that file, and keep it private (chmod 600)",
        ));
    }
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => bad(
            input,
            "no private key in the file (expected -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)",
        ),
        other => bad(input, format!("malformed PEM: {other}")),
    })
}

/// Checks a client identity: certificates, key, and that they belong together.
pub fn check_identity(identity: &ClientIdentity) -> Result<(), TlsInputError> {
    let certs = certificates(&identity.cert_pem, &identity.cert_name)?;
    let key = private_key(&identity.key_pem, &identity.key_name)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|e| bad(&identity.cert_name, e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedOrWebpki { anchors: None }))
        .with_client_auth_cert(certs, key)
        .map_err(|e| {
            bad(
                &identity.key_name,
                format!("does not fit {} ({e})", identity.cert_name),
            )
        })?;
    Ok(())
}

/// Sets up `builder` for `target`: reqwest's own TLS for the system store or
/// `--insecure` without a client certificate, a rustls configuration of ours
/// otherwise.
pub fn configure(
    builder: reqwest::ClientBuilder,
    target: &Target,
) -> Result<reqwest::ClientBuilder, TlsInputError> {
    let identity = match &target.client_identity {
        Some(id) => {
            let certs = certificates(&id.cert_pem, &id.cert_name)?;
            let key = private_key(&id.key_pem, &id.key_name)?;
            Some((certs, key))
        }
        None => None,
    };
    let verifier: Arc<dyn ServerCertVerifier> = match &target.tls {
        TlsSetup::CaPem(pem) => Arc::new(PinnedOrWebpki::new(certificates(pem, "--ca-cert")?)?),
        TlsSetup::Insecure if identity.is_some() => Arc::new(PinnedOrWebpki { anchors: None }),
        TlsSetup::Insecure => return Ok(builder.tls_danger_accept_invalid_certs(true)),
        TlsSetup::System => match (&target.client_identity, identity) {
            (Some(id), Some(_)) => {
                let mut pem = id.cert_pem.clone();
                pem.push(b'\n');
                pem.extend_from_slice(&id.key_pem);
                let reqwest_identity = reqwest::Identity::from_pem(&pem)
                    .map_err(|e| bad(&id.cert_name, e.to_string()))?;
                return Ok(builder.identity(reqwest_identity));
            }
            _ => return Ok(builder),
        },
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let base = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|e| bad("TLS", e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        Some((certs, key)) => base.with_client_auth_cert(certs, key).map_err(|e| {
            let name = target
                .client_identity
                .as_ref()
                .map_or("--client-key", |i| i.key_name.as_str());
            bad(name, e.to_string())
        })?,
        None => base.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(builder.use_preconfigured_tls(config))
}

/// The webpki check against the given anchors, and failing that, the
/// certificates themselves pinned (host name and dates still checked).
/// Without anchors (`--insecure` with a client certificate), nothing about
/// the server's certificate is checked; handshake signatures always are.
#[derive(Debug)]
struct PinnedOrWebpki {
    anchors: Option<(Arc<WebPkiServerVerifier>, Vec<CertificateDer<'static>>)>,
}

fn algorithms() -> rustls::crypto::WebPkiSupportedAlgorithms {
    rustls::crypto::ring::default_provider().signature_verification_algorithms
}

impl PinnedOrWebpki {
    fn new(certs: Vec<CertificateDer<'static>>) -> Result<PinnedOrWebpki, TlsInputError> {
        let mut roots = rustls::RootCertStore::empty();
        let (added, _ignored) = roots.add_parsable_certificates(certs.iter().cloned());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let webpki = if added > 0 {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| bad("--ca-cert", e.to_string()))?
        } else {
            return Err(bad(
                "--ca-cert",
                "no certificate can be used as a trust anchor",
            ));
        };
        Ok(PinnedOrWebpki {
            anchors: Some((webpki, certs)),
        })
    }
}

impl ServerCertVerifier for PinnedOrWebpki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some((webpki, pinned)) = &self.anchors else {
            return Ok(ServerCertVerified::assertion());
        };
        let chain =
            webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match chain {
            Ok(ok) => Ok(ok),
            Err(e) if pinned.iter().any(|p| p.as_ref() == end_entity.as_ref()) => {
                // The user named this very certificate: trust it as itself.
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                match validity(end_entity.as_ref()) {
                    Some((not_before, _)) if now.as_secs() < not_before => Err(
                        rustls::Error::InvalidCertificate(CertificateError::NotValidYet),
                    ),
                    Some((_, not_after)) if now.as_secs() > not_after => {
                        Err(rustls::Error::InvalidCertificate(CertificateError::Expired))
                    }
                    Some(_) => Ok(ServerCertVerified::assertion()),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &algorithms())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &algorithms())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        algorithms().supported_schemes()
    }
}

/// Why a TLS handshake failed, by the type of the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// The server speaks only TLS 1.1 or older.
    OldVersion,
    /// The certificate chains to no trusted anchor.
    UnknownIssuer,
    /// The certificate does not name the host.
    WrongName,
    /// Expired or not valid yet.
    Dates,
    /// The server wants a client certificate (or refused ours).
    ClientCertificate,
    /// Any other certificate problem, in rustls' words.
    Certificate(String),
}

impl TlsProblem {
    /// The problem in words, for a target's host `host`.
    pub fn describe(&self, host: &str) -> String {
        match self {
            TlsProblem::OldVersion => {
                "TLS 1.2 or later is required: the server offers only an older version".to_owned()
            }
            TlsProblem::UnknownIssuer => "the certificate is not trusted (unknown issuer)".to_owned(),
            TlsProblem::WrongName => format!("the certificate is not valid for {host}"),
            TlsProblem::Dates => "the certificate has expired or is not valid yet".to_owned(),
            TlsProblem::ClientCertificate => {
                "the server requires a client certificate, or refused the one given (--client-cert, --client-key)".to_owned()
            }
            TlsProblem::Certificate(why) => format!("the certificate was refused ({why})"),
        }
    }
}

/// The TLS problem behind `error`, found by walking its causes to a
/// `rustls::Error` (also inside an `io::Error`).
pub fn classify(error: &(dyn std::error::Error + 'static)) -> Option<TlsProblem> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(r) = rustls_error(e) {
            return Some(problem_of(r));
        }
        next = e.source();
    }
    None
}

/// `e` as a rustls error: itself, or the payload of an `io::Error`, which
/// may be wrapped in another `io::Error` (as reqwest's connector does). An
/// `io::Error`'s `source()` skips its payload, so the payload is read here.
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let mut io = e.downcast_ref::<std::io::Error>();
    while let Some(payload) = io.and_then(std::io::Error::get_ref) {
        if let Some(tls) = payload.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        io = payload.downcast_ref::<std::io::Error>();
    }
    None
}

fn problem_of(error: &rustls::Error) -> TlsProblem {
    use rustls::{AlertDescription as A, Error as E, PeerIncompatible as P};
    match error {
        E::PeerIncompatible(P::ServerDoesNotSupportTls12Or13)
        | E::AlertReceived(A::ProtocolVersion) => TlsProblem::OldVersion,
        E::AlertReceived(A::CertificateRequired | A::BadCertificate | A::UnknownCA) => {
            TlsProblem::ClientCertificate
        }
        E::AlertReceived(A::HandshakeFailure) => TlsProblem::ClientCertificate,
        E::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => TlsProblem::UnknownIssuer,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsProblem::WrongName
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsProblem::Dates,
            other => TlsProblem::Certificate(format!("{other:?}")),
        },
        other => TlsProblem::Certificate(other.to_string()),
    }
}

/// notBefore and notAfter of a DER certificate, in Unix seconds.
fn validity(der: &[u8]) -> Option<(u64, u64)> {
    let (_, cert, _) = tlv(der)?;
    let (_, mut tbs, _) = tlv(cert)?;
    // [0] version (optional), serial, signature algorithm, issuer, validity.
    let (tag, _, rest) = tlv(tbs)?;
    if tag == 0xa0 {
        tbs = rest;
    }
    for _ in 0..3 {
        tbs = tlv(tbs)?.2;
    }
    let (_, validity, _) = tlv(tbs)?;
    let (tag_a, a, rest) = tlv(validity)?;
    let (tag_b, b, _) = tlv(rest)?;
    Some((der_time(tag_a, a)?, der_time(tag_b, b)?))
}

/// One DER element: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// UTCTime (0x17) or GeneralizedTime (0x18), `...Z`, as Unix seconds.
fn der_time(tag: u8, text: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let field = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).ok()
}

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
    pub client_identity: Option<ClientIdentity>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_validity_of_a_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["a.test".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2001, 2, 3);
        params.not_after = rcgen::date_time_ymd(2061, 4, 5);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let (nb, na) = validity(cert.der()).expect("validity");
        assert_eq!(nb, 981_158_400);
        assert_eq!(na, 2_879_884_800);
    }

    #[test]
    fn a_malformed_pem_names_the_input_and_the_problem() {
        let err = certificates(b"-----BEGIN CERTIFICATE-----\n!!!\n", "--ca-cert x.pem")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--ca-cert x.pem: malformed PEM"), "{err}");
        let err = certificates(b"hello", "--ca-cert x.pem")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no certificate in the file"), "{err}");
        let err = private_key(b"", "--client-key k.pem")
            .unwrap_err()
            .to_string();
        assert!(err.contains("--client-key k.pem: no private key"), "{err}");
    }

    #[test]
    fn an_encrypted_key_says_how_to_decrypt_it() {
        for pem in [
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQwwDgQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,0011\n\nMIIE\n-----END RSA PRIVATE KEY-----\n",
        ] {
            let err = private_key(pem.as_bytes(), "--client-key k.pem")
                .unwrap_err()
                .to_string();
            assert!(err.contains("encrypted keys are not supported"), "{err}");
            assert!(err.contains("openssl pkey -in"), "{err}");
        }
    }
}

#[cfg(test)]
mod classify_tests {
    use super::*;

    #[test]
    fn finds_the_rustls_cause_inside_nested_io_errors() {
        let cases = [
            (
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                TlsProblem::UnknownIssuer,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
                TlsProblem::WrongName,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::Expired),
                TlsProblem::Dates,
            ),
        ];
        for (tls, expected) in cases {
            let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
            let wrapped = std::io::Error::other(io);
            assert_eq!(classify(&wrapped), Some(expected));
        }
        let wording = std::io::Error::other("certificate unknownissuer tls handshake");
        assert_eq!(classify(&wording), None, "words are not types");
    }
}
