//! The registry compiled for searching: one automaton over every secret
//! variant (ASCII case ignored, leftmost-longest), one over the placeholders
//! (copied through untouched), and the starts of long secrets.
//!
//! Every pass here works on bytes and can be fed a text in pieces: it is
//! given what has arrived so far and whether that is the end, copies what is
//! settled to its output and says how much it consumed; the rest (at most
//! the longest pattern, less one byte) is offered again with the next piece.
//! Given the whole text at once, a pass is the in-memory redaction.

use super::{FRAGMENT_CHARS, Registry, html_escape, is_rendered_secret};
use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, StartKind};
use std::sync::OnceLock;

/// The registry as the passes use it; rebuilt when a secret is added. The
/// final pass's matchers are built when a final pass first asks for them:
/// a secret learned in the middle of a run rebuilds only the model's.
pub(super) struct Compiled {
    /// The generation of the registry it was built from.
    pub(super) generation: u64,
    /// Every secret: the passes over the report model.
    pub(super) model: Matcher,
    /// The registry it was built from, for the final pass's matchers.
    registry: Registry,
    /// The final pass over rendered text: long token-like secrets only.
    text: OnceLock<Matcher>,
    /// [`Compiled::text`] with the placeholders HTML-escaped (HTML, XML).
    markup: OnceLock<Matcher>,
}

impl Compiled {
    pub(super) fn new(registry: &Registry, generation: u64) -> Compiled {
        Compiled {
            generation,
            model: Matcher::new(&registry.secrets, &registry.placeholders)
                .with_values(&registry.values),
            registry: registry.clone(),
            text: OnceLock::new(),
            markup: OnceLock::new(),
        }
    }

    /// The final pass over rendered text: long token-like secrets only.
    pub(super) fn text(&self) -> &Matcher {
        self.text.get_or_init(|| {
            Matcher::new(&self.rendered(|p| p.clone()), &self.registry.placeholders)
        })
    }

    /// [`Compiled::text`] with the placeholders HTML-escaped (HTML, XML).
    pub(super) fn markup(&self) -> &Matcher {
        self.markup.get_or_init(|| {
            let placeholders: Vec<String> = self
                .registry
                .placeholders
                .iter()
                .map(|p| html_escape(p))
                .collect();
            Matcher::new(&self.rendered(|p| html_escape(p)), &placeholders)
        })
    }

    /// The secrets the final pass looks for, each with its placeholder as
    /// `placeholder` writes it.
    fn rendered(&self, placeholder: impl Fn(&String) -> String) -> Vec<(String, String)> {
        self.registry
            .secrets
            .iter()
            .filter(|(secret, _)| is_rendered_secret(secret))
            .map(|(secret, p)| (secret.clone(), placeholder(p)))
            .collect()
    }
}

/// One set of secrets and placeholders, compiled.
pub(super) struct Matcher {
    /// Every secret (ASCII lowercase), leftmost-longest, ASCII case ignored;
    /// `None` when there is none.
    secrets: Option<AhoCorasick>,
    /// The secrets, then the placeholders: where the next one starts, in one
    /// search (`None` when there is no secret).
    all: Option<AhoCorasick>,
    /// The placeholder of each secret, by pattern id.
    replacements: Vec<String>,
    /// Every non-empty placeholder, longest first.
    placeholders: Vec<String>,
    /// The longest secret or placeholder, in bytes.
    longest: usize,
    /// The secrets matched by their start, in registry order.
    pub(super) fragments: Vec<Fragment>,
    /// Any fragment's head, for a quick look before the fragment passes.
    heads: Option<AhoCorasick>,
    /// Any secret or fragment head: whether a text needs any pass at all.
    watch: Option<AhoCorasick>,
    /// The secrets replaced only as whole values: (ASCII lowercase, placeholder).
    values: Vec<(String, String)>,
}

/// A secret long enough to be replaced by its start (text cut off at a limit).
pub(super) struct Fragment {
    /// The secret, ASCII lowercase.
    secret: Vec<u8>,
    placeholder: String,
    /// Its first [`FRAGMENT_CHARS`] bytes, ASCII case ignored: built when a
    /// fragment pass first runs (most texts hold no head of any secret, and
    /// [`Matcher::finds_head`] says so without it).
    head: OnceLock<Option<AhoCorasick>>,
}

/// An automaton ignoring ASCII case for unanchored searches, or `None`
/// without patterns.
fn automaton<P: AsRef<[u8]>>(patterns: &[P], kind: MatchKind) -> Option<AhoCorasick> {
    automaton_starting(patterns, kind, StartKind::Unanchored)
}

/// [`automaton`] for the searches `start` names.
///
/// A matcher is built again whenever a run learns a secret, and each
/// final pass builds its own: the noncontiguous NFA builds in about half
/// the time of the contiguous one the builder would pick, and with the
/// prefilter doing most of the search, reads these texts as fast.
fn automaton_starting<P: AsRef<[u8]>>(
    patterns: &[P],
    kind: MatchKind,
    start: StartKind,
) -> Option<AhoCorasick> {
    if patterns.is_empty() {
        return None;
    }
    // Only a pattern set beyond the automaton's limits (billions of states)
    // fails to build; a few secrets never do.
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .match_kind(kind)
        .ascii_case_insensitive(true)
        .start_kind(start)
        .build(patterns)
        .ok()
}

impl Matcher {
    /// `secrets` are (ASCII lowercase secret, placeholder), longest first.
    fn new(secrets: &[(String, String)], placeholders: &[String]) -> Matcher {
        let patterns: Vec<&str> = secrets.iter().map(|(s, _)| s.as_str()).collect();
        // An empty placeholder is found everywhere and changes nothing.
        let mut placeholders: Vec<String> = placeholders
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect();
        placeholders.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let longest = patterns
            .iter()
            .copied()
            .chain(placeholders.iter().map(String::as_str))
            .map(str::len)
            .max()
            .unwrap_or(0);
        let fragments: Vec<Fragment> = secrets
            .iter()
            .filter(|(secret, _)| secret.len() >= 2 * FRAGMENT_CHARS)
            .filter(|(secret, _)| secret.is_char_boundary(FRAGMENT_CHARS))
            .map(|(secret, placeholder)| Fragment {
                secret: secret.as_bytes().to_vec(),
                placeholder: placeholder.clone(),
                head: OnceLock::new(),
            })
            .collect();
        let heads: Vec<&[u8]> = fragments
            .iter()
            .map(|f| &f.secret[..FRAGMENT_CHARS])
            .collect();
        let all = if patterns.is_empty() {
            None
        } else {
            let every: Vec<&str> = patterns
                .iter()
                .copied()
                .chain(placeholders.iter().map(String::as_str))
                .collect();
            automaton(&every, MatchKind::LeftmostLongest)
        };
        let watched: Vec<&[u8]> = patterns
            .iter()
            .map(|p| p.as_bytes())
            .chain(heads.iter().copied())
            .collect();
        Matcher {
            watch: automaton(&watched, MatchKind::Standard),
            // Also searched anchored, where a placeholder starts (see `replace_pass`).
            secrets: automaton_starting(&patterns, MatchKind::LeftmostLongest, StartKind::Both),
            all,
            replacements: secrets.iter().map(|(_, p)| p.clone()).collect(),
            placeholders,
            longest,
            heads: automaton(&heads, MatchKind::Standard),
            fragments,
            values: Vec::new(),
        }
    }

    /// The model's matcher also replaces `values` where one stands as a whole value.
    fn with_values(mut self, values: &[(String, String)]) -> Matcher {
        values.clone_into(&mut self.values);
        self
    }

    /// Bytes held by the automata (for the bound on what a run learns).
    #[cfg(test)]
    pub(super) fn memory_usage(&self) -> usize {
        [&self.secrets, &self.all, &self.heads, &self.watch]
            .into_iter()
            .flatten()
            .map(AhoCorasick::memory_usage)
            .sum()
    }

    /// Whether some secret is replaced only as a whole value.
    pub(super) fn has_values(&self) -> bool {
        !self.values.is_empty()
    }

    /// The placeholder of `value` when the whole of it (surrounding
    /// whitespace aside, any ASCII case) is a secret.
    pub(super) fn value_placeholder(&self, value: &str) -> Option<&str> {
        if self.values.is_empty() {
            return None;
        }
        let value = value.trim();
        self.values
            .iter()
            .find(|(secret, _)| secret.eq_ignore_ascii_case(value))
            .map(|(_, p)| p.as_str())
    }

    /// Whether there is any secret to look for.
    pub(super) fn has_secrets(&self) -> bool {
        self.secrets.is_some()
    }

    /// Whether `text` holds a secret as written (any ASCII case).
    pub(super) fn finds_secret(&self, text: &[u8]) -> bool {
        self.secrets.as_ref().is_some_and(|ac| ac.is_match(text))
    }

    /// Whether `text` holds the start of a long secret.
    pub(super) fn finds_head(&self, text: &[u8]) -> bool {
        self.heads.as_ref().is_some_and(|ac| ac.is_match(text))
    }

    /// Whether `text` holds a secret or the start of a long one: when it
    /// does not, no pass changes it.
    pub(super) fn finds_anything(&self, text: &[u8]) -> bool {
        self.watch.as_ref().is_some_and(|ac| ac.is_match(text))
    }

    /// `text` with every secret replaced, or `None` when it holds none.
    pub(super) fn replace(&self, text: &str) -> Option<String> {
        if !self.finds_secret(text.as_bytes()) {
            return None;
        }
        let mut out = Vec::with_capacity(text.len());
        self.replace_pass(text.as_bytes(), true, &mut out);
        Some(into_string(out))
    }

    /// Every fragment pass in registry order, or `None` when none applies.
    pub(super) fn fragments(&self, text: &str) -> Option<String> {
        if !self.finds_head(text.as_bytes()) {
            return None;
        }
        let mut current: Option<String> = None;
        for fragment in &self.fragments {
            let input = current.as_deref().unwrap_or(text);
            if fragment
                .head()
                .is_some_and(|head| head.is_match(input.as_bytes()))
            {
                let mut out = Vec::with_capacity(input.len());
                fragment.pass(input.as_bytes(), true, &mut out);
                current = Some(into_string(out));
            }
        }
        current.filter(|out| out != text)
    }

    /// Copies `input` to `out`, each secret replaced by its placeholder: at
    /// the leftmost place where a secret or a placeholder starts, a
    /// placeholder is copied as it is, else the longest secret is replaced.
    /// Returns the bytes consumed; with `end`, all of them.
    pub(super) fn replace_pass(&self, input: &[u8], end: bool, out: &mut Vec<u8>) -> usize {
        let (Some(all), Some(secrets)) = (&self.all, &self.secrets) else {
            out.extend_from_slice(input);
            return input.len();
        };
        // A match starting at or after `horizon` may run past what arrived.
        let horizon = if end {
            input.len()
        } else {
            (input.len() + 1).saturating_sub(self.longest)
        };
        let mut pos = 0;
        let mut from = 0;
        while let Some(found) = all.find(Input::new(input).range(from..)) {
            let at = found.start();
            if at >= horizon {
                break;
            }
            if let Some(len) = self.placeholder_at(&input[at..]) {
                out.extend_from_slice(&input[pos..at + len]);
                pos = at + len;
                from = pos;
                continue;
            }
            let secret = if found.pattern().as_usize() < self.replacements.len() {
                Some(found)
            } else {
                // A placeholder in another case: the longest secret here, if any.
                let anchored = Input::new(input).range(at..).anchored(Anchored::Yes);
                secrets.try_find(anchored).ok().flatten()
            };
            match secret {
                Some(m) => {
                    out.extend_from_slice(&input[pos..at]);
                    out.extend_from_slice(self.replacements[m.pattern().as_usize()].as_bytes());
                    pos = m.end();
                    from = pos;
                }
                None => from = at + 1,
            }
        }
        let settled = horizon.max(pos);
        out.extend_from_slice(&input[pos..settled]);
        settled
    }

    /// The length of the longest placeholder `text` starts with.
    fn placeholder_at(&self, text: &[u8]) -> Option<usize> {
        self.placeholders
            .iter()
            .find(|p| text.starts_with(p.as_bytes()))
            .map(String::len)
    }
}

impl Fragment {
    fn head(&self) -> Option<&AhoCorasick> {
        self.head
            .get_or_init(|| automaton(&[&self.secret[..FRAGMENT_CHARS]], MatchKind::LeftmostFirst))
            .as_ref()
    }

    /// Copies `input` to `out`, each run that equals the first
    /// [`FRAGMENT_CHARS`] or more bytes of the secret (any ASCII case)
    /// replaced by its placeholder. Returns the bytes consumed.
    pub(super) fn pass(&self, input: &[u8], end: bool, out: &mut Vec<u8>) -> usize {
        let mut pos = 0;
        let head = self.head();
        let stop = loop {
            let Some(found) = head.and_then(|h| h.find(Input::new(input).range(pos..))) else {
                break if end {
                    input.len()
                } else {
                    input.len().saturating_sub(FRAGMENT_CHARS - 1)
                };
            };
            let at = found.start();
            let len = input[at..]
                .iter()
                .zip(&self.secret)
                .take_while(|(a, b)| a.to_ascii_lowercase() == **b)
                .count();
            // Where the run stops (and whether a character ends there) is
            // known only once the byte after it arrived.
            if !end && at + len >= input.len() {
                break at;
            }
            // Back off to a character boundary (the secret may hold non-ASCII).
            let len = (FRAGMENT_CHARS..=len)
                .rev()
                .find(|&l| is_char_boundary(input, at + l))
                .unwrap_or(FRAGMENT_CHARS);
            out.extend_from_slice(&input[pos..at]);
            out.extend_from_slice(self.placeholder.as_bytes());
            pos = at + len;
        };
        let settled = stop.max(pos);
        out.extend_from_slice(&input[pos..settled]);
        settled
    }
}

fn is_char_boundary(text: &[u8], at: usize) -> bool {
    match text.get(at) {
        Some(b) => !(0x80..0xC0).contains(b),
        None => at == text.len(),
    }
}

/// Bytes made of whole characters of a text and placeholders.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
