//! The integration tests, one binary: a change in `src/` relinks one test
//! executable instead of one per file.

mod architecture;
mod browser;
mod cases;
mod cli;
mod compare;
mod compliance;
mod console;
mod doc_samples;
mod expectation_names;
mod faults;
mod flow_control;
mod gateway;
mod hostile;
mod inputs;
mod keepalive;
mod large_run;
mod listing;
mod listing_large;
mod render;
mod report_layout;
mod report_set;
mod robustness;
mod secrets;
mod secrets_structure;
mod session_gateway;
mod session_run;
mod streaming;
mod suite_data;
mod suite_errors;
mod suite_load;
mod suite_walk;
mod support;
mod tls_trust;
mod ux;
mod verdicts;
