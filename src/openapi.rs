//! The contract as an OpenAPI 3.1 document, for the tools of the API
//! ecosystem (linters, mock servers, fuzzers, client generators).
//!
//! Assembled from what the suite already holds, never written twice: the
//! project's JSON Schemas (every keyword kept; only `$id` dropped and each
//! `$ref` between them pointed at `#/components/schemas/...`), the profile's
//! agentid rule (a pattern of canonical decimal numbers in its range), the
//! Guid as an API-key security scheme, the documented retcodes and HTTP
//! statuses with their sources, and the requirements, each part traced to
//! the requirements it carries (`x-ccgw-requirements`).

use crate::contract::{ExpectationValue, Profile};
use crate::schemas::Schemas;
use crate::suite::Suite;
use serde_json::{Map, Value, json};

/// The interface's path, with its one parameter.
pub const PATH: &str = "/agentgateway/resource/mediacall/{agentid}/getconnectinfo";

/// The components assembled from `schemas/`: name, file, and the
/// requirements each one expresses.
const COMPONENTS: [(&str, &str, &[&str]); 5] = [
    ("RequestBody", "request-body.schema.json", &["REQ-BODY"]),
    (
        "Envelope",
        "envelope.schema.json",
        &["REQ-ERROR-ENVELOPE", "REQ-JSON-WELLFORMED"],
    ),
    ("Success", "success.schema.json", &["REQ-SUCCESS"]),
    ("Result", "result.schema.json", &["REQ-RESULT-TABLE5"]),
    (
        "Error",
        "error.schema.json",
        &["REQ-ERROR-ENVELOPE", "REQ-ERROR-CODES"],
    ),
];

/// The requirements the document expresses somewhere: the operation lists
/// them all; the parts list their own.
const AGENT_ID_REQUIREMENTS: &[&str] = &["REQ-AGENTID-RANGE", "REQ-AGENTID-FORMAT"];
const GUID_REQUIREMENTS: &[&str] = &["REQ-GUID", "REQ-GUID-BINDING"];
const BODY_REQUIREMENTS: &[&str] = &["REQ-BODY", "REQ-CONTENT-TYPE"];

/// Why a document could not be assembled: the suite or the schemas lack a
/// part it is made of (a `--suite` or `--schemas` folder of another shape).
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    #[error("the schemas have no {0} (the document is assembled from it)")]
    MissingSchema(&'static str),
    #[error("{file} refers to `{reference}`, which is not one of the assembled schemas")]
    ForeignRef {
        file: &'static str,
        reference: String,
    },
    #[error("the suite has no requirement {0}, which the document traces a part to")]
    UnknownRequirement(&'static str),
}

/// The OpenAPI 3.1 document of `profile`.
pub fn document(
    suite: &Suite,
    schemas: &Schemas,
    profile: &Profile,
) -> Result<Value, OpenApiError> {
    let known = |id: &'static str| {
        suite
            .requirements
            .iter()
            .any(|r| r.id == id)
            .then_some(id)
            .ok_or(OpenApiError::UnknownRequirement(id))
    };
    let traced = |ids: &[&'static str]| -> Result<Value, OpenApiError> {
        ids.iter().map(|id| known(id).map(Value::from)).collect()
    };

    let mut components = Map::new();
    for (name, file, requirements) in COMPONENTS {
        let mut schema = component(schemas, file)?;
        if let Value::Object(map) = &mut schema {
            map.insert("x-ccgw-requirements".into(), traced(requirements)?);
        }
        components.insert(name.into(), schema);
    }

    let headers = schemas
        .document("request-headers.schema.json")
        .ok_or(OpenApiError::MissingSchema("request-headers.schema.json"))?;
    let header_description = |name: &str| {
        headers
            .pointer(&format!("/properties/{name}/description"))
            .cloned()
            .unwrap_or(Value::Null)
    };

    let expectations = suite.expectations_for(profile);
    let retcodes: Vec<Value> = expectations
        .entries()
        .filter_map(|(key, e)| match &e.value {
            ExpectationValue::Retcodes(codes) => Some(json!({
                "expectation": key, "codes": codes, "reference": e.reference,
            })),
            _ => None,
        })
        .collect();
    let statuses: Vec<Value> = expectations
        .entries()
        .filter_map(|(key, e)| match &e.value {
            ExpectationValue::Statuses(_) => Some(json!({
                "expectation": key, "statuses": e.value.to_string(), "reference": e.reference,
            })),
            _ => None,
        })
        .collect();
    let requirements: Vec<Value> = suite
        .requirements
        .iter()
        .map(|r| json!({"id": r.id, "title": r.title, "reference": r.spec_ref}))
        .collect();
    let all_requirements: Vec<Value> = suite
        .requirements
        .iter()
        .map(|r| Value::from(r.id.as_str()))
        .collect();

    let agent_id = json!({
        "name": "agentid",
        "in": "path",
        "required": true,
        "description": format!(
            "The agent's ID: canonical ASCII decimal digits (no sign, no leading zero), {}..{} under profile {} ({}).",
            profile.agent_id_min, profile.agent_id_max, profile.name, profile.agent_id_reference
        ),
        "schema": {
            "type": "string",
            "pattern": range_pattern(profile.agent_id_min, profile.agent_id_max),
            "x-ccgw-range": {"min": profile.agent_id_min, "max": profile.agent_id_max},
        },
        "x-ccgw-requirements": traced(AGENT_ID_REQUIREMENTS)?,
    });

    Ok(json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "CC-Gateway getconnectinfo",
            "version": profile.name,
            "summary": "Query the media server's connection information of an agent's H5 video call, to rejoin the conference.",
            "description": format!(
                "Assembled by ccgw-conformance {} from its contract: the JSON Schemas of its schemas/ folder (keywords kept; $id dropped, $ref pointed at components), profile {} ({}), and the documented codes of its suite. Where the documentation is silent, the x-ccgw-expectations say what is assumed and why.",
                env!("CARGO_PKG_VERSION"), profile.name, profile.title
            ),
            "x-ccgw-profile": {
                "name": profile.name,
                "title": profile.title,
                "reference": profile.reference,
            },
            "x-ccgw-requirements": requirements,
        },
        "servers": [{
            "url": "https://{ip}:{port}",
            "description": "The CC-Gateway (its address and port are the deployment's).",
            "variables": {
                "ip": {"default": "127.0.0.1"},
                "port": {"default": "8043"},
            },
        }],
        "security": [{"Guid": []}],
        "paths": {
            PATH: {
                "post": {
                    "operationId": "getconnectinfo",
                    "summary": "Get the connection information of the agent's call",
                    "description": "Only POST is supported (cec_07_1280 Interface Method). Business refusals are retcodes in the JSON envelope; the HTTP status of a refusal is unpublished (x-ccgw-expectations).",
                    "parameters": [agent_id],
                    "security": [{"Guid": []}],
                    "requestBody": {
                        "required": true,
                        "description": header_description("Content-Type"),
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/RequestBody"},
                            },
                        },
                        "x-ccgw-requirements": traced(BODY_REQUIREMENTS)?,
                    },
                    "responses": {
                        "200": {
                            "description": "The envelope: retcode \"0\" with the result (Success), or a refusal with a documented retcode (Error).",
                            "content": {
                                "application/json": {
                                    "schema": {"anyOf": [
                                        {"$ref": "#/components/schemas/Success"},
                                        {"$ref": "#/components/schemas/Error"},
                                    ]},
                                },
                            },
                        },
                        "4XX": {
                            "description": "A refusal with a 4xx status (unpublished whether a gateway uses one; the body is the same envelope).",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"},
                                },
                            },
                        },
                    },
                    "x-ccgw-requirements": all_requirements,
                    "x-ccgw-retcodes": retcodes,
                    "x-ccgw-expectations": statuses,
                },
            },
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "Guid": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Guid",
                    "description": header_description("Guid"),
                    "x-ccgw-requirements": traced(GUID_REQUIREMENTS)?,
                },
            },
        },
    }))
}

/// One of the project's schemas as a component: `$id` dropped (the
/// document is its base), every `$ref` to a sibling file pointed at its
/// component.
fn component(schemas: &Schemas, file: &'static str) -> Result<Value, OpenApiError> {
    let mut schema = schemas
        .document(file)
        .cloned()
        .ok_or(OpenApiError::MissingSchema(file))?;
    if let Value::Object(map) = &mut schema {
        map.remove("$id");
    }
    repoint(&mut schema, file)?;
    Ok(schema)
}

fn repoint(value: &mut Value, file: &'static str) -> Result<(), OpenApiError> {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), &*v) {
                    ("$ref", Value::String(reference)) if !reference.starts_with('#') => {
                        let (target, fragment) =
                            reference.split_once('#').unwrap_or((reference, ""));
                        let name = COMPONENTS
                            .iter()
                            .find(|(_, f, _)| *f == target)
                            .map(|(name, _, _)| *name)
                            .ok_or_else(|| OpenApiError::ForeignRef {
                                file,
                                reference: reference.clone(),
                            })?;
                        *v = Value::String(format!("#/components/schemas/{name}{fragment}"));
                    }
                    _ => repoint(v, file)?,
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                repoint(item, file)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A regular expression that matches exactly the canonical decimal
/// spellings (no sign, no leading zero) of the numbers `min..=max`.
pub fn range_pattern(min: u64, max: u64) -> String {
    let parts: Vec<String> = split_range(min, max)
        .into_iter()
        .map(|(low, high)| digits_pattern(&low.to_string(), &high.to_string()))
        .collect();
    format!("^(?:{})$", parts.join("|"))
}

/// `min..=max` as ranges whose bounds have as many digits and differ only
/// in a head: `low` = p d 0..0 and `high` = p e 9..9 (as `101..=109`,
/// `110..=199`, `200..=999`).
fn split_range(min: u64, max: u64) -> Vec<(u64, u64)> {
    if min > max {
        return Vec::new();
    }
    let mut stops = vec![max];
    // Upward from min: min with its last k digits made nines.
    let mut k = 1u32;
    while let Some(stop) = fill_nines(min, k) {
        if stop > max {
            break;
        }
        stops.push(stop);
        k += 1;
    }
    // Downward from max + 1: its last k digits made zeros, minus one.
    if let Some(next) = max.checked_add(1) {
        let mut k = 1u32;
        while let Some(p) = 10u64.checked_pow(k) {
            let zeroed = next - next % p;
            if zeroed == 0 || zeroed - 1 < min {
                break;
            }
            stops.push(zeroed - 1);
            k += 1;
        }
    }
    stops.sort_unstable();
    stops.dedup();
    let mut ranges = Vec::new();
    let mut start = min;
    for stop in stops {
        if stop < start {
            continue;
        }
        ranges.push((start, stop));
        match stop.checked_add(1) {
            Some(next) => start = next,
            None => break,
        }
    }
    ranges
}

fn fill_nines(n: u64, k: u32) -> Option<u64> {
    let p = 10u64.checked_pow(k)?;
    (n / p).checked_mul(p)?.checked_add(p - 1)
}

/// The pattern of `low..=high`, two numbers of one length that split_range
/// made: equal digits as themselves, the rest as a class.
fn digits_pattern(low: &str, high: &str) -> String {
    let mut out = String::new();
    for (a, b) in low.chars().zip(high.chars()) {
        if a == b {
            out.push(a);
        } else if a == '0' && b == '9' {
            out.push_str("[0-9]");
        } else {
            out.push_str(&format!("[{a}-{b}]"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, n: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(n)
    }

    /// Every number up to 2 000, and 2 000 around each bound and each power
    /// of ten (where a range splits).
    fn probes(min: u64, max: u64) -> Vec<u64> {
        let mut around = vec![min, max];
        around.extend((1..7).map(|k| 10u64.pow(k)));
        let mut probes: Vec<u64> = (0..2000).collect();
        for a in around {
            probes.extend(a.saturating_sub(1000)..a.saturating_add(1000));
        }
        probes
    }

    #[test]
    fn the_range_pattern_matches_exactly_the_range() {
        for (min, max) in [
            (101, 59999),
            (101, 999_999),
            (0, 0),
            (1, 1),
            (7, 93),
            (100, 100),
            (0, 1000),
            (999, 1001),
            (10, 99),
        ] {
            let pattern = range_pattern(min, max);
            let re = regex::Regex::new(&pattern).unwrap();
            for n in probes(min, max) {
                assert_eq!(
                    re.is_match(&n.to_string()),
                    (min..=max).contains(&n),
                    "{n} against {min}..={max}: {pattern}"
                );
            }
            for spelling in ["0101", "+101", "-1", "101.0", "", " 101", "1e3"] {
                assert!(!re.is_match(spelling), "{spelling:?}: {pattern}");
            }
        }
    }

    #[test]
    fn the_range_pattern_of_the_profiles_reads_well() {
        assert_eq!(
            range_pattern(101, 59999),
            "^(?:10[1-9]|1[1-9][0-9]|[2-9][0-9][0-9]|[1-9][0-9][0-9][0-9]|[1-5][0-9][0-9][0-9][0-9])$"
        );
        let all = range_pattern(0, u64::MAX);
        assert!(matches(&all, "0") && matches(&all, &u64::MAX.to_string()));
        assert!(!matches(&all, "18446744073709551616") && !matches(&all, "00"));
    }
}
