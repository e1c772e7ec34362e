//! The redaction engine before it was compiled (kept as test code): the
//! oracle the compiled engine and the streaming final pass are checked
//! against, on random texts built from secrets, their escaped and case
//! variants, their starts, placeholders and noise.
//!
//! One deliberate change from the old code: a secret is looked for at every
//! place, also where it overlaps an earlier place of itself (the old code
//! used `match_indices`, which skips those, and then leaked the secret when
//! another secret had taken the earlier place: see
//! `a_secret_overlapping_itself_is_not_missed`).

use super::*;
use proptest::prelude::*;

/// The old engine over a copy of a redactor's registry.
struct Old(Registry);

fn old(r: &Redactor) -> Old {
    Old(r.read().registry.clone())
}

/// Every start of `needle` in `haystack`, overlapping ones too.
fn overlapping<'a>(haystack: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    (0..haystack.len()).filter(move |&at| haystack.as_bytes()[at..].starts_with(needle.as_bytes()))
}

impl Old {
    pub fn text(&self, text: &str) -> String {
        let registry = self.0.clone();
        let plain = replace_secrets(text, &registry);
        let mut out = scan(&plain, &registry, &mut |_| {});
        for (secret, placeholder) in &registry.secrets {
            if secret.len() >= 2 * FRAGMENT_CHARS {
                out = redact_fragments(&out, secret, placeholder);
            }
        }
        out
    }

    /// The placeholder of a secret registered to be hidden only as a whole value.
    fn value(&self, value: &str) -> Option<&str> {
        value_of(value, &self.0)
    }

    /// The value of header `name` as it may be shown.
    pub fn header(&self, name: &str, value: &str) -> String {
        if is_secret_name(name) && !value.is_empty() {
            // Keep the shape a reader needs (present, empty or not) but never the value.
            REDACTED.to_owned()
        } else if let Some(p) = self.value(value) {
            p.to_owned()
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
                if let Some(p) = self.value(&raw) {
                    return p.replace('~', "~0").replace('/', "~1");
                }
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

    pub fn rendered(&self, text: &str, markup: bool) -> String {
        let mut registry = self.0.clone();
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

    pub fn rendered_json(&self, text: &str) -> String {
        fn walk(r: &Old, value: &mut serde_json::Value, changed: &mut bool) {
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
        for at in overlapping(&lower, secret) {
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
        let decoded = decode_json_string(raw).into_owned();
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
        if let Some(colon) = trimmed.strip_prefix(':') {
            // A key: a bare value after it that is a secret as a whole.
            let value = colon.trim_start();
            let (len, _) = value_token(value);
            let bare = &value[..len];
            if let Some(p) = value_of(bare, registry).filter(|_| !bare.starts_with(['"', '{', '[']))
            {
                out.push_str(&after[..after.len() - value.len()]);
                out.push_str(&serde_json::to_string(p).unwrap_or_default());
                rest = &value[len..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A literal (with its quotes) as it may be shown: raw when its decoded text
/// holds no secret, else re-encoded from the redacted decoded text.
fn redact_literal(raw: &str, decoded: &str, registry: &Registry) -> String {
    if let Some(p) = value_of(decoded, registry) {
        return serde_json::to_string(p).unwrap_or_default();
    }
    let redacted = replace_secrets(decoded, registry);
    if redacted == decoded {
        format!("\"{raw}\"")
    } else {
        serde_json::to_string(&redacted).unwrap_or_else(|_| format!("\"{REDACTED}\""))
    }
}

/// The placeholder of `value` when all of it is a secret hidden only as a whole value.
fn value_of<'r>(value: &str, registry: &'r Registry) -> Option<&'r str> {
    let value = value.trim();
    registry
        .values
        .iter()
        .find(|(secret, _)| secret.eq_ignore_ascii_case(value))
        .map(|(_, p)| p.as_str())
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

// ---- The properties ----------------------------------------------------------

const PLACEHOLDERS: [&str; 4] = ["<guid>", "<callid>", "<redacted>", "<other-guid>"];

/// Secrets from a small alphabet (so that they overlap, share starts and
/// appear inside each other), and realistic ones.
fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "[abAB12\\-.]{1,6}",
        "[ab1\\-.é\"<>&%/ ]{6,20}",
        "[a-f0-9]{8}-[a-f0-9]{4}\\.AgentGateway[0-9]",
        "[0-9]{10}-[0-9]{8}",
        "[A-Za-z0-9+/=]{16,24}",
    ]
}

/// A redactor with a few secrets (some learned under `<redacted>`).
fn redactor() -> impl Strategy<Value = (Redactor, Vec<String>)> {
    proptest::collection::vec((secret(), 0..PLACEHOLDERS.len()), 1..5).prop_map(|secrets| {
        let r = Redactor::new();
        for (s, p) in &secrets {
            r.add_secret(s, PLACEHOLDERS[*p]);
        }
        let names = secrets.into_iter().map(|(s, _)| s).collect();
        (r, names)
    })
}

/// One piece of a text: a secret as written, in another case, escaped, cut
/// off, a placeholder, JSON structure or noise.
fn piece(secrets: Vec<String>) -> impl Strategy<Value = String> {
    let pick = proptest::sample::select(secrets);
    prop_oneof![
        pick.clone(),
        pick.clone().prop_map(|s| s.to_ascii_uppercase()),
        pick.clone()
            .prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        pick.clone().prop_map(|s| s
            .chars()
            .map(|c| format!("\\u{:04x}", u32::from(c) & 0xFFFF))
            .collect()),
        pick.clone().prop_map(|s| percent_encode(&s)),
        pick.clone().prop_map(|s| html_escape(&s)),
        (pick, 1usize..30).prop_map(|(s, n)| s.chars().take(n).collect()),
        proptest::sample::select(PLACEHOLDERS.to_vec()).prop_map(str::to_owned),
        proptest::sample::select(vec![
            "\"",
            "\":",
            "{\"signature\":",
            "\"guid\": ",
            ",",
            "}",
            "[",
            "]",
            "\\",
            "\\n",
            "/",
            "~1",
            "~0",
            ": ",
            "true",
            "12345678901",
            "&lt;guid&gt;",
        ])
        .prop_map(str::to_owned),
        "[ab1\\- é\"<>:{}]{0,5}",
    ]
}

fn texts() -> impl Strategy<Value = (Redactor, String)> {
    redactor().prop_flat_map(|(r, secrets)| {
        let text = proptest::collection::vec(piece(secrets), 0..12).prop_map(|p| p.concat());
        (Just(r), text)
    })
}

/// A JSON document whose strings and keys are such texts (keys kept apart
/// by a prefix no redaction changes).
fn documents() -> impl Strategy<Value = (Redactor, String)> {
    redactor().prop_flat_map(|(r, secrets)| {
        let string = proptest::collection::vec(piece(secrets), 0..6)
            .prop_map(|p| p.concat())
            .boxed();
        let leaf = prop_oneof![
            string.clone().prop_map(serde_json::Value::String),
            (0u64..20_000_000_000).prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
        ];
        let value = leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::vec((string.clone(), inner), 0..4).prop_map(|entries| {
                    let map = entries
                        .into_iter()
                        .enumerate()
                        .map(|(i, (k, v))| (format!("#{i} {k}"), v))
                        .collect();
                    serde_json::Value::Object(map)
                }),
            ]
        });
        let pretty = proptest::bool::ANY;
        (Just(r), value, pretty).prop_map(|(r, v, pretty)| {
            let text = if pretty {
                serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
            } else {
                serde_json::to_string(&v).unwrap_or_default()
            };
            (r, text)
        })
    })
}

/// `text` through a final pass, written in pieces of the given lengths.
fn streamed(r: &Redactor, text: &[u8], cuts: &[usize], kind: RenderedKind) -> Vec<u8> {
    use std::io::Write;
    let mut pass = r.final_pass(Vec::new(), kind);
    let mut rest = text;
    for &cut in cuts.iter().cycle().take(text.len() + 1) {
        if rest.is_empty() {
            break;
        }
        let (now, later) = rest.split_at(cut.clamp(1, rest.len()));
        pass.write_all(now).expect("write to a Vec");
        rest = later;
    }
    pass.write_all(rest).expect("write to a Vec");
    pass.finish().expect("finish into a Vec")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_model_passes_equal_the_old_engine((r, text) in texts(), name in "[A-Za-z-]{1,12}") {
        let o = old(&r);
        prop_assert_eq!(r.text(&text), o.text(&text));
        prop_assert_eq!(r.pointer(&text), o.pointer(&text));
        prop_assert_eq!(r.shape_entry(&format!("{text}: string")), o.shape_entry(&format!("{text}: string")));
        prop_assert_eq!(r.header(&name, &text), o.header(&name, &text));
        prop_assert_eq!(r.header("Guid", &text), o.header("Guid", &text));
    }

    #[test]
    fn the_final_pass_equals_the_old_engine((r, text) in texts()) {
        let o = old(&r);
        prop_assert_eq!(r.rendered(&text, false), o.rendered(&text, false));
        prop_assert_eq!(r.rendered(&text, true), o.rendered(&text, true));
        // The old pass wrote a changed JSON file again (pretty, keys sorted):
        // the same JSON, other bytes.
        let (new, old) = (r.rendered_json(&text), o.rendered_json(&text));
        match serde_json::from_str::<serde_json::Value>(&old) {
            Ok(old_value) => {
                let new_value: serde_json::Value = serde_json::from_str(&new).expect("JSON stays JSON");
                prop_assert_eq!(new_value, old_value);
            }
            Err(_) => prop_assert_eq!(new, old),
        }
    }

    #[test]
    fn the_json_final_pass_equals_the_old_one_as_json((r, text) in documents()) {
        let new = r.rendered_json(&text);
        let old = old(&r).rendered_json(&text);
        let new_value: serde_json::Value = serde_json::from_str(&new).expect("the output parses");
        let old_value: serde_json::Value = serde_json::from_str(&old).expect("the old output parses");
        prop_assert_eq!(new_value, old_value);
        // Nothing to replace: the very same bytes.
        if old == text {
            prop_assert_eq!(new, text);
        }
    }

    #[test]
    fn the_final_pass_does_not_depend_on_how_the_text_is_cut(
        (r, text) in texts(),
        cuts in proptest::collection::vec(1usize..20, 1..8),
    ) {
        for kind in [RenderedKind::Text, RenderedKind::Markup, RenderedKind::Json] {
            let whole = streamed(&r, text.as_bytes(), &[usize::MAX], kind);
            prop_assert_eq!(streamed(&r, text.as_bytes(), &cuts, kind), whole, "{:?}", kind);
        }
    }

    #[test]
    fn a_json_document_cut_anywhere_comes_out_the_same(
        (r, text) in documents(),
        cuts in proptest::collection::vec(1usize..20, 1..8),
    ) {
        let whole = streamed(&r, text.as_bytes(), &[usize::MAX], RenderedKind::Json);
        prop_assert_eq!(&streamed(&r, text.as_bytes(), &cuts, RenderedKind::Json), &whole);
        prop_assert_eq!(String::from_utf8_lossy(&whole), r.rendered_json(&text));
    }
}

#[test]
fn a_secret_overlapping_itself_is_not_missed() {
    let r = Redactor::new();
    r.add_secret("xy-12345", "<guid>");
    r.add_secret("12345-12345", "<callid>");
    // `xy-12345` takes the first place; `12345-12345` is still there after it.
    assert_eq!(r.text("xy-12345-12345-12345"), "<guid>-<callid>");
}

#[test]
fn a_secret_added_by_a_clone_is_used_by_a_compiled_redactor() {
    let r = Redactor::new();
    r.add_secret("first-secret-1234", "<guid>");
    assert_eq!(r.text("first-secret-1234"), "<guid>");
    let clone = r.clone();
    std::thread::spawn(move || clone.add_secret("second-secret-5678", "<callid>"))
        .join()
        .expect("the thread adds a secret");
    assert_eq!(
        r.text("second-secret-5678 first-secret-1234"),
        "<callid> <guid>"
    );
}

#[test]
fn a_text_without_secrets_is_not_copied() {
    let r = Redactor::new();
    r.add_secret("5f3c2a71-9d4e-4b8a.AgentGateway1", "<guid>");
    let text = r#"{"callid":"x","userType":"agent"} <guid>"#;
    assert!(matches!(r.redact(text), Cow::Borrowed(_)));
    assert!(matches!(
        r.redact("5f3c2a71-9d4e-4b8a.AgentGateway1"),
        Cow::Owned(_)
    ));
}

#[test]
fn the_json_final_pass_keeps_key_order_and_escapes() {
    let r = Redactor::new();
    r.add_secret("5f3c2a71-9d4e-4b8a.AgentGateway1", "<guid>");
    let text = "{\"z\": \"a\\n5f3c2a71-9d4e-4b8a.AgentGateway1\\u00e9\", \"a\": 1552524689}";
    assert_eq!(
        r.rendered_json(text),
        "{\"z\": \"a\\n<guid>é\", \"a\": 1552524689}"
    );
    // A match never starts inside an escape: `\n` is not `n`.
    r.add_secret("nabcdefghij1", "<x>");
    assert_eq!(
        r.rendered_json(r#"["\nabcdefghij1"]"#),
        r#"["\nabcdefghij1"]"#
    );
    assert_eq!(r.rendered_json(r#"["nabcdefghij1"]"#), r#"["<x>"]"#);
}

#[test]
fn a_raw_control_character_in_a_json_string_comes_out_escaped() {
    // Not what serde_json writes, but what the pass makes of any string:
    // its contents decoded, redacted and encoded again, with or without a
    // secret to look for.
    let text = "[\"a\u{1}b\", \"c\"]";
    let want = "[\"a\\u0001b\", \"c\"]";
    let r = Redactor::new();
    assert_eq!(
        streamed(&r, text.as_bytes(), &[usize::MAX], RenderedKind::Json),
        want.as_bytes()
    );
    r.add_secret("5f3c2a71-9d4e-4b8a.AgentGateway1", "<guid>");
    assert_eq!(
        streamed(&r, text.as_bytes(), &[usize::MAX], RenderedKind::Json),
        want.as_bytes()
    );
}
