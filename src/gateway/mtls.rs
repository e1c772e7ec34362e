//! Mutual TLS for the reference gateway: a mode in which every connection
//! must present a client certificate signed by a given CA (as a gateway
//! behind a load balancer may require), and a small PKI to try it with.

use super::error::GatewayError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use std::sync::Arc;

/// The client verifier of the gateway: none without `client_ca_pem`; with
/// it, a client certificate signed by that CA is required.
pub fn client_verifier(
    client_ca_pem: Option<&str>,
) -> Result<Arc<dyn ClientCertVerifier>, GatewayError> {
    let Some(pem) = client_ca_pem else {
        return Ok(WebPkiClientVerifier::no_client_auth());
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| GatewayError::Config(format!("client CA: {e}")))?;
        roots.add(cert).map_err(GatewayError::Tls)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| GatewayError::Config(format!("client CA: {e}")))
}

/// A client CA and one client certificate it signed, all PEM.
#[derive(Clone)]
pub struct ClientPki {
    /// The CA the gateway trusts (`GatewayConfig::client_ca_pem`).
    pub ca_pem: String,
    /// The client's certificate (`--client-cert`).
    pub cert_pem: String,
    /// The client's key (`--client-key`), PKCS#8.
    pub key_pem: String,
}

impl std::fmt::Debug for ClientPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientPki").finish_non_exhaustive()
    }
}

/// Makes a fresh client CA and a client certificate signed by it.
pub fn client_pki() -> Result<ClientPki, rcgen::Error> {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ccgw test client CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate()?)?;
    let mut params = rcgen::CertificateParams::new(vec!["agent-client".to_owned()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "agent-client");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = rcgen::KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;
    Ok(ClientPki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}
