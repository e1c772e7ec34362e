//! `ccgw-conformance openapi`: the contract as OpenAPI 3.1. The document
//! validates against the official schema (vendored), keeps the project's
//! schemas keyword for keyword, states each profile's agentid rule exactly,
//! is read by a second parser (openapi-spec-validator), and Schemathesis
//! driven by it finds nothing wrong with the reference gateway, finds a
//! fault, and prints no Guid.

use crate::support::{bin, python_tool, runtime, suite};
use ccgw_conformance::gateway::{self, Fault, GatewayConfig};
use ccgw_conformance::openapi;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn document(profile: &str) -> Value {
    let (schemas, suite) = suite();
    openapi::document(suite, schemas, suite.profile(profile).unwrap()).unwrap()
}

fn official_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo("tests/it/fixtures/openapi-3.1/schema.yaml")).unwrap();
    let schema: Value = serde_yaml_ng::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the official schema compiles")
}

#[test]
fn every_profile_validates_against_the_official_openapi_3_1_schema() {
    let validator = official_schema();
    let (_, suite) = suite();
    for profile in &suite.profiles {
        let doc = document(&profile.name);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", profile.name);
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            assert!(
                jsonschema::meta::is_valid(schema),
                "{name} is not a valid JSON Schema 2020-12"
            );
        }
    }
    // The validation can fail: a document without `info`, or with a
    // parameter in a place that does not exist, is refused.
    let mut broken = document("cec-23");
    broken.as_object_mut().unwrap().remove("info");
    assert!(!validator.is_valid(&broken));
    let mut broken = document("cec-23");
    broken["paths"][openapi::PATH]["post"]["parameters"][0]["in"] = "body".into();
    assert!(!validator.is_valid(&broken));
}

/// Each component is its schema file, keyword for keyword: only `$id` is
/// dropped, `$ref`s point at components, and the trace is added.
#[test]
fn the_components_keep_the_project_schemas_keyword_for_keyword() {
    let doc = document("cec-23");
    for (name, file) in [
        ("RequestBody", "request-body.schema.json"),
        ("Envelope", "envelope.schema.json"),
        ("Success", "success.schema.json"),
        ("Result", "result.schema.json"),
        ("Error", "error.schema.json"),
    ] {
        let text = std::fs::read_to_string(repo("schemas").join(file)).unwrap();
        let mut expected: Value = serde_json::from_str(&text).unwrap();
        expected.as_object_mut().unwrap().remove("$id");
        let mut got = doc["components"]["schemas"][name].clone();
        let trace = got.as_object_mut().unwrap().remove("x-ccgw-requirements");
        assert!(
            trace.is_some_and(|t| !t.as_array().unwrap().is_empty()),
            "{name} is traced to a requirement"
        );
        let got = serde_json::to_string(&got)
            .unwrap()
            .replace("#/components/schemas/Envelope", "envelope.schema.json")
            .replace("#/components/schemas/Result", "result.schema.json");
        assert_eq!(
            serde_json::from_str::<Value>(&got).unwrap(),
            expected,
            "{name}"
        );
    }
    // Every requirement of the suite is traced by the operation, and every
    // id a part names is one of them.
    let (_, suite) = suite();
    let op = &doc["paths"][openapi::PATH]["post"];
    let ids: Vec<&str> = op["x-ccgw-requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        suite
            .requirements
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>()
    );
    let codes = serde_json::to_string(&op["x-ccgw-retcodes"]).unwrap();
    for code in [
        "000-002", "000-003", "000-006", "100-006", "100-007", "106-011", "106-015",
    ] {
        assert!(codes.contains(code), "{code} is among the documented codes");
    }
    let guid = &doc["components"]["securitySchemes"]["Guid"];
    assert_eq!(
        (
            guid["type"].as_str(),
            guid["in"].as_str(),
            guid["name"].as_str()
        ),
        (Some("apiKey"), Some("header"), Some("Guid"))
    );
}

/// The path parameter's pattern accepts exactly what the profile's rule
/// accepts.
#[test]
fn the_agentid_pattern_is_the_profile_rule() {
    let (_, suite) = suite();
    for profile in &suite.profiles {
        let doc = document(&profile.name);
        let pattern = doc["paths"][openapi::PATH]["post"]["parameters"][0]["schema"]["pattern"]
            .as_str()
            .unwrap()
            .to_owned();
        let re = regex::Regex::new(&pattern).unwrap();
        let mut probes: Vec<String> = (0..1200).map(|n| n.to_string()).collect();
        for bound in [profile.agent_id_min, profile.agent_id_max] {
            probes.extend((bound.saturating_sub(50)..bound + 50).map(|n| n.to_string()));
        }
        probes.extend(
            [
                "0101", "+101", " 101", "101 ", "1e3", "101.0", "١٠١", "", "-101",
            ]
            .map(String::from),
        );
        for probe in probes {
            assert_eq!(
                re.is_match(&probe),
                profile.is_valid_agent_id(&probe),
                "{probe:?} under {}: {pattern}",
                profile.name
            );
        }
    }
}

/// A folder with what `openapi --dir` wrote.
fn written_documents() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["openapi", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    dir
}

#[test]
fn openapi_writes_one_file_per_profile_and_names_a_wrong_profile() {
    let dir = written_documents();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "getconnectinfo.aicc-25.200.openapi.json",
            "getconnectinfo.cec-23.openapi.json"
        ]
    );
    let printed = bin()
        .args(["openapi", "--profile", "aicc-25.200"])
        .output()
        .unwrap();
    let printed: Value = serde_json::from_slice(&printed.stdout).unwrap();
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("getconnectinfo.aicc-25.200.openapi.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(printed, written);
    assert_eq!(printed, document("aicc-25.200"));
    let wrong = bin()
        .args(["openapi", "--profile", "nope"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("known profiles"));
}

/// A second parser, openapi-spec-validator (Python), reads every document
/// and finds it valid.
#[test]
fn a_second_parser_reads_every_document() {
    let dir = written_documents();
    for profile in ["cec-23", "aicc-25.200"] {
        let file = dir
            .path()
            .join(format!("getconnectinfo.{profile}.openapi.json"));
        let checked = Command::new(python_tool("openapi-spec-validator"))
            .arg(&file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&checked.stdout);
        assert!(
            checked.status.success() && text.contains("OK"),
            "{profile}: {text}{}",
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    // It can refuse: a document whose security scheme has no `in`.
    let mut broken = document("cec-23");
    broken["components"]["securitySchemes"]["Guid"]
        .as_object_mut()
        .unwrap()
        .remove("in");
    let file = dir.path().join("broken.json");
    std::fs::write(&file, broken.to_string()).unwrap();
    let checked = Command::new(python_tool("openapi-spec-validator"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(!checked.status.success());
}

struct Schemathesis {
    code: Option<i32>,
    text: String,
}

/// Schemathesis with `examples/schemathesis/schemathesis.toml` and the
/// document against a reference gateway with `faults`; everything it
/// printed and wrote, and the Guids that must not be in it.
fn schemathesis(faults: Vec<Fault>) -> (Schemathesis, Vec<String>) {
    let rt = runtime();
    let gw = rt.block_on(async {
        gateway::start(GatewayConfig {
            faults,
            ..GatewayConfig::default()
        })
        .await
        .unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("getconnectinfo.openapi.json");
    std::fs::write(&spec, document("cec-23").to_string()).unwrap();
    let ca = dir.path().join("gateway-ca.pem");
    std::fs::write(&ca, gw.ca_cert_pem.clone().unwrap()).unwrap();
    let reports = dir.path().join("st-reports");
    let out = Command::new(python_tool("st"))
        .arg("--config-file")
        .arg(repo("examples/schemathesis/schemathesis.toml"))
        .arg("run")
        .arg(&spec)
        .args(["--max-examples", "60", "--seed", "7", "--workers", "1"])
        .args(["--report", "junit,ndjson", "--report-dir"])
        .arg(&reports)
        .env("CCGW_TARGET", &gw.base_url)
        .env("CCGW_GUID", &gw.agent.guid)
        .env("CCGW_CA_CERT", &ca)
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_HOOKS", "")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let mut text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for (_, content) in crate::support::files_below(&reports) {
        text.push_str(&content);
    }
    let secrets = vec![gw.agent.guid.clone(), gw.other_agent.guid.clone()];
    rt.block_on(gw.shutdown());
    drop(rt);
    (
        Schemathesis {
            code: out.status.code(),
            text,
        },
        secrets,
    )
}

/// Green on the conforming gateway, with the checks that the retcode design
/// contradicts configured off (the reasons are in the config file); its
/// output and reports never carry the Guid.
#[test]
fn schemathesis_finds_nothing_wrong_with_the_reference_gateway() {
    let (st, secrets) = schemathesis(Vec::new());
    assert_eq!(st.code, Some(0), "{}", st.text);
    assert!(st.text.contains("passed"), "{}", st.text);
    for secret in secrets {
        assert!(!st.text.contains(&secret), "the output carries a Guid");
    }
}

/// The same run catches a fault that breaks the contract it was given
/// (refusals answered HTTP 500), so the green run above is not a run that
/// checks nothing; the Guid stays out of the failure's replay line too.
#[test]
fn schemathesis_finds_a_refusal_answered_500() {
    let (st, secrets) = schemathesis(vec![Fault::Refusal5xx]);
    assert_eq!(st.code, Some(1), "{}", st.text);
    assert!(st.text.contains("Server error"), "{}", st.text);
    for secret in secrets {
        assert!(!st.text.contains(&secret), "the output carries a Guid");
    }
}
