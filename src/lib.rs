//! ccgw-conformance: a contract and conformance suite for the CC-Gateway
//! `getconnectinfo` interface.
//!
//! Data flows one way:
//!
//! ```text
//! suites/ + schemas/  --suite::load_suite-->  Suite (typed, checked once)
//! cases + RunPlan     --runner::run-------->  events + RunResults (case results, controls)
//! RunResults          --report::assemble--->  RunReport (plain data, verdict and headline)
//! RunReport           --render------------->  json / junit / markdown / html
//! RunReport x 2       --compare------------>  Comparison
//! ```
//!
//! `pipeline::run_session` chains the runner, the assembly and the
//! comparison for one run. `gateway` is the reference CC-Gateway with switchable faults: the embedded
//! default target and the suite's own test bench.

pub mod checks;
pub mod compare;
pub mod console;
pub mod contract;
pub mod gateway;
pub mod input;
pub mod openapi;
pub mod pipeline;
pub mod redact;
pub mod render;
pub mod report;
pub mod runner;
pub mod schemas;
pub mod selftest;
pub mod session;
pub mod suggest;
pub mod suite;

/// Installs rustls' ring crypto provider for the process (once; later calls
/// are no-ops). Every TLS client and server of the crate needs it.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
