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
//! generation) is redacted by every other holder from then on.

use crate::report::{CaseResult, Comparison, Finding, Header, RunReport};
use std::sync::{Arc, RwLock};

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

/// Replaces secrets in text and in the report model.
#[derive(Clone, Default)]
pub struct Redactor {
    registry: Arc<RwLock<Registry>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret, even in a debug dump.
        f.debug_struct("Redactor")
            .field("secrets", &self.snapshot().secrets.len())
            .finish()
    }
}

#[derive(Debug, Clone, Default)]
struct Registry {
    /// (secret in ASCII lowercase, placeholder), longest secret first.
    secrets: Vec<(String, String)>,
    /// Every placeholder, copied through untouched (redaction is idempotent).
    placeholders: Vec<String>,
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
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_NAME_PARTS.iter().any(|part| folded.contains(part))
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
        let mut variants = vec![secret.clone()];
        let json = serde_json::to_string(&secret).unwrap_or_default();
        variants.push(json.trim_matches('"').to_owned());
        variants.push(percent_encode(&secret));
        variants.push(html_escape(&secret));
        let Ok(mut registry) = self.registry.write() else {
            return;
        };
        for variant in variants {
            let lower = variant.to_ascii_lowercase();
            if !registry.secrets.iter().any(|(s, _)| *s == lower) {
                registry.secrets.push((lower, placeholder.to_owned()));
            }
        }
        if !registry.placeholders.iter().any(|p| p == placeholder) {
            registry.placeholders.push(placeholder.to_owned());
        }
        registry
            .secrets
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    }

    /// Same as [`Redactor::add_secret`] (the older name).
    pub fn add(&self, secret: &str, placeholder: &str) {
        self.add_secret(secret, placeholder);
    }

    /// Registers a value a gateway sent under a secret-named key or header,
    /// when it is long enough to be told apart from ordinary words.
    fn learn(&self, value: &str) {
        let value = value.trim();
        if value.chars().count() >= LEARNED_MIN_CHARS {
            self.add_secret(value, REDACTED);
        }
    }

    fn snapshot(&self) -> Registry {
        self.registry.read().map(|r| r.clone()).unwrap_or_default()
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
        scan(&text, &Registry::default(), &mut |value| {
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
        let registry = self.snapshot();
        let plain = replace_secrets(text, &registry);
        let mut out = scan(&plain, &registry, &mut |_| {});
        for (secret, placeholder) in &registry.secrets {
            if secret.len() >= 2 * FRAGMENT_CHARS {
                out = redact_fragments(&out, secret, placeholder);
            }
        }
        out
    }

    /// The value of header `name` as it may be shown.
    pub fn header(&self, name: &str, value: &str) -> String {
        if is_secret_name(name) && !value.is_empty() {
            // Keep the shape a reader needs (present, empty or not) but never the value.
            REDACTED.to_owned()
        } else {
            self.text(value)
        }
    }

    /// A JSON pointer as it may be shown: each token unescaped, redacted and
    /// escaped again (a Guid used as a key shows as `/<guid>`).
    pub fn pointer(&self, pointer: &str) -> String {
        let tokens: Vec<String> = pointer
            .split('/')
            .map(|token| {
                let raw = token.replace("~1", "/").replace("~0", "~");
                let redacted = self.text(&raw);
                if redacted == raw {
                    token.to_owned()
                } else {
                    redacted.replace('~', "~0").replace('/', "~1")
                }
            })
            .collect();
        self.text(&tokens.join("/"))
    }

    /// A `shape` entry (`/path/key: type`) as it may be shown.
    pub fn shape_entry(&self, entry: &str) -> String {
        match entry.rsplit_once(": ") {
            Some((path, kind)) => format!("{}: {kind}", self.pointer(path)),
            None => self.text(entry),
        }
    }

    fn headers(&self, headers: &mut [Header]) {
        for h in headers {
            h.value = self.header(&h.name, &h.value);
            h.name = self.text(&h.name);
        }
    }

    fn finding(&self, f: &mut Finding) {
        f.message = self.text(&f.message);
        f.instance_path = f.instance_path.as_deref().map(|p| self.pointer(p));
        f.schema_path = f.schema_path.as_deref().map(|p| self.pointer(p));
    }

    /// Redacts every string of a case result that came from outside (reason,
    /// findings, evidence). Idempotent.
    pub fn case_result(&self, case: &mut CaseResult) {
        let opt = |s: &mut Option<String>| *s = s.as_deref().map(|t| self.text(t));
        opt(&mut case.reason);
        case.expected = self.text(&case.expected);
        for note in &mut case.notes {
            *note = self.text(note);
        }
        for f in &mut case.findings {
            self.finding(f);
        }
        if let Some(r) = &mut case.request {
            r.path = self.text(&r.path);
            self.headers(&mut r.headers);
            opt(&mut r.body);
        }
        if let Some(r) = &mut case.response {
            self.headers(&mut r.headers);
            r.body = self.text(&r.body);
            opt(&mut r.retcode);
            opt(&mut r.message);
            for entry in &mut r.shape {
                *entry = self.shape_entry(entry);
            }
        }
    }

    /// Redacts every string of a comparison that came from a report.
    pub fn comparison(&self, c: &mut Comparison) {
        c.baseline = self.text(&c.baseline);
        c.current = self.text(&c.current);
        for change in &mut c.cases {
            for d in &mut change.details {
                *d = self.text(d);
            }
            for digest in [&mut change.before, &mut change.after]
                .into_iter()
                .flatten()
            {
                digest.retcode = digest.retcode.as_deref().map(|t| self.text(t));
                digest.message = digest.message.as_deref().map(|t| self.text(t));
                for entry in &mut digest.shape {
                    *entry = self.shape_entry(entry);
                }
            }
        }
    }

    /// Redacts every string of a report that came from outside, with every
    /// secret known now (a `signature` learned in the last case is redacted
    /// in the first one too). Run before any report is rendered.
    pub fn report(&self, report: &mut RunReport) {
        let env = &mut report.environment;
        env.target = self.text(&env.target);
        env.only = env.only.as_deref().map(|t| self.text(t));
        for a in &mut env.assumptions {
            *a = self.text(a);
        }
        for case in &mut report.cases {
            self.case_result(case);
        }
        if let Some(c) = &mut report.comparison {
            self.comparison(c);
        }
    }

    /// The final pass over a rendered file (the model was redacted already):
    /// long secrets (at least [`LEARNED_MIN_CHARS`] characters) made only of
    /// token characters (letters, digits, `-._~+/=`) are replaced wherever
    /// they still appear. Others are left to the model's redaction: replacing
    /// markup-like text could break the file. With `markup` (HTML, XML) the
    /// placeholder is written escaped (`&lt;guid&gt;`), so it stays text.
    pub fn rendered(&self, text: &str, markup: bool) -> String {
        let mut registry = self.snapshot();
        registry.secrets.retain(|(s, _)| {
            s.chars().count() >= LEARNED_MIN_CHARS
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~+/=".contains(c))
        });
        if registry.secrets.is_empty() {
            return text.to_owned();
        }
        if markup {
            for (_, placeholder) in &mut registry.secrets {
                *placeholder = html_escape(placeholder);
            }
            for placeholder in &mut registry.placeholders {
                *placeholder = html_escape(placeholder);
            }
        }
        let mut out = replace_secrets(text, &registry);
        for (secret, placeholder) in &registry.secrets {
            if secret.len() >= 2 * FRAGMENT_CHARS {
                out = redact_fragments(&out, secret, placeholder);
            }
        }
        out
    }
}

impl Redactor {
    /// The final pass over a rendered JSON file: every string and key run
    /// through [`Redactor::rendered`]; the file is written again only when
    /// something was still there (a field the model's pass does not know).
    pub fn rendered_json(&self, text: &str) -> String {
        fn walk(r: &Redactor, value: &mut serde_json::Value, changed: &mut bool) {
            use serde_json::Value;
            match value {
                Value::String(s) => {
                    let out = r.rendered(s, false);
                    if out != *s {
                        *s = out;
                        *changed = true;
                    }
                }
                Value::Array(items) => items.iter_mut().for_each(|v| walk(r, v, changed)),
                Value::Object(map) => {
                    let old = std::mem::take(map);
                    for (key, mut item) in old {
                        walk(r, &mut item, changed);
                        let new_key = r.rendered(&key, false);
                        *changed |= new_key != key;
                        map.insert(new_key, item);
                    }
                }
                _ => {}
            }
        }
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
            return self.rendered(text, false);
        };
        let mut changed = false;
        walk(self, &mut value, &mut changed);
        if !changed {
            return text.to_owned();
        }
        serde_json::to_string_pretty(&value).map_or_else(|_| text.to_owned(), |t| t + "\n")
    }
}

/// Replaces every registered secret (ASCII case ignored), copying existing
/// placeholders through untouched. The places are found with std's fast
/// substring search, then applied leftmost first (the longest secret wins at
/// one place): linear in the text, also for a body of megabytes.
fn replace_secrets(text: &str, registry: &Registry) -> String {
    if registry.secrets.is_empty() {
        return text.to_owned();
    }
    let lower = text.to_ascii_lowercase();
    // (start, length, replacement); `None` keeps a placeholder as it is.
    let mut hits: Vec<(usize, usize, Option<&str>)> = Vec::new();
    for (secret, placeholder) in &registry.secrets {
        for (at, _) in lower.match_indices(secret.as_str()) {
            if text.is_char_boundary(at) && text.is_char_boundary(at + secret.len()) {
                hits.push((at, secret.len(), Some(placeholder.as_str())));
            }
        }
    }
    if hits.is_empty() {
        return text.to_owned();
    }
    for placeholder in &registry.placeholders {
        for (at, _) in text.match_indices(placeholder.as_str()) {
            hits.push((at, placeholder.len(), None));
        }
    }
    hits.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.2.is_some().cmp(&b.2.is_some()))
            .then_with(|| b.1.cmp(&a.1))
    });
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (at, len, replacement) in hits {
        if at < pos {
            continue;
        }
        out.push_str(&text[pos..at]);
        out.push_str(replacement.unwrap_or(&text[at..at + len]));
        pos = at + len;
    }
    out.push_str(&text[pos..]);
    out
}

/// Walks JSON-ish text token by token: each string literal is decoded (its
/// escapes resolved); a value after a secret-named key is replaced by
/// `"<redacted>"` and handed to `learned`; a literal whose decoded text still
/// holds a secret is re-encoded redacted. Text outside literals is kept.
fn scan(text: &str, registry: &Registry, learned: &mut dyn FnMut(&str)) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(quote) = rest.find('"') {
        out.push_str(&rest[..quote]);
        let body = &rest[quote + 1..];
        let end = string_end(body);
        let raw = &body[..end];
        let decoded = decode_json_string(raw);
        let after = body.get(end + 1..).unwrap_or("");
        // A key: the literal is followed by a colon.
        let trimmed = after.trim_start();
        let value_text = trimmed
            .strip_prefix(':')
            .filter(|_| decoded.len() <= MAX_NAME && is_secret_name(&decoded));
        if let Some(value_text) = value_text {
            out.push_str(&redact_literal(raw, &decoded, registry));
            out.push_str(&after[..after.len() - trimmed.len()]);
            out.push(':');
            let value = value_text.trim_start();
            out.push_str(&value_text[..value_text.len() - value.len()]);
            let (len, token) = value_token(value);
            match token {
                Some(t) => {
                    learned(&t);
                    out.push('"');
                    out.push_str(REDACTED);
                    out.push('"');
                }
                None => out.push_str(&value[..len]),
            }
            rest = &value[len..];
            continue;
        }
        let literal = redact_literal(raw, &decoded, registry);
        if end < body.len() {
            out.push_str(&literal);
        } else {
            // A literal cut off (truncated body): shown without a closing quote it never had.
            out.push_str(literal.strip_suffix('"').unwrap_or(&literal));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A literal (with its quotes) as it may be shown: raw when its decoded text
/// holds no secret, else re-encoded from the redacted decoded text.
fn redact_literal(raw: &str, decoded: &str, registry: &Registry) -> String {
    let redacted = replace_secrets(decoded, registry);
    if redacted == decoded {
        format!("\"{raw}\"")
    } else {
        serde_json::to_string(&redacted).unwrap_or_else(|_| format!("\"{REDACTED}\""))
    }
}

/// The length of the JSON value at the start of `value`, and its text when
/// it is a secret to hide (strings, numbers, objects, arrays; not `true`,
/// `false` or `null`).
fn value_token(value: &str) -> (usize, Option<String>) {
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
            (len, Some(value[..len].to_owned()))
        }
        Some(_) => {
            let len = value
                .find(|c: char| matches!(c, ',' | '}' | ']') || c.is_whitespace())
                .unwrap_or(value.len());
            let token = &value[..len];
            if matches!(token, "true" | "false" | "null") {
                (len, None)
            } else {
                (len, Some(token.to_owned()))
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

/// Decodes the escapes of a JSON string body; invalid escapes are kept as written.
fn decode_json_string(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    if let Ok(s) = serde_json::from_str::<String>(&format!("\"{raw}\"")) {
        return s;
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
    out
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

/// Replaces every run of text that equals the first `FRAGMENT_CHARS` or more
/// bytes of `secret` (lowercase; whole secrets are already gone).
fn redact_fragments(text: &str, secret: &str, placeholder: &str) -> String {
    let Some(head) = secret.get(..FRAGMENT_CHARS) else {
        return text.to_owned();
    };
    let lower = text.to_ascii_lowercase();
    if !lower.contains(head) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at_text = 0;
    while let Some(found) = lower[at_text..].find(head) {
        let at = at_text + found;
        out.push_str(&text[at_text..at]);
        let tail = &lower[at..];
        let len = tail
            .bytes()
            .zip(secret.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        // Back off to a char boundary (the secret may hold non-ASCII).
        let len = (FRAGMENT_CHARS..=len)
            .rev()
            .find(|&l| text.is_char_boundary(at + l))
            .unwrap_or(FRAGMENT_CHARS);
        out.push_str(placeholder);
        at_text = at + len;
    }
    out.push_str(&text[at_text..]);
    out
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
    fn short_secrets_are_redacted_and_redaction_is_idempotent() {
        let r = Redactor::new();
        r.add_secret("\u{feff} g1 \r\n", "<guid>");
        let once = r.text("guid g1 here G1");
        assert_eq!(once, "guid <guid> here <guid>");
        assert_eq!(r.text(&once), once);
    }

    #[test]
    fn redacts_the_start_of_a_secret_cut_off_at_a_limit() {
        let r = Redactor::new();
        r.add_secret("5f3c2a71-9d4e-4b8a.AgentGateway1", "<guid>");
        r.add_secret("1552524689", "<callid>");
        assert_eq!(r.text("cut: 5f3c2a71-9d"), "cut: <guid>");
        assert_eq!(
            r.text("`x5f3c2a71-9d4e` and 5f3c2a7"),
            "`x<guid>` and 5f3c2a7"
        );
        assert_eq!(
            r.text("call 15525246 and 1552524689"),
            "call 15525246 and <callid>"
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
    fn ignores_empty_values() {
        let r = Redactor::new();
        r.add_secret("", "<x>");
        r.add_secret(" \r\n", "<x>");
        assert_eq!(r.text("retcode 0"), "retcode 0");
    }
}
