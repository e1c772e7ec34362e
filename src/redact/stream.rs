//! The final pass over a rendered file as a writer: what is written through
//! it reaches the inner writer redacted, holding back only the few bytes a
//! secret split across two writes needs.
//!
//! ```text
//! Text, Markup: bytes --replace--> --fragment 1--> ... --fragment n--> inner
//! Json:         outside strings --------------------------------------> inner
//!               inside a string: decoded --(the Text passes)--> encoded -> inner
//! ```
//!
//! Each pass keeps its own carry (at most its longest pattern, less one
//! byte), so the result does not depend on how the text was cut into writes.

use super::matcher::{Compiled, Matcher};
use std::io::{self, Write};
use std::sync::Arc;

/// What a rendered file is, for the final pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderedKind {
    /// Plain text (Markdown): placeholders written as they are.
    Text,
    /// HTML or XML: placeholders written escaped (`&lt;guid&gt;`).
    Markup,
    /// JSON: only the contents of strings and keys are touched, and the file
    /// stays valid JSON.
    Json,
}

/// The secrets of a final pass over a file of `kind`.
fn matcher_for(compiled: &Compiled, kind: RenderedKind) -> &Matcher {
    match kind {
        RenderedKind::Markup => compiled.markup(),
        RenderedKind::Text | RenderedKind::Json => compiled.text(),
    }
}

/// Output gathered before it is handed to the inner writer in one write.
const FLUSH_AT: usize = 64 * 1024;

/// A writer applying the final pass of [`super::Redactor::final_pass`].
pub struct FinalPass<W: Write> {
    inner: W,
    compiled: Arc<Compiled>,
    kind: RenderedKind,
    passes: Passes,
    json: Json,
    /// Redacted bytes not yet handed to `inner`.
    out: Vec<u8>,
}

impl<W: Write> FinalPass<W> {
    pub(super) fn new(compiled: Arc<Compiled>, inner: W, kind: RenderedKind) -> FinalPass<W> {
        let passes = Passes::new(matcher_for(&compiled, kind));
        FinalPass {
            inner,
            compiled,
            kind,
            passes,
            json: Json::default(),
            out: Vec::new(),
        }
    }

    /// Writes what was held back and flushes the inner writer; returns it.
    pub fn finish(mut self) -> io::Result<W> {
        let matcher = matcher_for(&self.compiled, self.kind);
        match self.kind {
            RenderedKind::Text | RenderedKind::Markup => {
                self.passes.push(matcher, &[], true, &mut self.out);
            }
            RenderedKind::Json => self.json.finish(matcher, &mut self.passes, &mut self.out),
        }
        self.inner.write_all(&self.out)?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    fn hand_over(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.inner.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }
}

impl<W: Write> Write for FinalPass<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // In pieces, so that a large write is not held twice.
        for piece in data.chunks(FLUSH_AT) {
            let matcher = matcher_for(&self.compiled, self.kind);
            match self.kind {
                RenderedKind::Text | RenderedKind::Markup => {
                    self.passes.push(matcher, piece, false, &mut self.out);
                }
                RenderedKind::Json => {
                    self.json
                        .push(matcher, &mut self.passes, piece, &mut self.out);
                }
            }
            if self.out.len() >= FLUSH_AT {
                self.hand_over()?;
            }
        }
        Ok(data.len())
    }

    /// Hands what is settled to the inner writer and flushes it; what a
    /// secret split across writes needs stays held until [`FinalPass::finish`].
    fn flush(&mut self) -> io::Result<()> {
        self.hand_over()?;
        self.inner.flush()
    }
}

/// The passes of the text final pass, chained: the replacement of whole
/// secrets, then one pass per long secret's start, each with its carry.
struct Passes {
    /// `carry[0]` waits for the replacement, `carry[i]` for fragment `i - 1`.
    carry: Vec<Vec<u8>>,
    /// `output[i]`: what pass `i` settled, the input of pass `i + 1`.
    output: Vec<Vec<u8>>,
}

impl Passes {
    fn new(matcher: &Matcher) -> Passes {
        let stages = 1 + matcher.fragments.len();
        Passes {
            carry: vec![Vec::new(); stages],
            output: vec![Vec::new(); stages],
        }
    }

    /// Whether no pass holds anything back.
    fn is_idle(&self) -> bool {
        self.carry.iter().all(Vec::is_empty)
    }

    /// Runs `data` (the end of the text with `end`) through every pass,
    /// appending what is settled to `out`.
    fn push(&mut self, matcher: &Matcher, data: &[u8], end: bool, out: &mut Vec<u8>) {
        let is_idle = end && self.is_idle();
        // A whole string of a JSON file at once, most often with no secret.
        if !matcher.has_secrets() || (is_idle && !matcher.finds_anything(data)) {
            out.extend_from_slice(data);
            return;
        }
        let stages = self.carry.len();
        for stage in 0..stages {
            let (done, rest) = self.output.split_at_mut(stage);
            let input: &[u8] = match done.last() {
                Some(previous) => previous,
                None => data,
            };
            let target = if stage + 1 == stages {
                &mut *out
            } else {
                let target = &mut rest[0];
                target.clear();
                target
            };
            let carry = &mut self.carry[stage];
            if carry.is_empty() {
                // Nothing held back: the input is read in place.
                let used = run_pass(matcher, stage, input, end, target);
                carry.extend_from_slice(&input[used..]);
            } else {
                carry.extend_from_slice(input);
                let used = run_pass(matcher, stage, carry, end, target);
                carry.drain(..used);
            }
        }
    }
}

/// Pass `stage` of the chain: 0 the replacement, then the fragments.
fn run_pass(matcher: &Matcher, stage: usize, input: &[u8], end: bool, out: &mut Vec<u8>) -> usize {
    match stage {
        0 => matcher.replace_pass(input, end, out),
        n => matcher.fragments[n - 1].pass(input, end, out),
    }
}

/// Where a JSON stream is.
#[derive(Default)]
enum JsonState {
    /// Outside strings: copied as it is.
    #[default]
    Outside,
    /// Inside a string: decoded, redacted, encoded again.
    Inside,
    /// Inside an escape (`\n`, `\u00e9`, a surrogate pair): its bytes so far.
    Escape(Vec<u8>),
}

#[derive(Default)]
struct Json {
    state: JsonState,
    /// The decoded contents of the current string, and their redacted form.
    decoded: Vec<u8>,
    redacted: Vec<u8>,
}

impl Json {
    fn push(&mut self, matcher: &Matcher, passes: &mut Passes, data: &[u8], out: &mut Vec<u8>) {
        let mut at = 0;
        while at < data.len() {
            match &mut self.state {
                JsonState::Outside => match memchr::memchr(b'"', &data[at..]) {
                    Some(quote) => {
                        out.extend_from_slice(&data[at..=at + quote]);
                        at += quote + 1;
                        self.state = JsonState::Inside;
                    }
                    None => {
                        out.extend_from_slice(&data[at..]);
                        at = data.len();
                    }
                },
                JsonState::Inside => {
                    let stop = memchr::memchr2(b'"', b'\\', &data[at..]).map(|i| at + i);
                    let plain = &data[at..stop.unwrap_or(data.len())];
                    // Most strings: whole in this piece, without an escape,
                    // nothing held back, nothing to redact. Decoded and
                    // encoded again they would come out as they are.
                    if let Some(i) = stop.filter(|&i| data[i] == b'"') {
                        let unchanged = self.decoded.is_empty()
                            && passes.is_idle()
                            && !plain.iter().any(|&b| b < 0x20)
                            && !(matcher.has_secrets() && matcher.finds_anything(plain));
                        if unchanged {
                            out.extend_from_slice(&data[at..=i]);
                            self.state = JsonState::Outside;
                            at = i + 1;
                            continue;
                        }
                    }
                    self.decoded.extend_from_slice(plain);
                    match stop {
                        Some(i) if data[i] == b'"' => {
                            self.close_string(matcher, passes, out);
                            out.push(b'"');
                            self.state = JsonState::Outside;
                            at = i + 1;
                        }
                        Some(i) => {
                            self.flush_decoded(matcher, passes, out);
                            self.state = JsonState::Escape(vec![b'\\']);
                            at = i + 1;
                        }
                        None => {
                            self.flush_decoded(matcher, passes, out);
                            at = data.len();
                        }
                    }
                }
                JsonState::Escape(escape) => {
                    escape.push(data[at]);
                    at += 1;
                    match decode_escape(escape) {
                        Escape::Partial => {}
                        Escape::Char(c) => {
                            let mut buf = [0u8; 4];
                            self.decoded
                                .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            self.state = JsonState::Inside;
                        }
                        Escape::Unpaired(rest) => {
                            // A high surrogate without its low half: the
                            // replacement character, then the bytes after it
                            // read again as string contents.
                            self.decoded.extend_from_slice(
                                char::REPLACEMENT_CHARACTER.to_string().as_bytes(),
                            );
                            self.state = JsonState::Inside;
                            self.push(matcher, passes, &rest, out);
                        }
                    }
                }
            }
        }
    }

    /// Runs the decoded contents gathered so far through the passes.
    fn flush_decoded(&mut self, matcher: &Matcher, passes: &mut Passes, out: &mut Vec<u8>) {
        self.run(matcher, passes, false, out);
    }

    /// The end of a string: nothing of it stays held back.
    fn close_string(&mut self, matcher: &Matcher, passes: &mut Passes, out: &mut Vec<u8>) {
        self.run(matcher, passes, true, out);
    }

    fn run(&mut self, matcher: &Matcher, passes: &mut Passes, end: bool, out: &mut Vec<u8>) {
        if self.decoded.is_empty() && !end {
            return;
        }
        self.redacted.clear();
        passes.push(matcher, &self.decoded, end, &mut self.redacted);
        self.decoded.clear();
        encode(&self.redacted, out);
    }

    /// The end of the file: a string or escape left open is closed as far
    /// as it went (the text was not JSON).
    fn finish(&mut self, matcher: &Matcher, passes: &mut Passes, out: &mut Vec<u8>) {
        match std::mem::take(&mut self.state) {
            JsonState::Outside => {}
            JsonState::Inside => self.close_string(matcher, passes, out),
            JsonState::Escape(escape) => {
                self.close_string(matcher, passes, out);
                out.extend_from_slice(&escape);
            }
        }
    }
}

/// What the bytes of an escape so far (`\` included) stand for.
enum Escape {
    /// More bytes are needed.
    Partial,
    Char(char),
    /// A high surrogate not followed by a low one: the bytes after its six.
    Unpaired(Vec<u8>),
}

fn decode_escape(escape: &[u8]) -> Escape {
    let Some(&kind) = escape.get(1) else {
        return Escape::Partial;
    };
    let simple = match kind {
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return decode_unicode(escape),
        // `\"`, `\\`, `\/`; another byte is kept as the character it is.
        other => char::from(other),
    };
    if kind.is_ascii() {
        Escape::Char(simple)
    } else {
        // A non-ASCII byte after `\` (not JSON): wait for its whole character.
        match std::str::from_utf8(&escape[1..]) {
            Ok(s) => s.chars().next().map_or(Escape::Partial, Escape::Char),
            Err(e) if e.error_len().is_none() => Escape::Partial,
            Err(_) => Escape::Char(char::REPLACEMENT_CHARACTER),
        }
    }
}

fn hex4(bytes: &[u8]) -> Option<u32> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|h| u32::from_str_radix(h, 16).ok())
}

fn decode_unicode(escape: &[u8]) -> Escape {
    if escape.len() < 6 {
        // A byte that is not a hex digit ends it early.
        return match escape.last() {
            Some(b) if escape.len() > 2 && !b.is_ascii_hexdigit() => {
                Escape::Unpaired(escape[2..].to_vec())
            }
            _ => Escape::Partial,
        };
    }
    let Some(high) = hex4(&escape[2..6]) else {
        return Escape::Unpaired(escape[2..].to_vec());
    };
    if !(0xD800..0xDC00).contains(&high) {
        return Escape::Char(char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    // A high surrogate: its low half must follow as `\uDC00`..`\uDFFF`.
    let rest = &escape[6..];
    let expected = b"\\u";
    let prefix_ok = rest.iter().zip(expected).all(|(a, b)| a == b);
    if !prefix_ok {
        return Escape::Unpaired(rest.to_vec());
    }
    if rest.len() < 6 {
        return match rest.last() {
            Some(b) if rest.len() > 2 && !b.is_ascii_hexdigit() => Escape::Unpaired(rest.to_vec()),
            _ => Escape::Partial,
        };
    }
    match hex4(&rest[2..6]) {
        Some(low) if (0xDC00..0xE000).contains(&low) => {
            let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
            Escape::Char(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER))
        }
        _ => Escape::Unpaired(rest.to_vec()),
    }
}

/// Appends `text` as the contents of a JSON string, escaped as serde_json
/// escapes (so a string serde_json wrote comes out byte for byte).
fn encode(text: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut copied = 0;
    let mut unicode = *b"\\u0000";
    for (i, &b) in text.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0x00..=0x1F => {
                unicode[4] = HEX[usize::from(b >> 4)];
                unicode[5] = HEX[usize::from(b & 0xF)];
                &unicode
            }
            _ => continue,
        };
        out.extend_from_slice(&text[copied..i]);
        out.extend_from_slice(escaped);
        copied = i + 1;
    }
    out.extend_from_slice(&text[copied..]);
}
