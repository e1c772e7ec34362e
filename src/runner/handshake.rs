//! Why a TLS handshake failed, read from the error's types (rustls'
//! [`rustls::Error`] inside the chain of causes), not from its wording.

use rustls::{CertificateError, Error as TlsError};
use std::error::Error;

/// The cause of a failed TLS handshake, as the report words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandshakeFailure {
    /// The certificate does not name the host connected to.
    NotValidForName,
    /// The certificate chains to no trusted root.
    UnknownIssuer,
    /// The certificate is past its `notAfter`.
    Expired,
    /// Any other TLS failure (a bad message, an alert, a refused version).
    Other,
}

impl HandshakeFailure {
    /// The TLS failure in `error`'s chain of causes, if any.
    pub(crate) fn find(error: &(dyn Error + 'static)) -> Option<HandshakeFailure> {
        let mut cause = Some(error);
        while let Some(e) = cause {
            if let Some(tls) = tls_error(e) {
                return Some(HandshakeFailure::of(tls));
            }
            cause = e.source();
        }
        None
    }

    fn of(error: &TlsError) -> HandshakeFailure {
        match error {
            TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => HandshakeFailure::NotValidForName,
            TlsError::InvalidCertificate(CertificateError::UnknownIssuer) => {
                HandshakeFailure::UnknownIssuer
            }
            TlsError::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            ) => HandshakeFailure::Expired,
            _ => HandshakeFailure::Other,
        }
    }

    /// Why, in words; `host` is the host of the target.
    pub(crate) fn describe(self, host: &str) -> String {
        match self {
            HandshakeFailure::NotValidForName => format!("the certificate is not valid for {host}"),
            HandshakeFailure::UnknownIssuer => {
                "the certificate is not trusted (unknown issuer)".to_owned()
            }
            HandshakeFailure::Expired => "the certificate has expired".to_owned(),
            HandshakeFailure::Other => "the handshake failed".to_owned(),
        }
    }
}

/// `e` as a rustls error: itself, or the payload of an `io::Error`, which
/// may be wrapped in another `io::Error` (as reqwest's connector does). An
/// `io::Error`'s `source()` skips its payload, so the payload is read here.
fn tls_error<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a TlsError> {
    if let Some(tls) = e.downcast_ref::<TlsError>() {
        return Some(tls);
    }
    let mut io = e.downcast_ref::<std::io::Error>();
    while let Some(payload) = io.and_then(std::io::Error::get_ref) {
        if let Some(tls) = payload.downcast_ref::<TlsError>() {
            return Some(tls);
        }
        io = payload.downcast_ref::<std::io::Error>();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_tls_cause_inside_io_errors() {
        let cases = [
            (
                TlsError::InvalidCertificate(CertificateError::UnknownIssuer),
                HandshakeFailure::UnknownIssuer,
            ),
            (
                TlsError::InvalidCertificate(CertificateError::NotValidForName),
                HandshakeFailure::NotValidForName,
            ),
            (
                TlsError::InvalidCertificate(CertificateError::Expired),
                HandshakeFailure::Expired,
            ),
            (
                TlsError::General("alert".to_owned()),
                HandshakeFailure::Other,
            ),
        ];
        for (tls, expected) in cases {
            let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
            let wrapped = std::io::Error::other(io);
            assert_eq!(HandshakeFailure::find(&wrapped), Some(expected));
        }
        let wording = std::io::Error::other("certificate unknownissuer tls handshake");
        assert_eq!(
            HandshakeFailure::find(&wording),
            None,
            "words are not types"
        );
    }
}
