//! Expectations: the answers a verdict accepts, each with its provenance.
//!
//! Three layers, later ones win: the documented defaults of the suite
//! (`expectations.toml`), the profile's `[expectations]`, and a file given with
//! `--expect`. Every entry in force is listed in the report with its source.
//!
//! A case names the sets it uses (`retcodes = "call_refused"`); the loader
//! turns each name into a typed [`Name`] once, or fails naming the file and
//! the key. A later layer may replace a value but never remove a key or
//! change its kind, so a checked name stays valid in every layer and a run
//! never looks a name up as text.

use super::error::ContractError;
use super::raw::RawExpectations;
use super::terms::ExpectationSource;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

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
    pub fn parse(tokens: &[String]) -> Result<StatusSet, ContractError> {
        for token in tokens {
            let bytes = token.as_bytes();
            let is_code =
                token.len() == 3 && token.parse::<u16>().is_ok_and(|c| (100..600).contains(&c));
            let is_class =
                bytes.len() == 3 && (b'1'..=b'5').contains(&bytes[0]) && &token[1..] == "xx";
            if !is_code && !is_class {
                return Err(ContractError::NotAStatus {
                    token: token.clone(),
                });
            }
        }
        if tokens.is_empty() {
            return Err(ContractError::EmptyStatusSet);
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
    /// What it accepts.
    pub value: ExpectationValue,
    /// Which layer set it.
    pub source: ExpectationSource,
    /// Where it comes from: a documentation reference, or the `--expect` file.
    pub reference: String,
}

/// The kind of an expectation, as a type: what a [`Name`] of it looks up.
pub trait Kind {
    /// The key prefix: `retcodes`, `http` or `policy`.
    const PREFIX: &'static str;
    /// The value a name of this kind gives.
    type Value: ?Sized;
    /// The value, if `value` is of this kind.
    fn of(value: &ExpectationValue) -> Option<&Self::Value>;
}

/// Kind of `retcodes.<name>`: accepted retcodes.
#[derive(Debug)]
pub enum Retcodes {}
/// Kind of `http.<name>`: accepted HTTP statuses.
#[derive(Debug)]
pub enum Statuses {}
/// Kind of `policy.<name>`: the outcome the documentation leaves open.
#[derive(Debug)]
pub enum Policy {}

impl Kind for Retcodes {
    const PREFIX: &'static str = "retcodes";
    type Value = [String];
    fn of(value: &ExpectationValue) -> Option<&[String]> {
        match value {
            ExpectationValue::Retcodes(codes) => Some(codes),
            _ => None,
        }
    }
}

impl Kind for Statuses {
    const PREFIX: &'static str = "http";
    type Value = StatusSet;
    fn of(value: &ExpectationValue) -> Option<&StatusSet> {
        match value {
            ExpectationValue::Statuses(set) => Some(set),
            _ => None,
        }
    }
}

impl Kind for Policy {
    const PREFIX: &'static str = "policy";
    type Value = OutcomePolicy;
    fn of(value: &ExpectationValue) -> Option<&OutcomePolicy> {
        match value {
            ExpectationValue::Policy(policy) => Some(policy),
            _ => None,
        }
    }
}

/// The name of an expectation of kind `K`, checked to exist when it was made
/// (by [`Expectations::name`]).
pub struct Name<K> {
    key: String,
    kind: PhantomData<fn() -> K>,
}

/// A checked name of a retcode set (`retcodes.<name>`).
pub type RetcodeSetName = Name<Retcodes>;
/// A checked name of an HTTP status set (`http.<name>`).
pub type StatusSetName = Name<Statuses>;
/// A checked name of a policy (`policy.<name>`).
pub type PolicyName = Name<Policy>;

impl<K: Kind> Name<K> {
    /// The name without its kind, e.g. `call_refused`.
    pub fn name(&self) -> &str {
        &self.key[K::PREFIX.len() + 1..]
    }

    /// The whole key, e.g. `retcodes.call_refused`.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl<K> Clone for Name<K> {
    fn clone(&self) -> Self {
        Name {
            key: self.key.clone(),
            kind: PhantomData,
        }
    }
}

impl<K> PartialEq for Name<K> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<K> Eq for Name<K> {}

impl<K> fmt::Debug for Name<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// The names the runner itself uses, checked when the documented defaults
/// are loaded: a suite without them does not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builtin {
    /// `retcodes.documented`: every retcode the documentation lists.
    pub documented: RetcodeSetName,
    /// `retcodes.auth`: an in-range agent id that is not the signed-in one.
    pub auth: RetcodeSetName,
    /// `retcodes.invalid_parameter`: an agent id out of range or malformed.
    pub invalid_parameter: RetcodeSetName,
    /// `http.success`: the statuses of a success.
    pub success: StatusSetName,
    /// `http.refusal`: the statuses of a refusal.
    pub refusal: StatusSetName,
}

/// Every expectation in force, by key (`retcodes.auth`, `http.refusal`, `policy.content_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    entries: BTreeMap<String, Expectation>,
    builtin: Builtin,
}

impl Expectations {
    /// Builds the documented defaults. Every entry must carry a reference,
    /// and the names of [`Builtin`] must be defined.
    pub(crate) fn documented(raw: &RawExpectations) -> Result<Expectations, ContractError> {
        let mut entries = BTreeMap::new();
        for (key, value, reference) in flatten(raw)? {
            let Some(reference) = reference else {
                return Err(ContractError::NoReference { key });
            };
            entries.insert(
                key,
                Expectation {
                    value,
                    source: ExpectationSource::Documentation,
                    reference,
                },
            );
        }
        let builtin = Builtin {
            documented: builtin_name(&entries, "documented")?,
            auth: builtin_name(&entries, "auth")?,
            invalid_parameter: builtin_name(&entries, "invalid_parameter")?,
            success: builtin_name(&entries, "success")?,
            refusal: builtin_name(&entries, "refusal")?,
        };
        Ok(Expectations { entries, builtin })
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
    ) -> Result<(), ContractError> {
        for (key, value, reference) in flatten(raw)? {
            let Some(existing) = self.entries.get_mut(&key) else {
                let known: Vec<&str> = self.entries.keys().map(String::as_str).collect();
                let hint = crate::suggest::hint(&key, &known);
                return Err(ContractError::UnknownExpectation { key, hint });
            };
            if std::mem::discriminant(&existing.value) != std::mem::discriminant(&value) {
                return Err(ContractError::WrongKind { key });
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

    /// The checked name of `<kind>.<name>`, if it is defined with that kind.
    pub fn name<K: Kind>(&self, name: &str) -> Option<Name<K>> {
        checked_name(&self.entries, name)
    }

    /// The names the runner itself uses.
    pub fn builtin(&self) -> &Builtin {
        &self.builtin
    }

    /// The value of a checked name.
    pub fn get<K: Kind>(&self, name: &Name<K>) -> &K::Value {
        self.entries
            .get(&name.key)
            .and_then(|e| K::of(&e.value))
            .expect("a checked name stays defined: layers replace values, never keys or kinds")
    }

    /// Accepted retcodes of a retcode set.
    pub fn retcodes(&self, name: &RetcodeSetName) -> &[String] {
        self.get(name)
    }

    /// Accepted statuses of an HTTP status set.
    pub fn statuses(&self, name: &StatusSetName) -> &StatusSet {
        self.get(name)
    }

    /// The outcome a policy requires.
    pub fn policy(&self, name: &PolicyName) -> OutcomePolicy {
        *self.get(name)
    }

    /// Every entry in force, sorted by key.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Expectation)> {
        self.entries.iter().map(|(k, e)| (k.as_str(), e))
    }
}

fn checked_name<K: Kind>(entries: &BTreeMap<String, Expectation>, name: &str) -> Option<Name<K>> {
    let key = format!("{}.{name}", K::PREFIX);
    let entry = entries.get(&key)?;
    K::of(&entry.value)?;
    Some(Name {
        key,
        kind: PhantomData,
    })
}

fn builtin_name<K: Kind>(
    entries: &BTreeMap<String, Expectation>,
    name: &str,
) -> Result<Name<K>, ContractError> {
    checked_name(entries, name).ok_or_else(|| ContractError::MissingBuiltin {
        key: format!("{}.{name}", K::PREFIX),
    })
}

type Flat = Vec<(String, ExpectationValue, Option<String>)>;

fn flatten(raw: &RawExpectations) -> Result<Flat, ContractError> {
    let mut out = Flat::new();
    for (name, entry) in &raw.retcodes {
        if let Some(bad) = entry.codes.iter().find(|c| !is_retcode(c)) {
            return Err(ContractError::NotARetcode {
                key: format!("retcodes.{name}"),
                code: bad.clone(),
            });
        }
        out.push((
            format!("retcodes.{name}"),
            ExpectationValue::Retcodes(entry.codes.clone()),
            entry.reference.clone(),
        ));
    }
    for (name, entry) in &raw.http {
        let set = StatusSet::parse(&entry.statuses).map_err(|e| ContractError::InEntry {
            key: format!("http.{name}"),
            source: Box::new(e),
        })?;
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

    fn raw(text: &str) -> RawExpectations {
        toml::from_str(text).expect("raw expectations")
    }

    const BUILTIN: &str = r#"
        [retcodes.documented]
        codes = ["000-002", "100-006"]
        reference = "doc"
        [retcodes.auth]
        codes = ["100-006"]
        reference = "doc"
        [retcodes.invalid_parameter]
        codes = ["000-002"]
        reference = "doc"
        [http.success]
        statuses = ["200"]
        reference = "doc"
        [http.refusal]
        statuses = ["200", "4xx"]
        reference = "doc"
    "#;

    #[test]
    fn documented_defaults_must_define_the_builtin_names() {
        let full = Expectations::documented(&raw(BUILTIN)).expect("loads");
        assert_eq!(full.builtin().auth.key(), "retcodes.auth");
        let without = BUILTIN.replace("[retcodes.auth]", "[retcodes.other]");
        assert_eq!(
            Expectations::documented(&raw(&without)),
            Err(ContractError::MissingBuiltin {
                key: "retcodes.auth".to_owned()
            })
        );
    }

    #[test]
    fn names_are_checked_by_kind_and_survive_overlays() {
        let mut exp = Expectations::documented(&raw(BUILTIN)).expect("loads");
        assert!(exp.name::<Retcodes>("auth").is_some());
        assert!(exp.name::<Statuses>("auth").is_none(), "wrong kind");
        assert!(exp.name::<Retcodes>("nope").is_none());
        let auth = exp.name::<Retcodes>("auth").expect("defined");
        exp.overlay(
            &raw("[retcodes.auth]\ncodes = [\"000-003\"]"),
            ExpectationSource::File,
            "x.toml",
        )
        .expect("overlay");
        assert_eq!(exp.retcodes(&auth), ["000-003".to_owned()]);
        let unknown = exp.overlay(
            &raw("[retcodes.auht]\ncodes = [\"000-003\"]"),
            ExpectationSource::File,
            "x.toml",
        );
        assert_eq!(
            unknown.map_err(|e| e.to_string()),
            Err("unknown expectation `retcodes.auht`; did you mean `retcodes.auth`?".to_owned())
        );
    }

    #[test]
    fn retcodes_have_the_documented_form() {
        assert!(is_retcode("000-002") && is_retcode("106-015"));
        assert!(!is_retcode("0") && !is_retcode("000002") && !is_retcode("00a-002"));
    }
}
