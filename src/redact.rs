//! One redaction layer for every output: report files, snapshots, console.
//!
//! Secrets (the Guid, the other agent's Guid, the callids, any `signature`
//! value and credential headers) are replaced by a stable placeholder before
//! evidence enters the report, so no renderer can leak them.

/// Replaces secrets in text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (secret, placeholder), longest secret first.
    secrets: Vec<(String, String)>,
    /// Secrets learnt while the run goes on (each Guid generation), shared
    /// by every clone.
    runtime: std::sync::Arc<std::sync::RwLock<Vec<(String, String)>>>,
}

/// Header names whose values are always redacted, lowercase.
const SECRET_HEADERS: [&str; 6] = [
    "guid",
    "set-guid",
    "cookie",
    "set-cookie",
    "authorization",
    "proxy-authorization",
];

/// JSON keys whose string values are always redacted, anywhere in a body.
const SECRET_KEYS: [&str; 2] = ["signature", "guid"];

impl Redactor {
    /// A redactor with no secrets yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Registers `secret` to be shown as `placeholder`. Empty or very short
    /// values are ignored (they would redact ordinary text).
    pub fn add(&mut self, secret: &str, placeholder: &str) {
        if secret.len() < 4 || self.secrets.iter().any(|(s, _)| s == secret) {
            return;
        }
        self.secrets
            .push((secret.to_owned(), placeholder.to_owned()));
        self.secrets
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    }

    /// Text with every registered secret and every secret-keyed JSON string
    /// value replaced. The start of a long secret (at least
    /// [`FRAGMENT_CHARS`] of its first characters) is replaced too: text cut
    /// off at a limit (evidence, body cap, an excerpt) may end inside one.
    pub fn text(&self, text: &str) -> String {
        let mut out = redact_secret_keys(text);
        let runtime = self.runtime.read().map(|r| r.clone()).unwrap_or_default();
        for (secret, placeholder) in self.secrets.iter().chain(runtime.iter()) {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), placeholder);
            }
            if secret.len() >= 2 * FRAGMENT_CHARS {
                out = redact_fragments(&out, secret, placeholder);
            }
        }
        out
    }

    /// Registers `secret` at run time, for this redactor and every clone of
    /// it (thread-safe); same rules as [`Self::add`].
    pub fn register(&self, secret: &str, placeholder: &str) {
        if secret.len() < 4 {
            return;
        }
        if let Ok(mut runtime) = self.runtime.write()
            && !runtime.iter().any(|(s, _)| s == secret)
        {
            runtime.push((secret.to_owned(), placeholder.to_owned()));
            runtime.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        }
    }

    /// The value of header `name` as it may be shown.
    pub fn header(&self, name: &str, value: &str) -> String {
        if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) && !value.is_empty() {
            // Keep the shape a reader needs (present, empty or not) but never the value.
            "<redacted>".to_owned()
        } else {
            self.text(value)
        }
    }
}

/// Shortest start of a secret that is still treated as the secret. Only
/// secrets of twice this length or more are matched by their start, so short
/// values (a callid of digits) never redact ordinary text.
pub const FRAGMENT_CHARS: usize = 8;

/// Replaces every run of text that equals the first `FRAGMENT_CHARS` or more
/// bytes of `secret` (whole secrets are already gone).
fn redact_fragments(text: &str, secret: &str, placeholder: &str) -> String {
    let Some(head) = secret.get(..FRAGMENT_CHARS) else {
        return text.to_owned();
    };
    if !text.contains(head) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(head) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let len = tail
            .bytes()
            .zip(secret.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        // Back off to a char boundary (the secret may hold non-ASCII).
        let len = (FRAGMENT_CHARS..=len)
            .rev()
            .find(|&l| tail.is_char_boundary(l))
            .unwrap_or(FRAGMENT_CHARS);
        out.push_str(placeholder);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// Replaces the string value after any `"signature"` or `"guid"` key in JSON-ish
/// text, also in bodies that do not parse (truncated, duplicated keys).
fn redact_secret_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while let Some(quote) = rest.find('"') {
        out.push_str(&rest[..=quote]);
        rest = &rest[quote + 1..];
        for key in SECRET_KEYS {
            let Some(after_key) =
                strip_prefix_ignore_case(rest, key).and_then(|r| r.strip_prefix('"'))
            else {
                continue;
            };
            let after_colon = after_key.trim_start();
            let Some(value) = after_colon.strip_prefix(':').map(str::trim_start) else {
                continue;
            };
            let Some(value) = value.strip_prefix('"') else {
                continue;
            };
            let end = string_end(value);
            out.push_str(&rest[..rest.len() - value.len()]);
            out.push_str("<redacted>");
            rest = &value[end..];
            continue 'scan;
        }
    }
    out.push_str(rest);
    out
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Byte index of the closing quote of a JSON string body (or its end).
fn string_end(value: &str) -> usize {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_registered_secrets_and_signatures() {
        let mut r = Redactor::new();
        r.add("abcd-1234.AgentGateway1", "<guid>");
        let body = r#"{"signature": "s3cr\"et", "x": "abcd-1234.AgentGateway1", "Signature":"t"}"#;
        let out = r.text(body);
        assert_eq!(
            out,
            r#"{"signature": "<redacted>", "x": "<guid>", "Signature":"<redacted>"}"#
        );
        assert_eq!(
            r.text(r#"{"signature":"unterminated"#),
            r#"{"signature":"<redacted>"#
        );
        assert_eq!(r.header("GUID", "abc"), "<redacted>");
        assert_eq!(r.header("Content-Type", "text/plain"), "text/plain");
    }

    #[test]
    fn redacts_the_start_of_a_secret_cut_off_at_a_limit() {
        let mut r = Redactor::new();
        r.add("5f3c2a71-9d4e-4b8a.AgentGateway1", "<guid>");
        r.add("1552524689", "<callid>");
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
    fn secrets_registered_at_run_time_reach_every_clone() {
        let r = Redactor::new();
        let clone = r.clone();
        r.register("guid-generation-2.AgentGateway0", "<guid>");
        assert_eq!(clone.text("x guid-generation-2.AgentGateway0"), "x <guid>");
    }

    #[test]
    fn ignores_values_too_short_to_be_secrets() {
        let mut r = Redactor::new();
        r.add("", "<x>");
        r.add("0", "<x>");
        assert_eq!(r.text("retcode 0"), "retcode 0");
    }
}
