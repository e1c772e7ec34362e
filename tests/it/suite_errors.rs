//! Every suite-loading error, word for word: file, line, column, key and
//! message of many broken suites (hand-made mistakes, a few hundred
//! deterministic mutations of a case file, read errors, several mistakes at
//! once), pinned in one snapshot. A change to how suites are read or parsed
//! must leave every line of it as it is.

use crate::suite_load::{GOOD, suite_copy};
use crate::support;

use ccgw_conformance::gateway::Fault;
use ccgw_conformance::suite::{SuiteSource, load_suite};
use std::fmt::Write as _;
use std::path::Path;

/// Hand-made mistakes in `method/get.toml`, each a change to [`GOOD`].
fn case_mistakes() -> Vec<(&'static str, String)> {
    let with = |from: &str, to: &str| GOOD.replacen(from, to, 1);
    vec![
        ("good", GOOD.to_owned()),
        ("unknown key", with("method = \"GET\"", "methd = \"GET\"")),
        ("unknown top key", with("severity", "sevrity")),
        (
            "wrong type",
            with("severity = \"required\"", "severity = 3"),
        ),
        (
            "title a number",
            with("title = \"GET is refused\"", "title = 7"),
        ),
        (
            "title a date",
            with("title = \"GET is refused\"", "title = 1979-05-27"),
        ),
        (
            "title empty",
            with("title = \"GET is refused\"", "title = \"\""),
        ),
        ("bad severity", with("\"required\"", "\"requried\"")),
        ("no severity", with("severity = \"required\"\n", "")),
        (
            "no expect",
            GOOD.split("[expect]").next().unwrap_or_default().to_owned(),
        ),
        (
            "two changes",
            with("method = \"GET\"", "method = \"GET\"\nguid = \"<absent>\""),
        ),
        (
            "lowercase method",
            with("method = \"GET\"", "method = \"get\""),
        ),
        (
            "method not alphabetic",
            with("method = \"GET\"", "method = \"G-T\""),
        ),
        ("unknown requirement", with("REQ-METHOD", "REQ-METHODS")),
        ("requirement pattern", with("REQ-METHOD", "req-method")),
        (
            "requirements twice",
            with("[\"REQ-METHOD\"]", "[\"REQ-METHOD\", \"REQ-METHOD\"]"),
        ),
        ("no requirements", with("[\"REQ-METHOD\"]", "[]")),
        ("unknown fault", with("method-any", "method-anyy")),
        (
            "fault twice",
            with("[\"method-any\"]", "[\"method-any\", \"method-any\"]"),
        ),
        ("no faults", with("[\"method-any\"]", "[]")),
        (
            "unknown http set",
            with("wrong_methods", "wrong_method").replace("wrong_method", "wrong_methods"),
        ),
        (
            "id not path",
            with("id = \"method/get\"", "id = \"method/gett\""),
        ),
        (
            "id pattern",
            with("id = \"method/get\"", "id = \"Method/get\""),
        ),
        ("syntax", with("[expect]", "[expect")),
        (
            "duplicate key",
            with("title = \"GET is refused\"", "title = \"a\"\ntitle = \"b\""),
        ),
        (
            "bad body json",
            with("method = \"GET\"", "body_json = '{\"callid\": '"),
        ),
        ("empty request", with("method = \"GET\"\n", "")),
        ("no request", with("[request]\nmethod = \"GET\"\n", "")),
        (
            "rationale empty",
            with("catches", "rationale = \"\"\ncatches"),
        ),
        ("rationale", with("catches", "rationale = \"why\"\ncatches")),
        (
            "fresh connection",
            with("catches", "fresh_connection = true\ncatches"),
        ),
        (
            "fresh connection a string",
            with("catches", "fresh_connection = \"yes\"\ncatches"),
        ),
        ("unknown outcome", with("\"not_served\"", "\"not_servd\"")),
        (
            "unknown policy",
            with("\"not_served\"", "\"policy:nothing\""),
        ),
        (
            "by agent id without one",
            with("\"not_served\"", "\"by_agent_id\""),
        ),
        (
            "refused without retcodes",
            with("\"not_served\"", "\"refused\""),
        ),
        (
            "unknown retcodes",
            with("http = \"wrong_method\"", "retcodes = \"nope\""),
        ),
        (
            "guid token",
            with("method = \"GET\"", "guid = \"<nobody>\""),
        ),
        (
            "guid header",
            with("method = \"GET\"", "guid_header = \"GUID\""),
        ),
        (
            "agent id token",
            with("method = \"GET\"", "agent_id = \"${agnt}\""),
        ),
        (
            "agent id open token",
            with("method = \"GET\"", "agent_id = \"1${agent\""),
        ),
        (
            "content type absent",
            with("method = \"GET\"", "content_type = \"<absent>\""),
        ),
        (
            "request not a table",
            with("[request]\nmethod = \"GET\"\n", "request = 3\n"),
        ),
        ("expect unknown key", with("http = ", "htp = ")),
        (
            "catches a string",
            with("[\"method-any\"]", "\"method-any\""),
        ),
        (
            "inline request",
            with(
                "[request]\nmethod = \"GET\"\n",
                "request = { method = \"GET\", guid = \"x\" }\n",
            ),
        ),
        ("empty file", String::new()),
        ("not toml", "this is not toml".to_owned()),
    ]
}

/// A few hundred mutations of [`GOOD`]: a slice replaced by other text,
/// chosen by a fixed pseudo-random sequence (the same on every run).
fn mutations() -> Vec<String> {
    let pieces = [
        "",
        "=",
        "\"",
        "'",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\n",
        "#",
        "x",
        "3",
        "1979-05-27",
        "true",
        "[expect]",
        "[[request]]",
        "id",
        "\"\"\"",
        "\\",
        "é",
        "\u{7}",
        "=[",
        "a.b",
        "\t",
    ];
    let chars: Vec<char> = GOOD.chars().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    (0..300)
        .map(|_| {
            let at = next(chars.len());
            let end = (at + next(12)).min(chars.len());
            let mut text: String = chars[..at].iter().collect();
            text.push_str(pieces[next(pieces.len())]);
            text.extend(&chars[end..]);
            text
        })
        .collect()
}

/// The load result of `dir`, with the folder's path written `<suite>`.
fn outcome(dir: &Path) -> String {
    let (schemas, _) = support::suite();
    let faults: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
    match load_suite(&SuiteSource::Dir(dir.to_owned()), schemas, &faults) {
        Ok(suite) => format!("ok: {} cases", suite.cases.len()),
        Err(e) => {
            let detail = match &e {
                ccgw_conformance::suite::SuiteError::Invalid {
                    line, column, key, ..
                } => format!(" [line {line}, column {column}, key {key:?}]"),
                _ => String::new(),
            };
            format!("{e}{detail}").replace(&dir.display().to_string(), "<suite>")
        }
    }
}

#[test]
fn every_case_file_mistake_is_reported_as_before() {
    let dir = suite_copy();
    let file = dir.path().join("method/get.toml");
    let mut out = String::new();
    for (name, text) in case_mistakes() {
        std::fs::write(&file, &text).unwrap();
        let _ = writeln!(out, "{name}: {}", outcome(dir.path()));
    }
    for (i, text) in mutations().iter().enumerate() {
        std::fs::write(&file, text).unwrap();
        let _ = writeln!(out, "mutation {i}: {}", outcome(dir.path()));
    }
    insta::assert_snapshot!(out);
}

/// Mistakes in other files, read errors, and several mistakes at once: the
/// one reported is the same as before.
#[test]
fn the_first_mistake_of_a_suite_is_reported_as_before() {
    type Break = fn(&Path);
    let breaks: Vec<(&str, Break)> = vec![
        ("requirement twice", |d| {
            let path = d.join("requirements.toml");
            let text = std::fs::read_to_string(&path).unwrap();
            let first = text.split("[[requirement]]").nth(1).unwrap().to_owned();
            std::fs::write(&path, format!("{text}\n[[requirement]]{first}")).unwrap();
        }),
        ("requirements syntax", |d| {
            std::fs::write(
                d.join("requirements.toml"),
                "suite = \"x\"\n[[requirement]\n",
            )
            .unwrap();
        }),
        ("requirements unknown key", |d| {
            let path = d.join("requirements.toml");
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, text.replacen("spec_ref", "spec_rf", 1)).unwrap();
        }),
        ("no requirements file", |d| {
            std::fs::remove_file(d.join("requirements.toml")).unwrap();
        }),
        ("no expectations file", |d| {
            std::fs::remove_file(d.join("expectations.toml")).unwrap();
        }),
        ("no profiles", |d| {
            std::fs::remove_dir_all(d.join("profiles")).unwrap();
        }),
        ("profile syntax", |d| {
            std::fs::write(d.join("profiles/cec-23.toml"), "name = \n").unwrap();
        }),
        ("profile agent range", |d| {
            let path = d.join("profiles/cec-23.toml");
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, text.replacen("max = 59999", "max = 1", 1)).unwrap();
        }),
        ("case too large", |d| {
            std::fs::write(d.join("method/get.toml"), "#".repeat(1024 * 1024 + 1)).unwrap();
        }),
        ("case not UTF-8", |d| {
            std::fs::write(d.join("method/get.toml"), b"id = \"\xff\"\n").unwrap();
        }),
        ("a case file that is a folder", |d| {
            std::fs::remove_file(d.join("method/get.toml")).unwrap();
            std::fs::create_dir(d.join("method/get.toml")).unwrap();
        }),
        ("two broken cases: the first in path order", |d| {
            std::fs::write(d.join("method/get.toml"), "[").unwrap();
            std::fs::write(d.join("agentid/max.toml"), "x = ").unwrap();
            std::fs::write(d.join("success/valid.toml"), "]").unwrap();
        }),
        ("a broken case before an unreadable one", |d| {
            std::fs::write(d.join("agentid/max.toml"), "x = ").unwrap();
            std::fs::write(d.join("method/get.toml"), "#".repeat(1024 * 1024 + 1)).unwrap();
        }),
        ("an unreadable case and broken requirements", |d| {
            std::fs::write(d.join("requirements.toml"), "[").unwrap();
            std::fs::write(d.join("success/valid.toml"), b"\xff").unwrap();
        }),
        (
            "an unreadable case and an unreadable requirements file",
            |d| {
                std::fs::write(d.join("requirements.toml"), b"\xff").unwrap();
                std::fs::write(d.join("agentid/max.toml"), b"\xff").unwrap();
                std::fs::write(d.join("success/valid.toml"), b"\xff").unwrap();
            },
        ),
        ("a schema mistake and a meaning mistake", |d| {
            std::fs::write(
                d.join("agentid/max.toml"),
                GOOD.replace("method/get", "agentid/max")
                    .replace("\"GET is refused\"", "\"\""),
            )
            .unwrap();
            std::fs::write(
                d.join("method/get.toml"),
                GOOD.replace("REQ-METHOD", "REQ-NOPE"),
            )
            .unwrap();
        }),
        ("a file that is not toml is ignored", |d| {
            std::fs::write(d.join("method/notes.txt"), b"\xff not toml").unwrap();
        }),
        ("a case at the top", |d| {
            std::fs::write(d.join("loose.toml"), "[").unwrap();
        }),
        ("a case two folders deep", |d| {
            std::fs::create_dir(d.join("method/deeper")).unwrap();
            std::fs::write(d.join("method/deeper/get.toml"), GOOD).unwrap();
        }),
        ("a new family", |d| {
            std::fs::create_dir(d.join("zeta")).unwrap();
            std::fs::write(
                d.join("zeta/get.toml"),
                GOOD.replace("method/get", "zeta/get"),
            )
            .unwrap();
        }),
    ];
    let mut out = String::new();
    for (name, broken) in breaks {
        let dir = suite_copy();
        broken(dir.path());
        let _ = writeln!(out, "{name}: {}", outcome(dir.path()));
    }
    insta::assert_snapshot!(out);
}

/// A folder linked into itself stops the load with the link's name, and an
/// unreadable file before the link is still named first.
#[cfg(unix)]
#[test]
fn a_link_loop_is_reported_as_before() {
    let mut out = String::new();
    let dir = suite_copy();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("method/loop")).unwrap();
    let _ = writeln!(out, "loop: {}", outcome(dir.path()));
    std::fs::write(dir.path().join("agentid/max.toml"), b"\xff").unwrap();
    let _ = writeln!(out, "unreadable before the loop: {}", outcome(dir.path()));
    std::fs::write(dir.path().join("agentid/max.toml"), "x").unwrap();
    let _ = writeln!(out, "broken before the loop: {}", outcome(dir.path()));
    let dir = suite_copy();
    std::os::unix::fs::symlink(dir.path().join("method"), dir.path().join("method-again")).unwrap();
    let _ = writeln!(out, "a folder twice: {}", outcome(dir.path()));
    let dir = suite_copy();
    std::os::unix::fs::symlink(
        dir.path().join("nowhere"),
        dir.path().join("method/dangling.toml"),
    )
    .unwrap();
    let _ = writeln!(out, "a dangling link: {}", outcome(dir.path()));
    let dir = suite_copy();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(
        elsewhere.path().join("get.toml"),
        GOOD.replace("method/get", "linked/get"),
    )
    .unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("linked")).unwrap();
    std::os::unix::fs::symlink(
        elsewhere.path().join("get.toml"),
        dir.path().join("method/linked.toml"),
    )
    .unwrap();
    let _ = writeln!(out, "linked folder and file: {}", outcome(dir.path()));
    insta::assert_snapshot!(out);
}

/// A suite large enough to be loaded on several threads: the default
/// suite and `copies` copies of its cases in families `copy-00`, ...
fn large_suite(copies: usize) -> tempfile::TempDir {
    let dir = suite_copy();
    let (_, suite) = support::suite();
    for copy in 0..copies {
        for case in &suite.cases {
            let text = std::fs::read_to_string(dir.path().join(&case.file)).unwrap();
            let (family, name) = case.id.split_once('/').unwrap();
            let id = format!("copy-{copy:02}-{family}/{name}");
            let folder = dir.path().join(id.split('/').next().unwrap());
            std::fs::create_dir_all(&folder).unwrap();
            let text = text.replacen(
                &format!("id = \"{}\"", case.id),
                &format!("id = \"{id}\""),
                1,
            );
            std::fs::write(folder.join(format!("{name}.toml")), text).unwrap();
        }
    }
    dir
}

#[test]
fn a_large_suite_loads_every_case_in_id_order() {
    let dir = large_suite(6);
    let (schemas, embedded) = support::suite();
    let faults: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
    let suite = load_suite(&SuiteSource::Dir(dir.path().to_owned()), schemas, &faults).unwrap();
    assert_eq!(suite.cases.len(), embedded.cases.len() * 7);
    assert!(suite.cases.windows(2).all(|w| w[0].id < w[1].id));
    for case in &suite.cases {
        // `copy-NN-family/name` is a copy of `family/name`.
        let original = case
            .id
            .strip_prefix("copy-")
            .map_or(case.id.as_str(), |rest| &rest[3..]);
        let from = embedded.cases.iter().find(|c| c.id == original).unwrap();
        assert_eq!(
            (&case.title, &case.change, &case.file),
            (&from.title, &from.change, &format!("{}.toml", case.id))
        );
    }
}

/// Loaded on several threads, a suite still reports the mistake a
/// one-by-one load reports: the first unreadable file in walk order (each
/// folder's entries by name, depth first), else the first mistake in path
/// order, wherever the threads' shares of the files begin and end.
#[test]
fn a_large_suite_reports_its_first_mistake() {
    let dir = large_suite(6);
    let path = |p: &str| dir.path().join(p);
    std::fs::write(path("copy-05-success/valid.toml"), "x = ").unwrap();
    std::fs::write(path("copy-00-method/get.toml"), "[").unwrap();
    let first = outcome(dir.path());
    assert!(
        first.starts_with("<suite>/copy-00-method/get.toml:1:2:"),
        "{first}"
    );

    std::fs::write(path("copy-05-success/valid.toml"), b"\xff").unwrap();
    let unreadable = outcome(dir.path());
    assert!(
        unreadable.starts_with("read <suite>/copy-05-success/valid.toml: not UTF-8"),
        "{unreadable}"
    );

    // `copy-03-guid-x/` sorts before `copy-03-guid/x.toml` as a path
    // (`-` before `/`), after it in the walk (`guid` before `guid-x`).
    std::fs::create_dir(path("copy-03-guid-x")).unwrap();
    std::fs::write(path("copy-03-guid-x/late.toml"), b"\xff").unwrap();
    std::fs::write(path("copy-03-guid/missing.toml"), b"\xff").unwrap();
    let walked = outcome(dir.path());
    assert!(
        walked.starts_with("read <suite>/copy-03-guid/missing.toml: not UTF-8"),
        "{walked}"
    );
}
