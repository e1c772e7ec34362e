//! What can be wrong in an expectation or a profile. Each message reads after
//! the file (and key) it was found in.

/// A mistake in expectations or a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// A status token that is neither a code nor a class.
    #[error("`{token}` is not an HTTP status (like \"405\") or class (like \"4xx\")")]
    NotAStatus {
        /// The token as written.
        token: String,
    },
    /// A status set with no token.
    #[error("an empty status set accepts nothing")]
    EmptyStatusSet,
    /// A retcode that does not have the documented form.
    #[error("{key}: `{code}` is not a retcode like \"000-002\"")]
    NotARetcode {
        /// The entry, e.g. `retcodes.auth`.
        key: String,
        /// The code as written.
        code: String,
    },
    /// A mistake inside one entry.
    #[error("{key}: {source}")]
    InEntry {
        /// The entry, e.g. `http.refusal`.
        key: String,
        /// What is wrong with it.
        source: Box<ContractError>,
    },
    /// A documented default without its source.
    #[error("`{key}` has no `reference`: say where it comes from")]
    NoReference {
        /// The entry.
        key: String,
    },
    /// A name the runner uses that the documented defaults do not define.
    #[error("`{key}` is missing: the runner uses it, so the documented defaults must define it")]
    MissingBuiltin {
        /// The entry, e.g. `retcodes.auth`.
        key: String,
    },
    /// A layer names an entry the documented defaults do not define.
    #[error("unknown expectation `{key}`{hint}")]
    UnknownExpectation {
        /// The entry as written.
        key: String,
        /// `; did you mean ...?`, or empty.
        hint: String,
    },
    /// A layer gives an entry a value of another kind.
    #[error("`{key}` has a value of the wrong kind")]
    WrongKind {
        /// The entry.
        key: String,
    },
    /// A profile whose agent id range is empty.
    #[error("agent_id.min {min} is greater than agent_id.max {max}")]
    AgentIdRange {
        /// `agent_id.min`.
        min: u64,
        /// `agent_id.max`.
        max: u64,
    },
}
