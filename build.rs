//! Build script: names the git commit in `--version` when the crate is built
//! from a checkout (`0.1.0 (commit 1a2b3c4d5e6f)`). Without git, or outside a
//! checkout (a packaged crate, a Docker context without `.git`), the version
//! is the package version alone; `CCGW_BUILD_COMMIT` sets the commit instead.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CCGW_BUILD_COMMIT");
    let commit = std::env::var("CCGW_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit);
    let suffix = commit
        .map(|c| format!(" (commit {})", c.trim()))
        .unwrap_or_default();
    println!("cargo:rustc-env=CCGW_VERSION_SUFFIX={suffix}");
}

/// The short commit of HEAD, and the files whose change moves it.
fn git_commit() -> Option<String> {
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    // HEAD itself (a checkout), the branch it points to and packed refs (a commit).
    for path in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    if let Some(p) = branch.and_then(|b| git(&["rev-parse", "--git-path", &b])) {
        println!("cargo:rerun-if-changed={p}");
    }
    Some(commit)
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}
