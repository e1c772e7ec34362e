//! `list` of a long suite, whose lines are formatted in shares on two
//! threads: the same bytes as one line after the other, escapes included,
//! in the suite's order.

use crate::listing::line_of;
use crate::suite_load::{GOOD, suite_copy};
use crate::support::{self, run_args};

use ccgw_conformance::console;
use ccgw_conformance::gateway::Fault;
use ccgw_conformance::suite::{SuiteSource, load_suite};

#[test]
fn a_long_listing_is_the_lines_in_order() {
    let dir = suite_copy();
    std::fs::create_dir(dir.path().join("many")).unwrap();
    for i in 0..5000 {
        let id = format!("many/case-{i:04}");
        let mut text = GOOD.replacen("id = \"method/get\"", &format!("id = \"{id}\""), 1);
        if i % 1000 == 999 {
            // A title a terminal would interpret, in a share of each thread.
            text = text.replace("title = \"GET is refused\"", "title = \"GET \\u001b[2J\"");
        }
        std::fs::write(dir.path().join(format!("{id}.toml")), text).unwrap();
    }
    let (schemas, _) = support::suite();
    let faults: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
    let suite = load_suite(&SuiteSource::Dir(dir.path().to_owned()), schemas, &faults).unwrap();
    let expected: String = suite
        .cases
        .iter()
        .map(|c| format!("{}\n", console::visible(&line_of(c), false)))
        .collect();
    let out = run_args(&["list", "--suite", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", support::output_text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 5052);
    assert_eq!(stdout.matches("GET \\u001b[2J").count(), 5);
    assert!(
        stdout == expected,
        "the listing differs from the lines in order"
    );
}
