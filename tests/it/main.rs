//! The integration tests, one binary: a change in `src/` relinks one test
//! executable instead of one per file.

mod browser;
mod cases;
mod cli;
mod compare;
mod compliance;
mod expectation_names;
mod faults;
mod gateway;
mod hostile;
mod keepalive;
mod render;
mod robustness;
mod secrets;
mod session_gateway;
mod session_run;
mod suite_data;
mod suite_load;
mod support;
mod ux;
