//! The config file end to end: two named targets against a reference
//! gateway, found upward from the working directory; the precedence flag >
//! environment > file > default; secrets refused with the file's line;
//! every mistake named by file, line and key; the file's JSON Schema.

use crate::support::{BinOutput, bin, run_bin, runtime};
use ccgw_conformance::gateway::{self, GatewayConfig};
use ccgw_conformance::report::{InputSource, RunReport, Verdict};
use std::path::Path;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(120);

/// `run` with `args` in `cwd`, its environment `env`.
fn run_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> BinOutput {
    let mut cmd = bin();
    cmd.current_dir(cwd).arg("run").args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    run_bin(cmd, DEADLINE)
}

fn report(out: &Path) -> RunReport {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json reads back")
}

/// Two targets of one gateway (a vendor's staging and lab, say), each with
/// its own label and selection, the secrets in named variables, the CA
/// certificate beside the file: both end Conformant, run from a folder
/// below the file's.
#[test]
fn two_named_targets_end_conformant() {
    let rt = runtime();
    let gw = rt.block_on(async { gateway::start(GatewayConfig::default()).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), gw.ca_cert_pem.clone().unwrap()).unwrap();
    let config = format!(
        r#"# Two named targets of one gateway.
default_target = "staging"

[target.staging]
target = "{url}"
agent_id = "{agent}"
other_agent_id = "{other}"
ca_cert = "ca.pem"
guid_env = "STAGING_GUID"
callid_env = "STAGING_CALLID"
other_guid_env = "STAGING_OTHER_GUID"
other_callid_env = "STAGING_OTHER_CALLID"
label = "staging from the file"

[target.lab]
target = "{url}"
agent_id = {agent}
ca_cert = "ca.pem"
guid_env = "STAGING_GUID"
label = "lab from the file"
only = "guid/*"
accept_skip = ["guid/header-lowercase", "guid/other-agent"]
concurrency = 4
"#,
        url = gw.base_url,
        agent = gw.agent.agent_id,
        other = gw.other_agent.agent_id,
    );
    std::fs::write(dir.path().join("ccgw-conformance.toml"), config).unwrap();
    let below = dir.path().join("work/here");
    std::fs::create_dir_all(&below).unwrap();
    let env = [
        ("STAGING_GUID", gw.agent.guid.as_str()),
        ("STAGING_CALLID", gw.agent.callid.as_str()),
        ("STAGING_OTHER_GUID", gw.other_agent.guid.as_str()),
        ("STAGING_OTHER_CALLID", gw.other_agent.callid.as_str()),
    ];
    for (name, label, total) in [
        (None, "staging from the file", 52),
        (Some("lab"), "lab from the file", 6),
    ] {
        let out = below.join("reports");
        let mut args = vec!["--quiet", "--out", "reports"];
        if let Some(name) = name {
            args.extend(["--target-name", name]);
        }
        let run = run_in(&below, &args, &env);
        assert_eq!(run.code, Some(0), "{name:?}: {}", run.console());
        let report = report(&out);
        assert_eq!(report.summary.verdict, Verdict::Conformant, "{name:?}");
        assert_eq!(report.summary.total, total, "{name:?}");
        assert_eq!(report.environment.label.as_deref(), Some(label));
        let said = report.environment.assumptions.join("\n");
        assert!(said.contains("Options from the config file"), "{said}");
        for (_, secret) in env {
            assert!(!run.console().contains(secret), "a secret on the console");
        }
    }
    rt.block_on(gw.shutdown());
}

/// Flag > environment > file > default, for one option (the label).
#[test]
fn a_flag_wins_over_the_environment_which_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ccgw-conformance.toml"),
        "[target.only]\nlabel = \"file\"\nonly = \"method/get\"\n",
    )
    .unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--quiet", "--out", "r"];
        all.extend(args);
        let run = run_in(dir.path(), &all, env);
        assert_eq!(run.code, Some(0), "{}", run.console());
        report(&dir.path().join("r")).environment
    };
    // The label's value, and where the report says it came from.
    let label = |args: &[&str], env: &[(&str, &str)]| {
        let environment = run(args, env);
        let origin = environment
            .inputs
            .iter()
            .find(|i| i.option == "--label")
            .map(|i| (i.source, i.from.clone()));
        (environment.label, origin)
    };
    assert_eq!(
        label(&[], &[]),
        (
            Some("file".into()),
            Some((
                InputSource::ConfigFile,
                format!(
                    "label of [target.only] in {}:2",
                    dir.path().join("ccgw-conformance.toml").display()
                )
            ))
        )
    );
    assert_eq!(
        label(&[], &[("CCGW_LABEL", "env")]),
        (
            Some("env".into()),
            Some((InputSource::Environment, "CCGW_LABEL".into()))
        )
    );
    assert_eq!(
        label(&["--label", "flag"], &[("CCGW_LABEL", "env")]),
        (
            Some("flag".into()),
            Some((InputSource::Flag, "--label".into()))
        )
    );
    // Options never given are not listed; the value itself never is.
    let environment = run(&["--label", "label-value-7q"], &[]);
    assert!(environment.inputs.iter().all(|i| i.option != "--timeout"));
    let listed = serde_json::to_string(&environment.inputs).unwrap();
    assert!(listed.contains("--label") && !listed.contains("label-value-7q"));
    // The default when nothing gives it: no config file, no label.
    let elsewhere = tempfile::tempdir().unwrap();
    let run = run_in(
        elsewhere.path(),
        &["--quiet", "--out", "r", "--only", "method/get"],
        &[],
    );
    assert_eq!(run.code, Some(0));
    assert_eq!(report(&elsewhere.path().join("r")).environment.label, None);
}

/// Each mistake of a config file names the file, the line and the key, and
/// exits 2 before anything is sent; a secret written in it is refused and
/// never repeated.
#[rstest::rstest]
#[case::secret(
    "[target.t]\nlabel = \"x\"\nguid = \"5f3c-very-secret-guid\"\n",
    ":3: key `guid` of [target.t]: a secret is never written"
)]
#[case::password(
    "[target.t]\npassword = \"hunter2-s3cret\"\n",
    ":2: key `password` of [target.t]: a secret is never written"
)]
#[case::unknown_key(
    "[target.t]\nconcurency = 2\n",
    ":2: key `concurency` of [target.t]: not an option of run (did you mean `concurrency`?)"
)]
#[case::bad_value(
    "[target.t]\n\nconcurrency = 0\n",
    ":3: key `concurrency` of [target.t]: invalid value '0'"
)]
#[case::bad_toml("[target.t]\nlabel = \n", ":2: ")]
#[case::unknown_target(
    "default_target = \"stagign\"\n[target.staging]\nlabel = \"x\"\n",
    ":1: no target `stagign` (did you mean `staging`?)"
)]
#[case::unknown_top_level("[targets.t]\nlabel = \"x\"\n", "unknown field `targets`")]
#[case::variable_unset(
    "[target.t]\nguid_env = \"CCGW_TEST_UNSET_VARIABLE\"\n",
    ":2: key `guid_env` of [target.t]: the environment variable CCGW_TEST_UNSET_VARIABLE is not set"
)]
fn a_mistake_names_the_file_the_line_and_the_key(#[case] text: &str, #[case] said: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ccgw-conformance.toml");
    std::fs::write(&path, text).unwrap();
    let run = run_in(dir.path(), &["--quiet", "--out", "r"], &[]);
    assert_eq!(run.code, Some(2), "{}", run.console());
    assert!(
        run.stderr.contains(&format!("{}", path.display())) && run.stderr.contains(said),
        "expected `{said}` in: {}",
        run.stderr
    );
    for secret in ["5f3c-very-secret-guid", "hunter2-s3cret"] {
        assert!(!run.console().contains(secret), "{}", run.console());
    }
    assert!(!dir.path().join("r").exists(), "nothing was run");
}

/// `--target-name` without a file, and a file with several targets and no
/// default given with `--config`: both say what to do.
#[test]
fn a_target_name_needs_a_file_and_a_choice_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["--target-name", "staging"], &[]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("--target-name needs a config file"),
        "{}",
        run.stderr
    );
    let path = dir.path().join("targets.toml");
    std::fs::write(
        &path,
        "[target.a]\nlabel = \"a\"\n[target.b]\nlabel = \"b\"\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &["--config", path.to_str().unwrap()], &[]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("has the targets a, b: choose one with --target-name"),
        "{}",
        run.stderr
    );
}

/// The JSON Schema of the file takes a real file and refuses a secret.
#[test]
fn the_schema_takes_a_target_and_refuses_a_secret() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/config.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let good: toml::Value = toml::from_str(
        "default_target = \"staging\"\n[target.staging]\ntarget = \"https://10.0.0.5:8043\"\nagent_id = \"1001\"\nca_cert = \"ca.pem\"\nguid_env = \"STAGING_GUID\"\naccept_skip = [\"success/*\"]\nrate = 5\n",
    )
    .unwrap();
    let good = serde_json::to_value(good).unwrap();
    assert!(
        validator.is_valid(&good),
        "{:?}",
        validator
            .iter_errors(&good)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    let bad = serde_json::json!({"target": {"staging": {"guid": "x"}}});
    assert!(!validator.is_valid(&bad));
}
