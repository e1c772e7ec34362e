//! A suite folder is walked, read and checked on every core at once; any
//! error sends it back to the one-by-one walk, so the error reported is the
//! one that walk meets first, wherever the workers were: a link loop deep in
//! a later folder, one folder reached from two top-level folders, an
//! unreadable file among many, two broken files in one large folder.

use crate::suite_load::{GOOD, suite_copy};
use crate::support;

use ccgw_conformance::gateway::Fault;
use ccgw_conformance::suite::{SuiteSource, load_suite};
use std::path::Path;

/// The load result of `dir`, with the folder's path written `<suite>` and
/// `other`'s path written `<other>`.
fn outcome(dir: &Path, other: &Path) -> String {
    let (schemas, _) = support::suite();
    let faults: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
    match load_suite(&SuiteSource::Dir(dir.to_owned()), schemas, &faults) {
        Ok(suite) => format!("ok: {} cases", suite.cases.len()),
        Err(e) => e
            .to_string()
            .replace(&dir.display().to_string(), "<suite>")
            .replace(&other.display().to_string(), "<other>"),
    }
}

/// The default suite and a family `many` of `n` copies of `method/get`
/// (`many/case-000` ...): more files in one folder than one worker's share.
fn suite_with_many(n: usize) -> tempfile::TempDir {
    let dir = suite_copy();
    std::fs::create_dir(dir.path().join("many")).unwrap();
    for i in 0..n {
        let id = format!("many/case-{i:03}");
        let text = GOOD.replacen("id = \"method/get\"", &format!("id = \"{id}\""), 1);
        std::fs::write(dir.path().join(format!("{id}.toml")), text).unwrap();
    }
    dir
}

#[cfg(unix)]
#[test]
fn a_link_loop_deep_in_a_later_folder_names_the_link() {
    let dir = suite_with_many(200);
    let nowhere = tempfile::tempdir().unwrap();
    let deep = dir.path().join("body/deep/deeper");
    std::fs::create_dir_all(&deep).unwrap();
    assert_eq!(outcome(dir.path(), nowhere.path()), "ok: 252 cases");
    std::os::unix::fs::symlink(dir.path().join("body"), deep.join("loop")).unwrap();
    assert_eq!(
        outcome(dir.path(), nowhere.path()),
        "<suite>/body/deep/deeper/loop: a symbolic link to <suite>/body, which the suite \
         already holds (a loop or a second copy); remove the link"
    );
}

/// A folder outside the suite, linked from two families: no case file in it
/// is wrong, so only the second visit stops the load, at the link the
/// one-by-one walk meets second.
#[cfg(unix)]
#[test]
fn a_folder_linked_from_two_top_level_folders_names_the_later_link() {
    let dir = suite_with_many(200);
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir(other.path().join("shared")).unwrap();
    std::fs::write(other.path().join("shared/notes.txt"), "not a case").unwrap();
    std::os::unix::fs::symlink(other.path().join("shared"), dir.path().join("success/x")).unwrap();
    assert_eq!(outcome(dir.path(), other.path()), "ok: 252 cases");
    std::os::unix::fs::symlink(other.path().join("shared"), dir.path().join("guid/y")).unwrap();
    std::os::unix::fs::symlink(other.path().join("shared"), dir.path().join("many/z")).unwrap();
    assert_eq!(
        outcome(dir.path(), other.path()),
        "<suite>/many/z: a symbolic link to <other>/shared, which the suite already holds \
         (a loop or a second copy); remove the link"
    );
    // The first visit is the one of the walk's order, not of the workers'.
    std::fs::remove_file(dir.path().join("many/z")).unwrap();
    assert_eq!(
        outcome(dir.path(), other.path()),
        "<suite>/success/x: a symbolic link to <other>/shared, which the suite already holds \
         (a loop or a second copy); remove the link"
    );
}

#[test]
fn an_unreadable_file_among_many_is_named_before_any_mistake() {
    let dir = suite_with_many(200);
    let path = |p: &str| dir.path().join(p);
    std::fs::write(path("agentid/max.toml"), "x = ").unwrap();
    std::fs::write(path("many/case-150.toml"), b"id = \"\xff\"").unwrap();
    std::fs::write(path("many/case-180.toml"), "#".repeat(1024 * 1024 + 1)).unwrap();
    assert_eq!(
        outcome(dir.path(), dir.path()),
        "read <suite>/many/case-150.toml: not UTF-8 text (invalid utf-8 sequence of 1 bytes \
         from index 6)"
    );
    std::fs::write(path("many/case-150.toml"), "[").unwrap();
    assert_eq!(
        outcome(dir.path(), dir.path()),
        "read <suite>/many/case-180.toml: larger than the limit of 1 MiB"
    );
}

#[test]
fn the_first_mistake_in_path_order_is_named_whichever_worker_met_it() {
    let dir = suite_with_many(200);
    let path = |p: &str| dir.path().join(p);
    let first_is = |file: &str| {
        let outcome = outcome(dir.path(), dir.path());
        assert!(
            outcome.starts_with(&format!("<suite>/{file}: ")),
            "{outcome}"
        );
    };
    std::fs::write(path("many/case-190.toml"), "[").unwrap();
    std::fs::write(path("many/case-070.toml"), "x = ").unwrap();
    first_is("many/case-070.toml:1:5");
    std::fs::write(path("success/valid.toml"), "]").unwrap();
    first_is("many/case-070.toml:1:5");
    std::fs::write(path("body/zz.toml"), "]").unwrap();
    first_is("body/zz.toml:1:1");
}
