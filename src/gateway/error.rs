//! Why the reference gateway could not start.

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The configuration contradicts itself.
    #[error("accept the gateway configuration: {0}")]
    Config(String),
    /// The address could not be bound.
    #[error("bind the gateway to {host}:{port}")]
    Bind {
        /// The requested address.
        host: std::net::IpAddr,
        /// The requested port.
        port: u16,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// rcgen could not make the self-signed certificate.
    #[error("generate the gateway's self-signed certificate")]
    Cert(#[source] rcgen::Error),
    /// rustls refused the server configuration.
    #[error("build the gateway's TLS configuration")]
    Tls(#[source] rustls::Error),
    /// The system random source failed.
    #[error("draw random Guids, callids and signature for the gateway")]
    Random,
}
