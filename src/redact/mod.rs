//! One redaction layer for every output: report files, comparison files,
//! snapshots, console.
//!
//! Redaction works on the text *and* on its structure:
//! - every registered secret (the Guid, the other agent's Guid, the callids,
//!   every `signature` value seen so far) is replaced wherever it appears: as
//!   written, in any ASCII case, JSON-escaped (`"\u0061bc"`), percent-encoded,
//!   HTML-escaped, as a JSON key, inside a JSON pointer, or cut off at a limit;
//! - the value under any secret-named key (`signature`, `Signature`,
//!   `"sign\u0061ture"`, `x_signature`, `guid`, `password`, ...) is replaced
//!   whatever its JSON type, and is *learned*: from then on it is a secret
//!   everywhere (thread-safe, see [`Redactor::add_secret`]);
//! - secret-named headers (`Guid`, `Set-GUID`, cookies, `Authorization`,
//!   `X-Signature`, ...) are shown as `<redacted>` and their values learned.
//!
//! A [`Redactor`] is cheap to clone: clones share one registry, so a secret
//! learned by one case (or registered by the session as a new Guid
//! generation) is redacted by every other holder from then on. The registry
//! is compiled once per change into automata (`matcher`) that every clone
//! shares; a text that holds no secret is searched once and not copied.
//! Rendered files get a final pass that streams ([`Redactor::final_pass`]),
//! so a report of any size is redacted without being held.

mod matcher;
#[cfg(test)]
mod oracle;
mod stream;

pub use stream::{FinalPass, RenderedKind};

use crate::report::{CaseResult, Comparison, Finding, Header, RunReport};
use matcher::{Compiled, Matcher};
use std::borrow::Cow;
use std::ops::Range;
use std::sync::{Arc, PoisonError, RwLock};

/// The placeholder of values under secret-named keys and headers.
pub const REDACTED: &str = "<redacted>";

/// Shortest start of a secret that is still treated as the secret. Only
/// secrets of twice this length or more are matched by their start, so short
/// values (a callid of digits) never redact ordinary text.
pub const FRAGMENT_CHARS: usize = 8;

/// Shortest value learned from a gateway (under a secret-named key or header)
/// that becomes a secret everywhere; shorter ones are still redacted where
/// they stand. A hostile gateway must not be able to blank out `true` or `0`.
pub const LEARNED_MIN_CHARS: usize = 8;

/// Most values a run learns from a gateway (under secret-named keys and
/// headers) as secrets to replace everywhere. Past it a value is still hidden
/// where it stands (under its key or header), the run counts it
/// ([`Redactor::learned_past_cap`]) and says so in its report: the registry
/// and its automata stay bounded whatever a gateway sends.
pub const LEARNED_CAP: usize = 256;

/// Guid generations kept as secrets per placeholder: an older one (expired
/// long ago) is retired from the registry, so an hour of rotations does not
/// grow it. It stays hidden in the `Guid` header and under secret-named keys.
pub const GENERATIONS_KEPT: usize = 16;

/// Replaces secrets in text and in the report model.
#[derive(Clone, Default)]
pub struct Redactor {
    shared: Arc<RwLock<Shared>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret, even in a debug dump.
        let shared = self.shared.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Redactor")
            .field("secrets", &shared.registry.secrets.len())
            .finish()
    }
}

/// The registry and its compiled form, behind one lock.
#[derive(Default)]
struct Shared {
    registry: Registry,
    /// Bumped by every change of the registry.
    generation: u64,
    /// The registry compiled at some generation (`None` before first use).
    compiled: Option<Arc<Compiled>>,
}

#[derive(Debug, Clone, Default)]
struct Registry {
    /// (secret in ASCII lowercase, placeholder), longest secret first:
    /// replaced wherever they appear, inside other text too.
    secrets: Vec<(String, String)>,
    /// (secret in ASCII lowercase, placeholder) of the secrets too short or
    /// too common to be replaced inside other text ([`is_substring_safe`]):
    /// replaced only where one stands as a whole value (a header, a JSON
    /// value or key, a path segment, a query parameter).
    values: Vec<(String, String)>,
    /// Every placeholder, copied through untouched (redaction is idempotent).
    placeholders: Vec<String>,
    /// Values learned from a gateway and registered (at most [`LEARNED_CAP`]).
    learned: usize,
    /// Values learned past [`LEARNED_CAP`], not registered.
    past_cap: u64,
    /// The generations registered by [`Redactor::add_generation`], oldest
    /// first (at most [`GENERATIONS_KEPT`] per placeholder).
    generations: std::collections::VecDeque<(String, String)>,
}

impl Registry {
    fn add_placeholder(&mut self, placeholder: &str) {
        if !self.placeholders.iter().any(|p| p == placeholder) {
            self.placeholders.push(placeholder.to_owned());
        }
    }

    /// Removes `secret` (as registered, with every spelling) under `placeholder`.
    fn remove(&mut self, secret: &str, placeholder: &str) {
        let variants = variants(secret);
        self.secrets
            .retain(|(s, p)| !(p == placeholder && variants.contains(s)));
        let lower = secret.to_ascii_lowercase();
        self.values
            .retain(|(s, p)| !(p == placeholder && *s == lower));
    }
}

/// The spellings of a secret that are registered with it (ASCII lowercase):
/// as written, JSON-escaped, percent-encoded, HTML-escaped.
fn variants(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap_or_default();
    [
        secret.to_owned(),
        json.trim_matches('"').to_owned(),
        percent_encode(secret),
        html_escape(secret),
    ]
    .iter()
    .map(|v| v.to_ascii_lowercase())
    .collect()
}

/// Longest key looked at as a possible secret name (a longer one is data).
const MAX_NAME: usize = 256;

/// Normalised key or header name parts that mark a secret value.
const SECRET_NAME_PARTS: [&str; 11] = [
    "signature",
    "guid",
    "password",
    "passwd",
    "secret",
    "token",
    "cookie",
    "authorization",
    "jsessionid",
    "apikey",
    "credential",
];

/// Whether a JSON key or header name holds a secret: its letters and digits,
/// lowercased, contain one of [`SECRET_NAME_PARTS`] (`Signature`,
/// `x-signature`, `SET_GUID`, `signature_2` alike).
pub fn is_secret_name(name: &str) -> bool {
    let folded = name
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase());
    // Keys are short: folded on the stack, a longer name on the heap.
    let mut small = [0u8; MAX_NAME];
    let mut large = Vec::new();
    let folded: &[u8] = if name.len() <= MAX_NAME {
        let mut len = 0;
        for b in folded {
            small[len] = b;
            len += 1;
        }
        &small[..len]
    } else {
        large.extend(folded);
        &large
    };
    SECRET_NAME_PARTS.iter().any(|part| {
        folded
            .windows(part.len())
            .any(|window| window == part.as_bytes())
    })
}

/// Whether a secret is looked for in rendered files: long enough, and made
/// only of token characters (letters, digits, `-._~+/=`), so that replacing
/// it cannot break markup.
fn is_rendered_secret(secret: &str) -> bool {
    secret.chars().count() >= LEARNED_MIN_CHARS
        && secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~+/=".contains(c))
}

/// Text this tool writes itself, in every report and on the console, that
/// a secret must not be part of to be replaced inside other text (letters
/// alone are [`is_word`] already).
const TOOL_VOCABULARY: &str = "ccgw-conformance 127.0.0.1 localhost https:// http:// \
    application/json; charset=utf-8 /agentgateway/resource/mediacall/ /getconnectinfo \
    <redacted> <guid> <other-guid> <callid> <other-callid> <password> agentgateway1 \
    x-content-type-options utf-8 000-002 000-003 000-006 000-007 100-006 100-007 \
    106-011 106-015 1552524689-16797284 rfc3339 rfc8259 http/1.1 http/2";

/// Whether `text` is a word or words (letters, with spaces, hyphens,
/// apostrophes or underscores between them): text any report may hold.
fn is_word(text: &str) -> bool {
    text.chars().any(char::is_alphabetic)
        && text
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '_' | '\''))
}

/// Whether a secret can be replaced safely wherever it appears, inside other
/// text too: at least [`LEARNED_MIN_CHARS`] characters, not a word, and not
/// a part of the text this tool writes itself. Another secret (a one-digit
/// callid, a Guid equal to `conformant` or to a retcode) is hidden only where
/// it stands as a whole value: replaced as a substring, it would rewrite the
/// verdict, the retcodes and the colour codes around it.
pub fn is_substring_safe(secret: &str) -> bool {
    let secret = secret.trim();
    secret.chars().count() >= LEARNED_MIN_CHARS
        && !is_word(secret)
        && !TOOL_VOCABULARY.contains(secret.to_ascii_lowercase().as_str())
}

/// An input secret as it must be sent and registered: without a byte-order
/// mark, surrounding whitespace, CR or LF.
pub fn normalize_secret(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}')
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_owned()
}

impl Redactor {
    /// A redactor with no secrets yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Registers `secret` to be shown as `placeholder`, from now on, in every
    /// clone of this redactor (thread-safe). Every length counts: a short
    /// Guid is still a Guid. Its escaped spellings (JSON, percent, HTML) are
    /// registered with it; matching ignores ASCII case.
    pub fn add_secret(&self, secret: &str, placeholder: &str) {
        let secret = normalize_secret(secret);
        if secret.is_empty() {
            return;
        }
        if !is_substring_safe(&secret) {
            self.add_value(&secret, placeholder);
            return;
        }
        let variants = variants(&secret);
        let is_known = |registry: &Registry| {
            variants
                .iter()
                .all(|v| registry.secrets.iter().any(|(s, _)| s == v))
                && registry.placeholders.iter().any(|p| p == placeholder)
        };
        // A value learned again (a signature in every answer) changes nothing.
        self.change(is_known, |registry| {
            for variant in &variants {
                if !registry.secrets.iter().any(|(s, _)| s == variant) {
                    registry
                        .secrets
                        .push((variant.clone(), placeholder.to_owned()));
                }
            }
            registry
                .secrets
                .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
            registry.add_placeholder(placeholder);
        });
    }

    /// Registers a secret hidden only where it stands as a whole value.
    fn add_value(&self, secret: &str, placeholder: &str) {
        let entry = (secret.to_ascii_lowercase(), placeholder.to_owned());
        self.change(
            |registry| registry.values.contains(&entry),
            |registry| {
                registry.values.push(entry.clone());
                registry.add_placeholder(placeholder);
            },
        );
    }

    /// Applies `apply` to the registry unless `is_known` says it holds the
    /// change already (looked at under the read lock first, the common case,
    /// then again under the write lock); a change bumps the generation.
    fn change(&self, is_known: impl Fn(&Registry) -> bool, apply: impl FnOnce(&mut Registry)) {
        if is_known(&self.read().registry) {
            return;
        }
        let mut shared = self.shared.write().unwrap_or_else(PoisonError::into_inner);
        if is_known(&shared.registry) {
            return;
        }
        apply(&mut shared.registry);
        shared.generation += 1;
    }

    /// Registers `secret` as the newest generation of a rotating secret (a
    /// Guid): as [`Redactor::add_secret`], and the generation
    /// [`GENERATIONS_KEPT`] places older under the same placeholder is retired.
    pub fn add_generation(&self, secret: &str, placeholder: &str) {
        let secret = normalize_secret(secret);
        if secret.is_empty() {
            return;
        }
        let entry = (secret.clone(), placeholder.to_owned());
        if self.read().registry.generations.contains(&entry) {
            return;
        }
        self.add_secret(&secret, placeholder);
        let mut shared = self.shared.write().unwrap_or_else(PoisonError::into_inner);
        let registry = &mut shared.registry;
        if registry.generations.contains(&entry) {
            return;
        }
        registry.generations.push_back(entry);
        let kept = registry
            .generations
            .iter()
            .filter(|(_, p)| p == placeholder)
            .count();
        if kept > GENERATIONS_KEPT {
            if let Some(at) = registry
                .generations
                .iter()
                .position(|(_, p)| p == placeholder)
            {
                if let Some((old, p)) = registry.generations.remove(at) {
                    registry.remove(&old, &p);
                }
            }
        }
        shared.generation += 1;
    }

    /// How many values a gateway sent under secret-named keys and headers
    /// past [`LEARNED_CAP`]: hidden where they stood, not looked for elsewhere.
    pub fn learned_past_cap(&self) -> u64 {
        self.read().registry.past_cap
    }

    /// Same as [`Redactor::add_secret`] (the older name).
    pub fn add(&self, secret: &str, placeholder: &str) {
        self.add_secret(secret, placeholder);
    }

    /// Registers a value a gateway sent under a secret-named key or header,
    /// when it is long enough to be told apart from ordinary words.
    fn learn(&self, value: &str) {
        let value = value.trim();
        if value.chars().count() < LEARNED_MIN_CHARS {
            return;
        }
        let lower = normalize_secret(value).to_ascii_lowercase();
        let is_known = |registry: &Registry| {
            registry.secrets.iter().any(|(s, _)| *s == lower)
                || registry.values.iter().any(|(s, _)| *s == lower)
        };
        {
            let shared = self.read();
            if is_known(&shared.registry) {
                return;
            }
        }
        {
            let mut shared = self.shared.write().unwrap_or_else(PoisonError::into_inner);
            let registry = &mut shared.registry;
            if is_known(registry) {
                return;
            }
            if registry.learned >= LEARNED_CAP {
                registry.past_cap += 1;
                return;
            }
            registry.learned += 1;
        }
        self.add_secret(value, REDACTED);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Shared> {
        self.shared.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The registry compiled at its current generation, shared by every
    /// clone: compiled by the first caller after a change.
    fn compiled(&self) -> Arc<Compiled> {
        {
            let shared = self.read();
            if let Some(c) = &shared.compiled {
                if c.generation == shared.generation {
                    return Arc::clone(c);
                }
            }
        }
        let mut shared = self.shared.write().unwrap_or_else(PoisonError::into_inner);
        match &shared.compiled {
            Some(c) if c.generation == shared.generation => Arc::clone(c),
            _ => {
                let c = Arc::new(Compiled::new(&shared.registry, shared.generation));
                shared.compiled = Some(Arc::clone(&c));
                c
            }
        }
    }

    /// Learns the secrets a response carries: values under secret-named keys
    /// at any depth of a JSON body (any JSON type, any spelling of the key),
    /// also in bodies that do not parse, and secret-named headers.
    pub fn learn_from_response(&self, headers: &[(String, String)], body: &[u8]) {
        for (name, value) in headers {
            if is_secret_name(name) {
                self.learn(value);
                // `JSESSIONID=<guid>.AgentGateway0; Path=/`: the part after `=` too.
                for part in value.split(';') {
                    if let Some((_, v)) = part.split_once('=') {
                        self.learn(v);
                    }
                }
            }
        }
        // Token by token: also bodies that do not parse (truncated, not JSON).
        let text = String::from_utf8_lossy(body);
        scan(&text, None, &mut |value| {
            match serde_json::from_str::<serde_json::Value>(value) {
                // An object or array under a secret key: every leaf is secret.
                Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                    self.learn_from_json(&v, true);
                }
                _ => self.learn(value),
            }
        });
    }

    fn learn_from_json(&self, value: &serde_json::Value, under_secret: bool) {
        use serde_json::Value;
        match value {
            Value::String(s) if under_secret => self.learn(s),
            Value::Number(n) if under_secret => self.learn(&n.to_string()),
            Value::Array(items) => {
                for item in items {
                    self.learn_from_json(item, under_secret);
                }
            }
            Value::Object(map) => {
                for item in map.values() {
                    self.learn_from_json(item, under_secret);
                }
            }
            _ => {}
        }
    }

    /// Text with every registered secret and every value under a
    /// secret-named JSON key replaced (also in bodies that do not parse). The
    /// start of a long secret (at least [`FRAGMENT_CHARS`] of its first
    /// characters) is replaced too: text cut off at a limit may end inside one.
    pub fn text(&self, text: &str) -> String {
        self.redact(text).into_owned()
    }

    /// [`Redactor::text`] without a copy when there is nothing to replace.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        owned_or(redact_text(&self.compiled().model, text), text)
    }

    /// The value of header `name` as it may be shown.
    pub fn header(&self, name: &str, value: &str) -> String {
        owned_or(redact_header(&self.compiled().model, name, value), value).into_owned()
    }

    /// A value that stands alone (a retcode, a message, a field of the
    /// evidence) as it may be shown: its placeholder when the whole value is
    /// a secret, else [`Redactor::text`].
    pub fn value(&self, value: &str) -> String {
        let compiled = self.compiled();
        match compiled.model.value_placeholder(value) {
            Some(p) => p.to_owned(),
            None => owned_or(redact_text(&compiled.model, value), value).into_owned(),
        }
    }

    /// A request path (with its query) as it may be shown: a segment or a
    /// query parameter that is a secret as a whole (percent-decoded) is
    /// replaced, and the rest as [`Redactor::text`] does.
    pub fn path(&self, path: &str) -> String {
        owned_or(redact_path(&self.compiled().model, path), path).into_owned()
    }

    /// A JSON pointer as it may be shown: each token unescaped, redacted and
    /// escaped again (a Guid used as a key shows as `/<guid>`).
    pub fn pointer(&self, pointer: &str) -> String {
        owned_or(redact_pointer(&self.compiled().model, pointer), pointer).into_owned()
    }

    /// A `shape` entry (`/path/key: type`) as it may be shown.
    pub fn shape_entry(&self, entry: &str) -> String {
        owned_or(redact_shape_entry(&self.compiled().model, entry), entry).into_owned()
    }

    /// Redacts every string of a case result that came from outside (reason,
    /// findings, evidence). Idempotent.
    pub fn case_result(&self, case: &mut CaseResult) {
        Model(&self.compiled().model).case_result(case);
    }

    /// Redacts every string of a comparison that came from a report.
    pub fn comparison(&self, c: &mut Comparison) {
        Model(&self.compiled().model).comparison(c);
    }

    /// Redacts every string of a report that came from outside, with every
    /// secret known now (a `signature` learned in the last case is redacted
    /// in the first one too). Run before any report is rendered.
    pub fn report(&self, report: &mut RunReport) {
        let compiled = self.compiled();
        let model = Model(&compiled.model);
        let env = &mut report.environment;
        model.string(&mut env.target);
        model.option(&mut env.only);
        for a in &mut env.assumptions {
            model.string(a);
        }
        for case in &mut report.cases {
            model.case_result(case);
        }
        if let Some(c) = &mut report.comparison {
            model.comparison(c);
        }
    }

    /// The final pass over a rendered file (the model was redacted already):
    /// long secrets (at least [`LEARNED_MIN_CHARS`] characters) made only of
    /// token characters (letters, digits, `-._~+/=`) are replaced wherever
    /// they still appear. Others are left to the model's redaction: replacing
    /// markup-like text could break the file. With `markup` (HTML, XML) the
    /// placeholder is written escaped (`&lt;guid&gt;`), so it stays text.
    pub fn rendered(&self, text: &str, markup: bool) -> String {
        let kind = if markup {
            RenderedKind::Markup
        } else {
            RenderedKind::Text
        };
        self.rendered_as(text, kind)
    }

    /// The final pass over a rendered JSON file: every string and key run
    /// through [`Redactor::rendered`], the rest (and the order of keys) kept.
    /// A text that is not JSON gets the pass of plain text.
    pub fn rendered_json(&self, text: &str) -> String {
        let kind = if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
            RenderedKind::Json
        } else {
            RenderedKind::Text
        };
        self.rendered_as(text, kind)
    }

    fn rendered_as(&self, text: &str, kind: RenderedKind) -> String {
        let mut pass = self.final_pass(Vec::with_capacity(text.len()), kind);
        // Writing to a Vec never fails.
        let bytes = std::io::Write::write_all(&mut pass, text.as_bytes())
            .and_then(|()| pass.finish())
            .unwrap_or_default();
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// A writer that passes what is written through it to `inner` with the
    /// final pass of [`Redactor::rendered`] (`Text`, `Markup`) or
    /// [`Redactor::rendered_json`] (`Json`, for a text known to be JSON)
    /// applied, holding back only what a secret split across two writes
    /// needs. Call [`FinalPass::finish`] at the end: it writes what was held
    /// back. Uses the secrets registered when it was made.
    pub fn final_pass<W: std::io::Write>(&self, inner: W, kind: RenderedKind) -> FinalPass<W> {
        FinalPass::new(self.compiled(), inner, kind)
    }
}

/// `changed`, else `text` borrowed.
fn owned_or(changed: Option<String>, text: &str) -> Cow<'_, str> {
    changed.map_or(Cow::Borrowed(text), Cow::Owned)
}

/// The model's passes with one compiled registry: each string replaced in
/// place only when something in it changes.
struct Model<'m>(&'m Matcher);

impl Model<'_> {
    fn string(&self, s: &mut String) {
        if let Some(out) = redact_text(self.0, s) {
            *s = out;
        }
    }

    fn option(&self, s: &mut Option<String>) {
        if let Some(s) = s {
            self.string(s);
        }
    }

    fn path(&self, s: &mut String) {
        if let Some(out) = redact_path(self.0, s) {
            *s = out;
        }
    }

    fn value(&self, s: &mut Option<String>) {
        if let Some(s) = s {
            match self.0.value_placeholder(s) {
                Some(p) => p.clone_into(s),
                None => self.string(s),
            }
        }
    }

    /// A request's headers as sent: the runner wrote the `Guid` header's
    /// value as the placeholder of the Guid it carried (`<guid>`,
    /// `<other-guid>`) or as the suite's public literal, so it is redacted
    /// as a value (a secret in it replaced), not hidden whole; other
    /// secret-named headers are hidden whole.
    fn request_headers(&self, headers: &mut [Header]) {
        for h in headers {
            if h.name.eq_ignore_ascii_case("guid") {
                if let Some(p) = self.0.value_placeholder(&h.value) {
                    p.clone_into(&mut h.value);
                } else {
                    self.string(&mut h.value);
                }
            } else if let Some(value) = redact_header(self.0, &h.name, &h.value) {
                h.value = value;
            }
            self.string(&mut h.name);
        }
    }

    fn headers(&self, headers: &mut [Header]) {
        for h in headers {
            if let Some(value) = redact_header(self.0, &h.name, &h.value) {
                h.value = value;
            }
            self.string(&mut h.name);
        }
    }

    fn pointer(&self, p: &mut Option<String>) {
        if let Some(p) = p {
            if let Some(out) = redact_pointer(self.0, p) {
                *p = out;
            }
        }
    }

    fn shape(&self, shape: &mut [String]) {
        for entry in shape {
            if let Some(out) = redact_shape_entry(self.0, entry) {
                *entry = out;
            }
        }
    }

    fn finding(&self, f: &mut Finding) {
        self.string(&mut f.message);
        self.pointer(&mut f.instance_path);
        self.pointer(&mut f.schema_path);
    }

    fn case_result(&self, case: &mut CaseResult) {
        self.option(&mut case.reason);
        self.string(&mut case.expected);
        for note in &mut case.notes {
            self.string(note);
        }
        for f in &mut case.findings {
            self.finding(f);
        }
        if let Some(r) = &mut case.request {
            self.path(&mut r.path);
            self.request_headers(&mut r.headers);
            self.option(&mut r.body);
        }
        if let Some(r) = &mut case.response {
            self.headers(&mut r.headers);
            self.string(&mut r.body);
            self.value(&mut r.retcode);
            self.value(&mut r.message);
            self.shape(&mut r.shape);
        }
        for a in &mut case.attempts {
            self.value(&mut a.retcode);
        }
    }

    fn comparison(&self, c: &mut Comparison) {
        self.string(&mut c.baseline);
        self.string(&mut c.current);
        for change in &mut c.cases {
            for d in &mut change.details {
                self.string(d);
            }
            for digest in [&mut change.before, &mut change.after]
                .into_iter()
                .flatten()
            {
                self.option(&mut digest.retcode);
                self.option(&mut digest.message);
                self.shape(&mut digest.shape);
            }
        }
    }
}

/// [`Redactor::text`] with one compiled registry: secrets replaced, then the
/// JSON-ish structure scanned, then the starts of long secrets; `None` when
/// nothing changes.
fn redact_text(m: &Matcher, text: &str) -> Option<String> {
    let plain = m.replace(text);
    let current = plain.as_deref().unwrap_or(text);
    // Literals without escapes are parts of the text: they can hold a secret
    // only when the text still does.
    let holds_secret = plain.is_some() && m.finds_secret(current.as_bytes());
    let scanned = scan(current, Some((m, holds_secret)), &mut |_| {});
    let current = scanned.as_deref().unwrap_or(current);
    let fragmented = m.fragments(current);
    fragmented.or(scanned).or(plain).filter(|out| out != text)
}

fn redact_header(m: &Matcher, name: &str, value: &str) -> Option<String> {
    if is_secret_name(name) && !value.is_empty() {
        // Keep the shape a reader needs (present, empty or not) but never the value.
        (value != REDACTED).then(|| REDACTED.to_owned())
    } else if let Some(p) = m.value_placeholder(value) {
        (value != p).then(|| p.to_owned())
    } else if name.eq_ignore_ascii_case("location") || name.eq_ignore_ascii_case("content-location")
    {
        redact_path(m, value)
    } else {
        redact_text(m, value)
    }
}

/// A path with its query: each segment and each query name and value that is
/// a secret as a whole (percent-decoded) replaced, then the substring secrets.
fn redact_path(m: &Matcher, path: &str) -> Option<String> {
    let mut patch = Patch::new(path);
    if m.has_values() {
        let mut at = 0;
        for part in path.split(['/', '?', '&', '=', '#', ';']) {
            if let Some(p) = m.value_placeholder(&percent_decode(part)) {
                patch.replace(at..at + part.len(), p);
            }
            at += part.len() + 1;
        }
    }
    let segments = patch.finish();
    let current = segments.as_deref().unwrap_or(path);
    redact_text(m, current)
        .or(segments)
        .filter(|out| out != path)
}

fn redact_pointer(m: &Matcher, pointer: &str) -> Option<String> {
    // Without escapes and quotes every token is a part of the pointer: when
    // the pointer holds no secret and no start of one, neither does a token.
    if !pointer.contains(['~', '"']) && !m.has_values() && !m.finds_anything(pointer.as_bytes()) {
        return None;
    }
    let tokens: Vec<Cow<'_, str>> = pointer
        .split('/')
        .map(|token| {
            let raw = token.replace("~1", "/").replace("~0", "~");
            if let Some(p) = m.value_placeholder(&raw) {
                return Cow::Owned(p.replace('~', "~0").replace('/', "~1"));
            }
            match redact_text(m, &raw) {
                Some(redacted) if redacted != raw => {
                    Cow::Owned(redacted.replace('~', "~0").replace('/', "~1"))
                }
                _ => Cow::Borrowed(token),
            }
        })
        .collect();
    let joined = tokens.join("/");
    let out = redact_text(m, &joined).unwrap_or(joined);
    (out != pointer).then_some(out)
}

fn redact_shape_entry(m: &Matcher, entry: &str) -> Option<String> {
    match entry.rsplit_once(": ") {
        Some((path, kind)) => redact_pointer(m, path).map(|p| format!("{p}: {kind}")),
        None => redact_text(m, entry),
    }
}

/// A copy of `text` made only when a part of it changes.
struct Patch<'t> {
    text: &'t str,
    out: Option<String>,
    copied: usize,
}

impl<'t> Patch<'t> {
    fn new(text: &'t str) -> Patch<'t> {
        Patch {
            text,
            out: None,
            copied: 0,
        }
    }

    fn replace(&mut self, range: Range<usize>, with: &str) {
        if self.text[range.clone()] == *with {
            return;
        }
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.text.len() + 16));
        out.push_str(&self.text[self.copied..range.start]);
        out.push_str(with);
        self.copied = range.end;
    }

    fn finish(self) -> Option<String> {
        let mut out = self.out?;
        out.push_str(&self.text[self.copied..]);
        Some(out)
    }
}

/// Walks JSON-ish text token by token: each string literal is decoded (its
/// escapes resolved); a value after a secret-named key is replaced by
/// `"<redacted>"` and handed to `learned`; a literal whose decoded text still
/// holds a secret (with `secrets`: the matcher, and whether the text itself
/// still holds one) is re-encoded redacted. Text outside literals is kept.
/// `None` when nothing changes.
fn scan(
    text: &str,
    secrets: Option<(&Matcher, bool)>,
    learned: &mut dyn FnMut(&str),
) -> Option<String> {
    let mut patch = Patch::new(text);
    let mut at = 0;
    while let Some(found) = text[at..].find('"') {
        let quote = at + found;
        let body = &text[quote + 1..];
        let end = string_end(body);
        let is_closed = end < body.len();
        let literal_end = quote + 1 + end + usize::from(is_closed);
        let raw = &body[..end];
        let decoded = decode_json_string(raw);
        let redacted = secrets.and_then(|(m, holds_secret)| {
            if let Some(p) = m.value_placeholder(&decoded) {
                return Some(json_string(p));
            }
            let may_hold = holds_secret || matches!(decoded, Cow::Owned(_));
            redact_literal(&decoded, m, may_hold)
        });
        let after = &text[literal_end..];
        // A key: the literal is followed by a colon.
        let trimmed = after.trim_start();
        let is_secret_key =
            trimmed.starts_with(':') && decoded.len() <= MAX_NAME && is_secret_name(&decoded);
        if is_secret_key {
            if let Some(literal) = &redacted {
                patch.replace(quote..literal_end, literal);
            }
            let value_text = &trimmed[1..];
            let value = value_text.trim_start();
            let value_at = text.len() - value.len();
            let (len, token) = value_token(value);
            if let Some(t) = token {
                learned(&t);
                patch.replace(value_at..value_at + len, "\"<redacted>\"");
            }
            at = value_at + len;
            continue;
        }
        if let Some(literal) = &redacted {
            let literal = if is_closed {
                literal.as_str()
            } else {
                // A literal cut off (truncated body): shown without a closing quote it never had.
                literal.strip_suffix('"').unwrap_or(literal)
            };
            patch.replace(quote..literal_end, literal);
        }
        at = literal_end;
        if let Some(((m, _), colon)) = secrets.zip(trimmed.strip_prefix(':')) {
            // A key: a bare value (a number) after it that is a secret as a whole.
            let value = colon.trim_start();
            let value_at = text.len() - value.len();
            let (len, _) = value_token(value);
            let bare = &value[..len];
            if let Some(p) = m
                .value_placeholder(bare)
                .filter(|_| !bare.starts_with(['"', '{', '[']))
            {
                patch.replace(value_at..value_at + len, &json_string(p));
                at = value_at + len;
            }
        }
    }
    patch.finish()
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{REDACTED}\""))
}

/// A literal's decoded text re-encoded redacted (with its quotes), or `None`
/// when it holds no secret (`may_hold` false: known not to).
fn redact_literal(decoded: &str, m: &Matcher, may_hold: bool) -> Option<String> {
    if !may_hold {
        return None;
    }
    let redacted = m.replace(decoded).filter(|r| r != decoded)?;
    Some(serde_json::to_string(&redacted).unwrap_or_else(|_| format!("\"{REDACTED}\"")))
}

/// The length of the JSON value at the start of `value`, and its text when
/// it is a secret to hide (strings, numbers, objects, arrays; not `true`,
/// `false` or `null`).
fn value_token(value: &str) -> (usize, Option<Cow<'_, str>>) {
    let bytes = value.as_bytes();
    match bytes.first() {
        None => (0, None),
        Some(b'"') => {
            let end = string_end(&value[1..]);
            let len = (end + 2).min(value.len());
            (len, Some(decode_json_string(&value[1..1 + end])))
        }
        Some(b'{' | b'[') => {
            let len = balanced_end(value);
            (len, Some(Cow::Borrowed(&value[..len])))
        }
        Some(_) => {
            let len = value
                .find(|c: char| matches!(c, ',' | '}' | ']') || c.is_whitespace())
                .unwrap_or(value.len());
            let token = &value[..len];
            if matches!(token, "true" | "false" | "null") {
                (len, None)
            } else {
                (len, Some(Cow::Borrowed(token)))
            }
        }
    }
}

/// Length of the object or array at the start of `value` (string-aware), or
/// all of it when it is cut off.
fn balanced_end(value: &str) -> usize {
    let bytes = value.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1 + string_end(&value[i + 1..]);
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// Decodes the escapes of a JSON string body; invalid escapes are kept as
/// written. Borrowed when there is no escape.
fn decode_json_string(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    if let Ok(s) = serde_json::from_str::<String>(&format!("\"{raw}\"")) {
        return Cow::Owned(s);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(d) => out.push(d),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Byte index of the closing quote of a JSON string body (or its end).
fn string_end(value: &str) -> usize {
    let mut from = 0;
    loop {
        let rest = &value[from..];
        let Some(quote) = rest.find('"') else {
            return value.len();
        };
        match rest[..quote].find('\\') {
            // An escape before the quote: skip it and the character it escapes.
            Some(backslash) => {
                let escaped = rest[backslash + 1..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8);
                from += backslash + 1 + escaped;
                if from >= value.len() {
                    return value.len();
                }
            }
            None => return from + quote,
        }
    }
}

/// Percent-encoding of everything but unreserved URL characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decoding of `%XX` escapes (invalid ones kept as written).
fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// The HTML escaping the html renderers use.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_registered_secrets_and_signatures() {
        let r = Redactor::new();
        r.add_secret("abcd-1234.AgentGateway1", "<guid>");
        let body = r#"{"signature": "s3cr\"et", "x": "abcd-1234.AgentGateway1", "Signature":"t"}"#;
        let out = r.text(body);
        assert_eq!(
            out,
            r#"{"signature": "<redacted>", "x": "<guid>", "Signature":"<redacted>"}"#
        );
        assert_eq!(
            r.text(r#"{"signature":"unterminated"#),
            r#"{"signature":"<redacted>""#
        );
        assert_eq!(r.header("GUID", "abc"), "<redacted>");
        assert_eq!(r.header("X-Signature", "abc"), "<redacted>");
        assert_eq!(r.header("Content-Type", "text/plain"), "text/plain");
    }

    #[test]
    fn redacts_other_spellings_types_and_places() {
        let r = Redactor::new();
        r.add_secret("abcd-1234.AgentGateway1", "<guid>");
        for (body, secret) in [
            (r#"{"sign\u0061ture":"zzzzzzzzzz"}"#, "zzzzzzzzzz"),
            (r#"{"SIGNATURE": 123456789012}"#, "123456789012"),
            (r#"{"x_signature": {"v": "qqqqqqqqqq"}}"#, "qqqqqqqqqq"),
            (r#"{"r":{"signature":["wwwwwwwwww"]}}"#, "wwwwwwwwww"),
            (r#"{"abcd-1234.AgentGateway1": 1}"#, "abcd-1234"),
            (r#"{"x": "\u0061bcd-1234.AgentGateway1"}"#, "bcd-1234"),
            ("ABCD-1234.AGENTGATEWAY1", "ABCD"),
            ("/x/abcd-1234.AgentGateway1/y", "abcd"),
        ] {
            let out = r.text(body);
            assert!(!out.contains(secret), "{body} -> {out}");
        }
        assert_eq!(r.pointer("/abcd-1234.AgentGateway1/x"), "/<guid>/x");
    }

    #[test]
    fn a_signature_seen_once_is_a_secret_everywhere_after() {
        let r = Redactor::new();
        let clone = r.clone();
        r.learn_from_response(&[], br#"{"result":{"signature":"c2lnbmF0dXJlLXZhbHVl"}}"#);
        assert_eq!(
            clone.text("message: c2lnbmF0dXJlLXZhbHVl"),
            "message: <redacted>"
        );
        r.learn_from_response(
            &[(
                "x-signature".to_owned(),
                "aGVhZGVyLXNpZ25hdHVyZQ".to_owned(),
            )],
            b"",
        );
        assert_eq!(clone.text("aGVhZGVyLXNpZ25hdHVyZQ"), "<redacted>");
        // A short value is redacted where it stands, never learned.
        r.learn_from_response(&[], br#"{"signature":"true"}"#);
        assert_eq!(r.text("true"), "true");
    }

    #[test]
    fn short_secrets_are_redacted_where_they_stand_as_values_and_idempotently() {
        let r = Redactor::new();
        r.add_secret("\u{feff} g1 \r\n", "<guid>");
        let once = r.text(r#"{"x": "g1", "k": "G1", "y": "g12"} guid g1"#);
        assert_eq!(
            once,
            r#"{"x": "<guid>", "k": "<guid>", "y": "g12"} guid g1"#
        );
        assert_eq!(r.text(&once), once);
    }

    #[test]
    fn a_short_or_common_secret_never_rewrites_other_text() {
        let r = Redactor::new();
        r.add_secret("1", "<callid>");
        r.add_secret("0", "<guid>");
        r.add_secret("conformant", "<other-guid>");
        r.add_secret("100-006", "<other-callid>");
        // The tool's own words, retcodes, addresses and colour codes stay whole.
        for text in [
            "100-006",
            "Not conformant: 1 required failure",
            "https://127.0.0.1:8043",
            "\u{1b}[1mPASS\u{1b}[0m 5 passed",
            r#"{"retcode":"100-0061"}"#,
        ] {
            assert_eq!(r.text(text), text);
        }
        // Where one stands as a whole value it is hidden.
        assert_eq!(
            r.text(r#"{"callid":"1","n":0,"m":"Conformant","k":" 100-006 "}"#),
            r#"{"callid":"<callid>","n":"<guid>","m":"<other-guid>","k":"<other-callid>"}"#
        );
        assert_eq!(r.value("100-006"), "<other-callid>");
        assert_eq!(r.value("100-0061"), "100-0061");
        assert_eq!(r.header("X-Call", "1"), "<callid>");
        assert_eq!(r.header("X-Call", "1; 2"), "1; 2");
        assert_eq!(
            r.path("/agentgateway/resource/mediacall/1/getconnectinfo?a=%31&b=10"),
            "/agentgateway/resource/mediacall/<callid>/getconnectinfo?a=<callid>&b=10"
        );
        assert_eq!(r.header("Location", "/x/0/y"), "/x/<guid>/y");
        assert_eq!(r.pointer("/result/1/x"), "/result/<callid>/x");
        // Nothing of it is a secret of the final pass over a rendered file.
        assert_eq!(r.rendered("conformant 1 0", false), "conformant 1 0");
        assert!(!is_substring_safe("1552524689-16797284"));
        assert!(!is_substring_safe("AgentGateway"));
        assert!(is_substring_safe("5f3c2a71-9d4e"));
    }

    #[test]
    fn redacts_the_start_of_a_secret_cut_off_at_a_limit() {
        let r = Redactor::new();
        r.add_secret("5f3c2a71-9d4e-4b8a.AgentGateway1", "<guid>");
        r.add_secret("2552524689", "<callid>");
        assert_eq!(r.text("cut: 5f3c2a71-9d"), "cut: <guid>");
        assert_eq!(
            r.text("`x5f3c2a71-9d4e` and 5f3c2a7"),
            "`x<guid>` and 5f3c2a7"
        );
        assert_eq!(
            r.text("call 25525246 and 2552524689"),
            "call 25525246 and <callid>"
        );
    }

    #[test]
    fn keeps_a_cut_off_literal_open() {
        let r = Redactor::new();
        r.add("5f3c2a71-9d4e", "<guid>");
        assert_eq!(
            r.text(r#"{"callid": "x", "userType": "ag"#),
            r#"{"callid": "x", "userType": "ag"#
        );
        assert_eq!(r.text(r#"{"a": "5f3c2a71-9d4e"#), r#"{"a": "<guid>"#);
    }

    #[test]
    fn the_final_pass_never_breaks_a_file() {
        let r = Redactor::new();
        r.add_secret("5f3c2a71-9d4e-4b8a.AgentGateway1", "<guid>");
        // A learned value that looks like markup is left to the model's pass.
        r.learn_from_response(&[], br#"{"signature":"</testcase></testsuite>"}"#);
        let xml = "<testcase><system-out>5f3c2a71-9d4e-4b8a.AgentGateway1</system-out></testcase></testsuite>";
        assert_eq!(
            r.rendered(xml, true),
            "<testcase><system-out>&lt;guid&gt;</system-out></testcase></testsuite>"
        );
        assert_eq!(
            r.rendered("x 5f3c2a71-9d4e-4b8a.AgentGateway1", false),
            "x <guid>"
        );
    }

    #[test]
    fn learning_is_bounded_whatever_a_gateway_sends() {
        let r = Redactor::new();
        r.add_secret("5f3c2a71-9d4e-4b8a.AgentGateway1", "<guid>");
        for i in 0..100_000u32 {
            let body = format!(r#"{{"signature":"sig-{i:08}-value"}}"#);
            let header = [(
                "Set-GUID".to_owned(),
                format!("JSESSIONID=g-{i:08}.AgentGateway1"),
            )];
            r.learn_from_response(&header, body.as_bytes());
            if i % 10_000 == 0 {
                // Redacting between learns compiles the registry as a run does.
                let _ = r.text("x");
            }
        }
        let registry = r.read().registry.clone();
        assert!(registry.learned <= LEARNED_CAP);
        // Every spelling of each learned value, and the Guid's.
        assert!(
            registry.secrets.len() <= 4 * (LEARNED_CAP + 1),
            "{}",
            registry.secrets.len()
        );
        assert!(r.learned_past_cap() > 199_000, "{}", r.learned_past_cap());
        // The compiled automata stay small: documented peak 16 MiB.
        assert!(r.compiled().model.memory_usage() < 16 << 20);
        // Past the cap a value is still hidden where it stands.
        assert_eq!(
            r.text(r#"{"signature":"sig-00099999-value"}"#),
            r#"{"signature":"<redacted>"}"#
        );
        assert_eq!(r.text("5f3c2a71-9d4e-4b8a.AgentGateway1"), "<guid>");
    }

    #[test]
    fn old_guid_generations_are_retired() {
        let r = Redactor::new();
        for i in 0..1_000u32 {
            r.add_generation(&format!("{i:08x}-9d4e-4b8a.AgentGateway1"), "<guid>");
        }
        let registry = r.read().registry.clone();
        assert_eq!(registry.generations.len(), GENERATIONS_KEPT);
        assert!(registry.secrets.len() <= 4 * GENERATIONS_KEPT);
        assert_eq!(r.text("000003e7-9d4e-4b8a.AgentGateway1"), "<guid>");
        assert_eq!(
            r.text("00000001-9d4e-4b8a.AgentGateway1"),
            "00000001-9d4e-4b8a.AgentGateway1"
        );
    }

    #[test]
    fn ignores_empty_values() {
        let r = Redactor::new();
        r.add_secret("", "<x>");
        r.add_secret(" \r\n", "<x>");
        assert_eq!(r.text("retcode 0"), "retcode 0");
    }
}
