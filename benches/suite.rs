//! `cargo bench`: how long the suite takes against the embedded reference
//! gateway, and the cost of the checks on large bodies. Performance is
//! measured here, never asserted by a test.
//!
//! Prints one line per measurement: name, iterations, min and median.

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use ccgw_conformance::checks::{self, CheckContext, Expected, Observed};
use ccgw_conformance::contract::StatusSet;
use ccgw_conformance::gateway::Fault;
use ccgw_conformance::schemas::Schemas;
use ccgw_conformance::selftest::{SelfTestOptions, run_embedded};
use ccgw_conformance::suite::{SuiteSource, load_suite};
use std::time::{Duration, Instant};

fn measure(name: &str, iterations: usize, mut f: impl FnMut()) {
    f(); // warm-up
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{name:<44} {iterations:>4} iterations  min {:>10.3?}  median {:>10.3?}",
        times[0],
        times[times.len() / 2]
    );
}

fn main() {
    // `cargo test --benches` passes --bench-less flags; run quickly then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = |full: usize| if quick { 1 } else { full };
    let schemas = Schemas::embedded().expect("schemas");
    let faults: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
    let suite = load_suite(&SuiteSource::Embedded, &schemas, &faults).expect("suite");
    let profile = suite.profile("cec-23").expect("profile").clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    measure("load schemas + suite", n(20), || {
        let schemas = Schemas::embedded().expect("schemas");
        load_suite(&SuiteSource::Embedded, &schemas, &faults).expect("suite");
    });
    for concurrency in [1, 4, 16] {
        let options = SelfTestOptions {
            concurrency,
            ..Default::default()
        };
        measure(
            &format!("full suite vs reference, concurrency {concurrency}"),
            n(10),
            || {
                runtime
                    .block_on(run_embedded(
                        &suite,
                        &schemas,
                        &profile,
                        &[],
                        None,
                        &options,
                        &mut ccgw_conformance::runner::NoListener,
                    ))
                    .expect("run");
            },
        );
    }

    let ctx = CheckContext {
        schemas: &schemas,
        documented: &[],
        allow_loopback_media: false,
    };
    let statuses = StatusSet::parse(&["200".to_owned()]).expect("status set");
    let served = Expected::Served {
        statuses,
        agent_id: "1001".to_owned(),
    };
    let big = format!(
        r#"{{"retcode":"0","message":"{}","result":{{"userId":"1001","list":[{}]}}}}"#,
        "x".repeat(512 * 1024),
        vec![r#"{"a":1,"b":"two","a":3}"#; 10_000].join(",")
    );
    let observed = Observed {
        status: 200,
        location: None,
        content_type: None,
        body: big.into_bytes(),
        over_cap: false,
        cap: 1 << 20,
        allow: None,
        received_at_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        disclosed: Vec::new(),
    };
    measure("evaluate a ~0.7 MiB success body", n(50), || {
        std::hint::black_box(checks::evaluate(&served, &observed, &ctx));
    });
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    measure("duplicate_keys on 100k-deep nesting", n(50), || {
        std::hint::black_box(checks::duplicate_keys(deep.as_bytes()));
    });
}
