//! Checks the suite's data against its JSON Schemas, and the API schemas against
//! sample documents.
//!
//! - Every file in `schemas/` compiles (offline: `$ref`s resolve only among those
//!   files) and carries the `$id` of its file name.
//! - Every case file, `requirements.toml`, `expectations.toml` and profile is valid
//!   against its schema (TOML read as JSON), and the cross-file rules hold: a case's
//!   id is its path, every requirement is defined and used, every retcode, HTTP and
//!   policy set a case names exists, every fault a case catches is a fault of the
//!   reference gateway and every such fault is caught somewhere.
//! - The API schemas accept and refuse the sample answers below, among them the
//!   interface page's own example, which must fail on its signaling domains.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use ccgw_conformance::suite::model::{RawCase, RawRequirements};
use jsonschema::{Registry, Validator};
use rstest::rstest;
use serde_json::{Value, json};

/// The base of every schema `$id`; relative `$ref`s resolve against it.
const SCHEMA_BASE: &str = "https://ccgw-conformance.local/schemas/";

/// The schema files this test expects (all of `schemas/` must be listed here).
const SCHEMA_FILES: &[&str] = &[
    "case.schema.json",
    "config.schema.json",
    "envelope.schema.json",
    "error.schema.json",
    "expect-file.schema.json",
    "expectations.schema.json",
    "profile.schema.json",
    "report.schema.json",
    "request-body.schema.json",
    "request-headers.schema.json",
    "requirements.schema.json",
    "result.schema.json",
    "success.schema.json",
];

/// The reference gateway's fault names.
fn faults() -> Vec<&'static str> {
    ccgw_conformance::gateway::Fault::all()
        .iter()
        .map(|f| f.name())
        .collect()
}

/// Tokens a case may use in `agent_id`.
const AGENT_TOKENS: &[&str] = &["min", "max", "min-1", "max+1", "other_agent", "agent"];
/// Tokens a case may use in `body_json`.
const BODY_TOKENS: &[&str] = &["callid", "other_callid", "unknown_callid"];
/// Special values of `guid`.
const GUID_SPECIALS: &[&str] = &["<absent>", "<unknown>", "<other-agent>"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("failed to read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("failed to parse {} as JSON: {e}", path.display()))
}

fn read_toml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("failed to read {}: {e}", path.display()));
    toml::from_str(&text)
        .unwrap_or_else(|e| panic!("failed to parse {} as TOML: {e}", path.display()))
}

/// Every schema document, by file name.
static SCHEMAS: LazyLock<BTreeMap<String, Value>> = LazyLock::new(|| {
    let dir = root().join("schemas");
    let mut schemas = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("schemas/ is readable") {
        let path = entry.expect("schemas/ entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".schema.json") {
            schemas.insert(name, read_json(&path));
        }
    }
    schemas
});

/// Compiles `name` with every schema file registered under its `$id`, offline.
fn compile(name: &str, validate_formats: bool) -> Validator {
    let schema = SCHEMAS
        .get(name)
        .unwrap_or_else(|| panic!("no schema {name} in schemas/"));
    let registry = Registry::new()
        .extend(
            SCHEMAS
                .iter()
                .map(|(file, doc)| (format!("{SCHEMA_BASE}{file}"), doc)),
        )
        .and_then(|builder| builder.prepare())
        .unwrap_or_else(|e| panic!("failed to register the schemas: {e}"));
    jsonschema::options()
        .with_registry(&registry)
        .offline()
        .should_validate_formats(validate_formats)
        .build(schema)
        .unwrap_or_else(|e| panic!("failed to compile {name}: {e}"))
}

/// Compiled validators (format assertion on), by file name.
static VALIDATORS: LazyLock<BTreeMap<String, Validator>> = LazyLock::new(|| {
    SCHEMAS
        .keys()
        .map(|name| (name.clone(), compile(name, true)))
        .collect()
});

/// The violations of `instance` against schema `name`, one line each, with
/// instance values masked (a sample may hold a signature).
fn violations(name: &str, instance: &Value) -> Vec<String> {
    let validator = &VALIDATORS[name];
    let mut found: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| {
            format!(
                "{} ({}): {}",
                e.instance_path(),
                e.schema_path(),
                e.masked()
            )
        })
        .collect();
    found.sort();
    found
}

fn assert_valid(name: &str, instance: &Value, what: &str) {
    let found = violations(name, instance);
    assert!(
        found.is_empty(),
        "{what} should be valid against {name}:\n  {}",
        found.join("\n  ")
    );
}

/// Asserts `instance` is invalid against `name` and returns the violations.
fn assert_invalid(name: &str, instance: &Value, what: &str) -> Vec<String> {
    let found = violations(name, instance);
    assert!(!found.is_empty(), "{what} should be INVALID against {name}");
    found
}

/// The `${...}` tokens in `text`.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .unwrap_or_else(|| panic!("unclosed token in {text:?}"));
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    out
}

/// A suite's folder (`suites/<suite>`) and its case files.
fn case_files(suite_dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for family in std::fs::read_dir(suite_dir).expect("suite folder is readable") {
        let family = family.expect("suite entry").path();
        if !family.is_dir() || family.ends_with("profiles") {
            continue;
        }
        for case in std::fs::read_dir(&family).expect("family folder is readable") {
            let case = case.expect("family entry").path();
            if case.extension().is_some_and(|ext| ext == "toml") {
                files.push(case);
            }
        }
    }
    files.sort();
    files
}

fn key_set(doc: &Value, table: &str) -> BTreeSet<String> {
    doc.get(table)
        .and_then(Value::as_object)
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

// ------------------------------------------------------------------ schemas

#[test]
fn every_schema_file_is_known_and_compiles_offline() {
    let found: BTreeSet<&str> = SCHEMAS.keys().map(String::as_str).collect();
    let listed: BTreeSet<&str> = SCHEMA_FILES.iter().copied().collect();
    assert_eq!(found, listed, "schemas/ and SCHEMA_FILES differ");
    for (name, doc) in SCHEMAS.iter() {
        assert_eq!(
            doc["$id"],
            json!(format!("{SCHEMA_BASE}{name}")),
            "{name}: $id must be the base plus the file name"
        );
        assert_eq!(
            doc["$schema"],
            json!("https://json-schema.org/draft/2020-12/schema"),
            "{name}: must declare JSON Schema 2020-12"
        );
        assert!(
            jsonschema::draft202012::meta::is_valid(doc),
            "{name} is not a valid 2020-12 schema"
        );
        // Both modes must compile: a $ref that does not resolve locally fails here.
        compile(name, false);
        compile(name, true);
    }
}

// ------------------------------------------------------------------ suite files

#[rstest]
fn case_file_is_valid(
    #[files("suites/*/*/*.toml")]
    #[exclude("/profiles/")]
    path: PathBuf,
) {
    let case = read_toml(&path);
    assert_valid("case.schema.json", &case, &path.display().to_string());
    // The schema and the crate's model agree on this file.
    let text = std::fs::read_to_string(&path).unwrap();
    if let Err(e) = toml::from_str::<RawCase>(&text) {
        panic!("{}: not a RawCase: {e}", path.display());
    }

    // The id is the path below the suite folder.
    let family = path.parent().unwrap();
    let suite_dir = family.parent().unwrap();
    let expected_id = format!(
        "{}/{}",
        family.file_name().unwrap().to_string_lossy(),
        path.file_stem().unwrap().to_string_lossy()
    );
    assert_eq!(case["id"], json!(expected_id), "{}: id", path.display());

    // Every requirement it names is defined.
    let requirements = read_toml(&suite_dir.join("requirements.toml"));
    let defined: BTreeSet<&str> = requirements["requirement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for req in case["requirements"].as_array().unwrap() {
        let req = req.as_str().unwrap();
        assert!(
            defined.contains(req),
            "{}: requirement {req} is not defined in requirements.toml (defined: {defined:?})",
            path.display()
        );
    }

    // Every set it names exists in expectations.toml.
    let expectations = read_toml(&suite_dir.join("expectations.toml"));
    let expect = &case["expect"];
    if let Some(name) = expect.get("retcodes").and_then(Value::as_str) {
        let sets = key_set(&expectations, "retcodes");
        assert!(
            sets.contains(name),
            "{}: retcodes = {name:?} is not a [retcodes.*] of expectations.toml ({sets:?})",
            path.display()
        );
    }
    if let Some(name) = expect.get("http").and_then(Value::as_str) {
        let sets = key_set(&expectations, "http");
        assert!(
            sets.contains(name),
            "{}: http = {name:?} is not an [http.*] of expectations.toml ({sets:?})",
            path.display()
        );
    }
    let outcome = expect["outcome"].as_str().unwrap();
    if let Some(policy) = outcome.strip_prefix("policy:") {
        let sets = key_set(&expectations, "policy");
        assert!(
            sets.contains(policy),
            "{}: outcome {outcome:?} names no [policy.*] of expectations.toml ({sets:?})",
            path.display()
        );
    }

    // Every fault it catches is a fault of the reference gateway.
    for fault in case
        .get("catches")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let fault = fault.as_str().unwrap();
        assert!(
            faults().contains(&fault),
            "{}: catches unknown fault {fault:?}",
            path.display()
        );
    }

    // Tokens and special values are ones the tool knows.
    let request = case.get("request").cloned().unwrap_or(json!({}));
    if let Some(agent) = request.get("agent_id").and_then(Value::as_str) {
        for token in tokens(agent) {
            assert!(
                AGENT_TOKENS.contains(&token),
                "{}: unknown agent_id token ${{{token}}} (known: {AGENT_TOKENS:?})",
                path.display()
            );
        }
    }
    if let Some(guid) = request.get("guid").and_then(Value::as_str) {
        assert!(
            !guid.starts_with('<') || GUID_SPECIALS.contains(&guid),
            "{}: unknown special guid {guid:?} (known: {GUID_SPECIALS:?})",
            path.display()
        );
    }
    if let Some(content_type) = request.get("content_type").and_then(Value::as_str) {
        assert!(
            !content_type.starts_with('<') || content_type == "<absent>",
            "{}: unknown special content_type {content_type:?}",
            path.display()
        );
    }
    if let Some(body) = request.get("body_json").and_then(Value::as_str) {
        for token in tokens(body) {
            assert!(
                BODY_TOKENS.contains(&token),
                "{}: unknown body_json token ${{{token}}} (known: {BODY_TOKENS:?})",
                path.display()
            );
        }
        let parsed: Value = serde_json::from_str(body).unwrap_or_else(|e| {
            panic!("{}: body_json is not JSON: {e}", path.display());
        });
        // A body the suite expects served must be a valid request body.
        if outcome == "served" {
            assert_valid(
                "request-body.schema.json",
                &parsed,
                &path.display().to_string(),
            );
        }
    }
}

#[rstest]
fn requirements_file_is_valid(#[files("suites/*/requirements.toml")] path: PathBuf) {
    let doc = read_toml(&path);
    assert_valid(
        "requirements.schema.json",
        &doc,
        &path.display().to_string(),
    );
    let text = std::fs::read_to_string(&path).unwrap();
    if let Err(e) = toml::from_str::<RawRequirements>(&text) {
        panic!("{}: not a RawRequirements: {e}", path.display());
    }
    let suite_dir = path.parent().unwrap();
    assert_eq!(
        doc["suite"],
        json!(suite_dir.file_name().unwrap().to_string_lossy()),
        "{}: suite must be the folder name",
        path.display()
    );

    let mut defined = BTreeSet::new();
    for req in doc["requirement"].as_array().unwrap() {
        let id = req["id"].as_str().unwrap();
        assert!(
            defined.insert(id),
            "{}: {id} is defined twice",
            path.display()
        );
    }
    let mut used = BTreeSet::new();
    for case in case_files(suite_dir) {
        let case = read_toml(&case);
        for req in case["requirements"].as_array().unwrap() {
            used.insert(req.as_str().unwrap().to_owned());
        }
    }
    let unused: Vec<&&str> = defined.iter().filter(|id| !used.contains(**id)).collect();
    assert!(unused.is_empty(), "requirements no case checks: {unused:?}");
}

#[rstest]
fn expectations_file_is_valid(#[files("suites/*/expectations.toml")] path: PathBuf) {
    let doc = read_toml(&path);
    assert_valid(
        "expectations.schema.json",
        &doc,
        &path.display().to_string(),
    );

    // `documented` holds every code any other set accepts.
    let sets = doc["retcodes"].as_object().unwrap();
    let documented: BTreeSet<&str> = sets["documented"]["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for (name, set) in sets {
        for code in set["codes"].as_array().unwrap() {
            let code = code.as_str().unwrap();
            assert!(
                documented.contains(code),
                "retcodes.{name} accepts {code}, which retcodes.documented lacks"
            );
        }
    }
    // No HTTP set accepts a redirect or a server error.
    for (name, set) in doc["http"].as_object().unwrap() {
        for status in set["statuses"].as_array().unwrap() {
            let status = status.as_str().unwrap();
            assert!(
                !status.starts_with('3') && !status.starts_with('5'),
                "http.{name} accepts {status}"
            );
        }
    }
}

#[rstest]
fn profile_file_is_valid(#[files("suites/getconnectinfo/profiles/*.toml")] path: PathBuf) {
    let doc = read_toml(&path);
    assert_valid("profile.schema.json", &doc, &path.display().to_string());
    assert_eq!(
        doc["name"],
        json!(path.file_stem().unwrap().to_string_lossy()),
        "{}: name must be the file name",
        path.display()
    );
    let (min, max) = (&doc["agent_id"]["min"], &doc["agent_id"]["max"]);
    assert!(
        min.as_u64() <= max.as_u64(),
        "{}: agent_id.min {min} is greater than agent_id.max {max}",
        path.display()
    );
}

#[test]
fn every_fault_is_caught_by_some_case() {
    let mut caught = BTreeSet::new();
    for suite in std::fs::read_dir(root().join("suites")).unwrap() {
        let suite = suite.unwrap().path();
        if !suite.join("requirements.toml").exists() {
            continue;
        }
        for case in case_files(&suite) {
            let case = read_toml(&case);
            for fault in case
                .get("catches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                caught.insert(fault.as_str().unwrap().to_owned());
            }
        }
    }
    // Session faults are caught by the session checks, not by case files.
    for check in ccgw_conformance::session::SESSION_CHECKS {
        caught.extend(check.catches.iter().map(|f| (*f).to_owned()));
    }
    let missed: Vec<&str> = faults()
        .into_iter()
        .filter(|f| !caught.contains(*f))
        .collect();
    assert!(missed.is_empty(), "faults no case catches: {missed:?}");
}

// ------------------------------------------------------------------ format schemas refuse

#[rstest]
#[case::two_changes(json!({"request": {"method": "GET", "guid": ""}}))]
#[case::unknown_request_key(json!({"request": {"path": "/x"}}))]
#[case::unknown_top_key(json!({"severity": "required", "notes": "x"}))]
#[case::bad_severity(json!({"severity": "optional"}))]
#[case::no_requirement(json!({"requirements": []}))]
#[case::bad_requirement(json!({"requirements": ["METHOD"]}))]
#[case::bad_outcome(json!({"expect": {"outcome": "rejected", "retcodes": "auth"}}))]
#[case::refused_without_retcodes(json!({"expect": {"outcome": "refused"}}))]
#[case::policy_without_retcodes(json!({"expect": {"outcome": "policy:content_type"}}))]
#[case::served_with_retcodes(json!({"expect": {"outcome": "served", "retcodes": "auth"}}))]
#[case::bad_id(json!({"id": "method-get"}))]
#[case::bad_catch(json!({"catches": ["Method_Any"]}))]
fn case_schema_refuses(#[case] change: Value) {
    let mut case = json!({
        "id": "method/get",
        "title": "GET is not served",
        "severity": "required",
        "requirements": ["REQ-METHOD"],
        "request": {"method": "GET"},
        "expect": {"outcome": "not_served", "http": "wrong_method"}
    });
    assert_valid("case.schema.json", &case, "the unchanged sample case");
    for (key, value) in change.as_object().unwrap() {
        case[key] = value.clone();
    }
    assert_invalid("case.schema.json", &case, &format!("case with {change}"));
}

#[rstest]
#[case::exact_and_class(json!(["405", "4xx"]), true)]
#[case::bad_class(json!(["4x"]), false)]
#[case::number(json!([405]), false)]
#[case::empty(json!([]), false)]
fn expectations_schema_status_tokens(#[case] statuses: Value, #[case] is_valid: bool) {
    let profile = json!({
        "name": "sample",
        "title": "Sample profile",
        "reference": "test",
        "agent_id": {"min": 101, "max": 999},
        "expectations": {"http": {"wrong_method": {"statuses": statuses, "reference": "test"}}}
    });
    let found = violations("profile.schema.json", &profile);
    assert_eq!(found.is_empty(), is_valid, "{statuses}: {found:?}");
}

// ------------------------------------------------------------------ API samples

/// The interface page's example answer, as printed (duplicate appId included).
const PAGE_EXAMPLE: &str = r#"{ "message": "success", "retcode": "0", "result": { "userId": "Agent ID", "ctime": "Expiration time", "channelId": "15945185-345", "appId": "8345234631", "ip": "xxx.xxx.xxx.xxx", "port": "6500", "role": "0", "signalingDomainIn": "https: //in.isdpdomain.com", "signalingDomainOut": "https: //out.isdpdomain.com", "locationId": "65535", "signature": "xxx", "appId": "sdcp0BPcVGymItWppGX6XqrZGTCYa13d" } }"#;

/// The page's example with its placeholders and domains fixed.
fn fixed_success() -> Value {
    json!({
        "message": "success",
        "retcode": "0",
        "result": {
            "userId": "1001",
            "ctime": "4102444800000",
            "channelId": "15945185-345",
            "ip": "192.0.2.10",
            "port": "6500",
            "role": "0",
            "signalingDomainIn": "https://in.isdpdomain.com:8443",
            "signalingDomainOut": "https://out.isdpdomain.com:8443",
            "locationId": "65535",
            "signature": "not-a-real-signature",
            "appId": "sdcp0BPcVGymItWppGX6XqrZGTCYa13d"
        }
    })
}

#[test]
fn fixed_page_example_is_a_valid_success() {
    let success = fixed_success();
    assert_valid("success.schema.json", &success, "the fixed page example");
    assert_valid("envelope.schema.json", &success, "the fixed page example");
    assert_valid("result.schema.json", &success["result"], "its result");
    assert_invalid("error.schema.json", &success, "a success");
}

#[test]
fn page_example_as_printed_fails_on_its_domains() {
    let example: Value = serde_json::from_str(PAGE_EXAMPLE).unwrap();
    let found = assert_invalid("result.schema.json", &example["result"], "the page example");
    for field in ["/signalingDomainIn", "/signalingDomainOut"] {
        assert!(
            found.iter().any(|v| v.starts_with(&format!("{field} "))),
            "no violation at {field}: {found:?}"
        );
    }
    // With every placeholder fixed but the domains, the domains alone still fail.
    let mut result = fixed_success()["result"].clone();
    result["signalingDomainIn"] = example["result"]["signalingDomainIn"].clone();
    result["signalingDomainOut"] = example["result"]["signalingDomainOut"].clone();
    let found = assert_invalid("result.schema.json", &result, "the page's domains");
    assert!(
        found.iter().all(|v| v.starts_with("/signalingDomain")),
        "{found:?}"
    );
    assert!(
        found.iter().all(|v| !v.contains("not-a-real-signature")),
        "a violation shows the signature: {found:?}"
    );
}

#[rstest]
#[case::ipv4("ip", "192.0.2.10", true)]
#[case::ipv4_zero("ip", "0.0.0.0", true)]
#[case::ipv6_full("ip", "2001:0db8:0000:0000:0000:ff00:0042:8329", true)]
#[case::ipv6_short("ip", "2001:db8::8329", true)]
#[case::ipv6_loopback("ip", "::1", true)]
#[case::ipv6_mapped("ip", "::ffff:192.0.2.10", true)]
#[case::ip_placeholder("ip", "xxx.xxx.xxx.xxx", false)]
#[case::ip_octet_256("ip", "192.0.2.256", false)]
#[case::ip_leading_zero("ip", "192.0.02.10", false)]
#[case::ip_hostname("ip", "media.example.com", false)]
#[case::ipv6_two_gaps("ip", "2001::db8::1", false)]
#[case::ipv6_zone("ip", "fe80::1%eth0", false)]
#[case::ip_empty("ip", "", false)]
#[case::port_max("port", "65535", true)]
#[case::port_min("port", "1", true)]
#[case::port_zero("port", "0", false)]
#[case::port_over("port", "65536", false)]
#[case::port_leading_zero("port", "06500", false)]
#[case::port_sign("port", "+6500", false)]
#[case::domain_ipv4("signalingDomainIn", "https://192.0.2.1:443", true)]
#[case::domain_ipv6("signalingDomainIn", "https://[2001:db8::1]:8443", true)]
#[case::domain_single_label("signalingDomainIn", "https://localhost:8443", true)]
#[case::domain_no_port("signalingDomainIn", "https://in.isdpdomain.com", false)]
#[case::domain_space("signalingDomainIn", "https: //in.isdpdomain.com:8443", false)]
#[case::domain_http("signalingDomainIn", "http://in.isdpdomain.com:8443", false)]
#[case::domain_path("signalingDomainIn", "https://in.isdpdomain.com:8443/", false)]
#[case::domain_port_over("signalingDomainOut", "https://out.isdpdomain.com:70000", false)]
#[case::domain_bad_ipv4("signalingDomainOut", "https://999.1.1.1:443", false)]
#[case::domain_underscore("signalingDomainOut", "https://out_domain.com:443", false)]
#[case::ctime_ms("ctime", "4102444800000", true)]
#[case::ctime_text("ctime", "Expiration time", false)]
#[case::ctime_arabic_indic("ctime", "\u{0661}\u{0660}", false)]
#[case::role_empty("role", "", false)]
#[case::signature_empty("signature", "", false)]
fn result_field_formats(#[case] field: &str, #[case] value: &str, #[case] is_valid: bool) {
    let mut result = fixed_success()["result"].clone();
    result[field] = json!(value);
    // Patterns alone must decide, whether or not format assertion is on.
    for validate_formats in [true, false] {
        let validator = compile("result.schema.json", validate_formats);
        assert_eq!(
            validator.is_valid(&result),
            is_valid,
            "{field} = {value:?} (formats asserted: {validate_formats})"
        );
    }
}

#[rstest]
#[case::missing_field(json!({"locationId": null}))]
#[case::port_number(json!({"port": 6500}))]
#[case::ctime_number(json!({"ctime": 4102444800000_u64}))]
fn result_requires_every_field_as_a_string(#[case] change: Value) {
    let mut result = fixed_success()["result"].clone();
    for (key, value) in change.as_object().unwrap() {
        if value.is_null() {
            result.as_object_mut().unwrap().remove(key);
        } else {
            result[key] = value.clone();
        }
    }
    assert_invalid(
        "result.schema.json",
        &result,
        &format!("result with {change}"),
    );
}

#[rstest]
#[case::retcode_number(json!({"message": "success", "retcode": 0, "result": fixed_success()["result"]}))]
#[case::retcode_error(json!({"message": "success", "retcode": "000-002", "result": fixed_success()["result"]}))]
#[case::no_result(json!({"message": "success", "retcode": "0"}))]
#[case::no_message(json!({"retcode": "0", "result": fixed_success()["result"]}))]
fn success_schema_refuses(#[case] answer: Value) {
    assert_invalid("success.schema.json", &answer, &answer.to_string());
}

#[rstest]
#[case::plain(json!({"retcode": "100-006", "message": "agent not signed in"}))]
#[case::empty_message(json!({"retcode": "000-002", "message": ""}))]
#[case::null_result(json!({"retcode": "106-011", "message": "", "result": null}))]
#[case::empty_result(json!({"retcode": "106-015", "message": "", "result": {}}))]
#[case::internal_error_meaning(json!({"retcode": "100-007", "message": "An exception occurred during the agent's operation"}))]
fn error_schema_accepts(#[case] answer: Value) {
    assert_valid("error.schema.json", &answer, &answer.to_string());
    // The envelope types result as an object (Table 4); only a refusal tolerates null.
    if answer.get("result") != Some(&Value::Null) {
        assert_valid("envelope.schema.json", &answer, &answer.to_string());
    }
}

#[rstest]
#[case::with_result(json!({"retcode": "000-003", "message": "", "result": fixed_success()["result"]}))]
#[case::with_partial_result(json!({"retcode": "000-003", "message": "", "result": {"channelId": "15945185-345"}}))]
#[case::top_level_signature(json!({"retcode": "000-003", "message": "", "signature": "not-a-real-signature"}))]
#[case::top_level_ip(json!({"retcode": "000-003", "message": "", "ip": "192.0.2.10"}))]
#[case::retcode_zero(json!({"retcode": "0", "message": "success"}))]
#[case::retcode_number(json!({"retcode": 100006, "message": ""}))]
#[case::retcode_free_text(json!({"retcode": "ERROR", "message": ""}))]
#[case::no_message(json!({"retcode": "100-006"}))]
#[case::stack_trace(json!({"retcode": "100-007", "message": "java.lang.NullPointerException\n\tat com.huawei.agentgateway.MediaCallController.getConnectInfo(MediaCallController.java:212)"}))]
#[case::not_an_object(json!("Internal Server Error"))]
fn error_schema_refuses(#[case] answer: Value) {
    let found = assert_invalid("error.schema.json", &answer, &answer.to_string());
    assert!(
        found.iter().all(|v| !v.contains("not-a-real-signature")),
        "a violation shows the signature: {found:?}"
    );
}

#[test]
fn request_samples() {
    let body = json!({"callid": "1552524689-16797284", "userType": "agent"});
    assert_valid("request-body.schema.json", &body, "the page's example body");
    let extra = json!({"callid": "1552524689-16797284", "userType": "agent", "note": "x"});
    assert_valid(
        "request-body.schema.json",
        &extra,
        "a body with an extra field",
    );
    for bad in [
        json!({"userType": "agent"}),
        json!({"callid": "1552524689-16797284"}),
        json!({"callid": 1552524689, "userType": "agent"}),
        json!({"callid": "", "userType": "agent"}),
        json!([{"callid": "1552524689-16797284", "userType": "agent"}]),
    ] {
        assert_invalid("request-body.schema.json", &bad, &bad.to_string());
    }

    let headers = json!({
        "Content-Type": "application/json; charset=UTF-8",
        "Guid": "279fe21d-2caa-4437-84c3-ab9e9dae20f5.AgentGateway0"
    });
    assert_valid(
        "request-headers.schema.json",
        &headers,
        "the documented headers",
    );
    for bad in [
        json!({"Content-Type": "application/json; charset=UTF-8"}),
        json!({"Content-Type": "application/json; charset=UTF-8", "Guid": ""}),
        json!({"Content-Type": "application/json; charset=UTF-8", "Guid": "a b"}),
        json!({"Guid": "279fe21d-2caa-4437-84c3-ab9e9dae20f5.AgentGateway0"}),
    ] {
        assert_invalid("request-headers.schema.json", &bad, &bad.to_string());
    }
}
