//! ccgw-conformance: a contract and conformance suite for the CC-Gateway
//! `getconnectinfo` interface.
//!
//! Data flows one way:
//!
//! ```text
//! suites/ + schemas/  --suite::load-->    Suite (typed, checked once)
//! Suite + Target      --runner::run-->    events (CaseStarted, CaseFinished, ...)
//! events              --report-->         RunReport (plain data)
//! RunReport           --render-->         json / junit / markdown / html
//! RunReport x 2       --compare-->        Comparison
//! ```
//!
//! `gateway` is the reference CC-Gateway with switchable faults: the embedded
//! default target and the suite's own test bench.

pub mod compare;
pub mod gateway;
pub mod render;
pub mod report;
pub mod suite;
