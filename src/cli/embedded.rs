//! The embedded reference gateway as `run`'s default target, or, built
//! without the cargo feature `gateway`, the error that says it is not there.

use super::exit::CliError as Failure;
use ccgw_conformance::contract::Profile;
use ccgw_conformance::gateway::Fault;
use ccgw_conformance::runner::{Credentials, Target};

/// A started gateway with its target and credentials.
type Started = (Embedded, Target, Credentials);

/// The error of a command that needs the reference gateway in a build without it.
#[cfg(any(test, not(feature = "gateway")))]
pub fn not_compiled_in(what: &str) -> Failure {
    Failure::config(format!(
        "{what} needs the embedded reference gateway, which is not compiled into this build \
             (cargo feature `gateway`){}",
        if what.starts_with("run") {
            "; give --target URL, or build with the default features"
        } else {
            "; build with the default features"
        }
    ))
}

/// A running embedded gateway.
#[cfg(feature = "gateway")]
pub type Embedded = ccgw_conformance::selftest::Embedded;
/// Nothing: without the feature no gateway ever runs.
#[cfg(not(feature = "gateway"))]
pub enum Embedded {}

/// Starts the reference gateway for `profile` with `faults` on 127.0.0.1.
#[cfg(feature = "gateway")]
pub async fn start(profile: &Profile, faults: &[Fault]) -> Result<Started, Failure> {
    // The `slow` fault outlasts any sensible --timeout.
    let slow_delay = std::time::Duration::from_secs(30);
    let e = ccgw_conformance::selftest::start_embedded(profile, faults, slow_delay)
        .await
        .map_err(Failure::Gateway)?;
    let (target, credentials) = (e.target.clone(), e.credentials.clone());
    Ok((e, target, credentials))
}

/// `run` without --target in a build without the gateway.
#[cfg(not(feature = "gateway"))]
pub async fn start(_: &Profile, _: &[Fault]) -> Result<Started, Failure> {
    Err(not_compiled_in("run without --target"))
}

/// Stops the gateway (requests in flight finish).
#[cfg(feature = "gateway")]
pub async fn stop(embedded: Embedded) {
    embedded.gateway.shutdown().await;
}

/// Nothing to stop.
#[cfg(not(feature = "gateway"))]
pub async fn stop(embedded: Embedded) {
    match embedded {}
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_missing_gateway_is_named_with_the_way_out() {
        let run = super::not_compiled_in("run without --target");
        assert_eq!(run.code(), crate::cli::exit::CONFIG);
        assert!(run.to_string().contains("not compiled into this build"));
        assert!(run.to_string().contains("--target URL"));
        let serve = super::not_compiled_in("serve").to_string();
        assert!(!serve.contains("--target"), "{serve}");
    }
}
