//! Expectations: the answers a verdict accepts, each with its provenance.
//!
//! Three layers, later ones win: the documented defaults of the suite
//! (`expectations.toml`), the profile's `[expectations]`, and a file given with
//! `--expect`. Every entry in force is listed in the report with its source.

use crate::report::{ExpectationRecord, ExpectationSource};
use crate::suite::model::RawExpectations;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// What the responder may do when the documentation leaves it open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomePolicy {
    /// The request must be refused.
    Refused,
    /// The request must be served.
    Served,
    /// Either, as long as the answer is a valid success or a valid refusal.
    Either,
}

impl fmt::Display for OutcomePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutcomePolicy::Refused => "refused",
            OutcomePolicy::Served => "served",
            OutcomePolicy::Either => "either",
        })
    }
}

/// A set of accepted HTTP statuses: exact codes and classes such as `4xx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet {
    tokens: Vec<String>,
}

impl StatusSet {
    /// Parses tokens like `200` or `4xx`.
    pub fn parse(tokens: &[String]) -> Result<StatusSet, String> {
        for token in tokens {
            let bytes = token.as_bytes();
            let is_code =
                token.len() == 3 && token.parse::<u16>().is_ok_and(|c| (100..600).contains(&c));
            let is_class =
                bytes.len() == 3 && (b'1'..=b'5').contains(&bytes[0]) && &token[1..] == "xx";
            if !is_code && !is_class {
                return Err(format!(
                    "`{token}` is not an HTTP status (like \"405\") or class (like \"4xx\")"
                ));
            }
        }
        if tokens.is_empty() {
            return Err("an empty status set accepts nothing".to_owned());
        }
        Ok(StatusSet {
            tokens: tokens.to_vec(),
        })
    }

    /// Whether `status` is in the set.
    pub fn contains(&self, status: u16) -> bool {
        let code = status.to_string();
        self.tokens
            .iter()
            .any(|t| *t == code || (t.ends_with("xx") && code.starts_with(&t[..1])))
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tokens.join(", "))
    }
}

/// The value of one expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectationValue {
    /// Accepted retcodes.
    Retcodes(Vec<String>),
    /// Accepted HTTP statuses.
    Statuses(StatusSet),
    /// Required outcome.
    Policy(OutcomePolicy),
}

impl fmt::Display for ExpectationValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectationValue::Retcodes(codes) => f.write_str(&codes.join(", ")),
            ExpectationValue::Statuses(set) => set.fmt(f),
            ExpectationValue::Policy(policy) => policy.fmt(f),
        }
    }
}

/// One expectation in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub value: ExpectationValue,
    pub source: ExpectationSource,
    pub reference: String,
}

/// Every expectation in force, by key (`retcodes.auth`, `http.refusal`, `policy.content_type`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    entries: BTreeMap<String, Expectation>,
}

impl Expectations {
    /// Builds the documented defaults. Every entry must carry a reference.
    pub(crate) fn documented(raw: &RawExpectations) -> Result<Expectations, String> {
        let mut expectations = Expectations::default();
        for (key, value, reference) in flatten(raw)? {
            let reference = reference
                .ok_or_else(|| format!("`{key}` has no `reference`: say where it comes from"))?;
            expectations.entries.insert(
                key,
                Expectation {
                    value,
                    source: ExpectationSource::Documentation,
                    reference,
                },
            );
        }
        Ok(expectations)
    }

    /// Overrides entries from a profile or an `--expect` file. Only known keys
    /// may be overridden, with a value of the same kind.
    ///
    /// `default_reference` is the profile's reference, or the file's path for
    /// [`ExpectationSource::File`]: a file's entries always name the file
    /// (`FILE`, or `FILE: reason` when the entry gives a `reference`), so a
    /// report traces every narrowing to the file that made it.
    pub fn overlay(
        &mut self,
        raw: &RawExpectations,
        source: ExpectationSource,
        default_reference: &str,
    ) -> Result<(), String> {
        for (key, value, reference) in flatten(raw)? {
            let Some(existing) = self.entries.get_mut(&key) else {
                let known: Vec<&str> = self.entries.keys().map(String::as_str).collect();
                let hint = crate::suite::did_you_mean(&key, &known)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(format!("unknown expectation `{key}`{hint}"));
            };
            if std::mem::discriminant(&existing.value) != std::mem::discriminant(&value) {
                return Err(format!("`{key}` has a value of the wrong kind"));
            }
            let reference = match (source, reference) {
                (ExpectationSource::File, Some(reason)) => format!("{default_reference}: {reason}"),
                (_, Some(reason)) => reason,
                (_, None) => default_reference.to_owned(),
            };
            *existing = Expectation {
                value,
                source,
                reference,
            };
        }
        Ok(())
    }

    /// Whether `key` is defined.
    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The names defined under `kind` (`retcodes`, `http`, `policy`), sorted.
    pub fn names(&self, kind: &str) -> Vec<&str> {
        self.keys()
            .filter_map(|k| k.strip_prefix(kind)?.strip_prefix('.'))
            .collect()
    }

    /// Accepted retcodes of `retcodes.<name>`; empty when undefined (the loader
    /// rejects undefined names before a run).
    pub fn retcodes(&self, name: &str) -> &[String] {
        match self
            .entries
            .get(&format!("retcodes.{name}"))
            .map(|e| &e.value)
        {
            Some(ExpectationValue::Retcodes(codes)) => codes,
            _ => &[],
        }
    }

    /// Accepted statuses of `http.<name>`.
    pub fn statuses(&self, name: &str) -> Option<&StatusSet> {
        match self.entries.get(&format!("http.{name}")).map(|e| &e.value) {
            Some(ExpectationValue::Statuses(set)) => Some(set),
            _ => None,
        }
    }

    /// The policy `policy.<name>`.
    pub fn policy(&self, name: &str) -> Option<OutcomePolicy> {
        match self
            .entries
            .get(&format!("policy.{name}"))
            .map(|e| &e.value)
        {
            Some(ExpectationValue::Policy(policy)) => Some(*policy),
            _ => None,
        }
    }

    /// Every entry as report records, sorted by key.
    pub fn records(&self) -> Vec<ExpectationRecord> {
        self.entries
            .iter()
            .map(|(name, e)| ExpectationRecord {
                name: name.clone(),
                value: e.value.to_string(),
                source: e.source,
                reference: e.reference.clone(),
            })
            .collect()
    }
}

type Flat = Vec<(String, ExpectationValue, Option<String>)>;

fn flatten(raw: &RawExpectations) -> Result<Flat, String> {
    let mut out = Flat::new();
    for (name, entry) in &raw.retcodes {
        if let Some(bad) = entry.codes.iter().find(|c| !is_retcode(c)) {
            return Err(format!(
                "retcodes.{name}: `{bad}` is not a retcode like \"000-002\""
            ));
        }
        out.push((
            format!("retcodes.{name}"),
            ExpectationValue::Retcodes(entry.codes.clone()),
            entry.reference.clone(),
        ));
    }
    for (name, entry) in &raw.http {
        let set = StatusSet::parse(&entry.statuses).map_err(|e| format!("http.{name}: {e}"))?;
        out.push((
            format!("http.{name}"),
            ExpectationValue::Statuses(set),
            entry.reference.clone(),
        ));
    }
    for (name, entry) in &raw.policy {
        out.push((
            format!("policy.{name}"),
            ExpectationValue::Policy(entry.outcome),
            entry.reference.clone(),
        ));
    }
    Ok(out)
}

fn is_retcode(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 7
        && b[3] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 3 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sets_match_codes_and_classes() {
        let set = StatusSet::parse(&["200".into(), "4xx".into()]).unwrap();
        assert!(set.contains(200) && set.contains(404) && set.contains(405));
        assert!(!set.contains(201) && !set.contains(500) && !set.contains(302));
        assert!(StatusSet::parse(&["2x".into()]).is_err());
        assert!(StatusSet::parse(&["600".into()]).is_err());
        assert!(StatusSet::parse(&[]).is_err());
    }

    #[test]
    fn retcodes_have_the_documented_form() {
        assert!(is_retcode("000-002") && is_retcode("106-015"));
        assert!(!is_retcode("0") && !is_retcode("000002") && !is_retcode("00a-002"));
    }
}
