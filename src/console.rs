//! The console: the one way text reaches a terminal or a plain log.
//!
//! Everything goes through [`write`]: secrets are redacted (with the run's
//! [`Redactor`], once one is installed) and every character a terminal would
//! *interpret* is made visible instead (ESC and every other C0/C1 control,
//! CR, DEL, bidirectional overrides, zero-width characters), so a gateway's
//! retcode or message can never clear the screen, set the window title,
//! write the clipboard (OSC 52) or overwrite a FAIL line with a fake PASS.
//! Write errors (a closed pipe) are ignored: they never panic and never stop
//! the reports from being written.

use crate::redact::Redactor;
use std::io::Write;
use std::sync::OnceLock;

static REDACTOR: OnceLock<Redactor> = OnceLock::new();

/// Installs the redactor every later console line passes through (the first
/// call wins; clones share their secrets, so later ones still count).
pub fn set_redactor(redactor: &Redactor) {
    let _ = REDACTOR.set(redactor.clone());
}

/// Where a line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Whether `c` must be shown escaped rather than written: controls (but
/// newline and tab when `keep_newlines`), bidi overrides and isolates,
/// zero-width and line-separator characters.
pub fn needs_escape(c: char, keep_newlines: bool) -> bool {
    if keep_newlines && matches!(c, '\n' | '\t') {
        return false;
    }
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width, LRM, RLM
            | '\u{2028}'..='\u{202e}' // line/paragraph separators, bidi embeddings/overrides
            | '\u{2060}'..='\u{2069}' // word joiner, invisible operators, bidi isolates
            | '\u{061c}'              // Arabic letter mark
            | '\u{feff}'              // byte-order mark / zero-width no-break space
            | '\u{fff9}'..='\u{fffb}' // interlinear annotations
        )
}

/// `text` with every character of [`needs_escape`] written as `\u{..}`-style
/// `\uXXXX`; newlines and tabs kept when `keep_newlines`.
pub fn visible(text: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if needs_escape(c, keep_newlines) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// One line (or several, for `\n`) as it may be shown: redacted, escaped.
pub fn safe(text: &str) -> String {
    let redacted = match REDACTOR.get() {
        Some(r) => r.text(text),
        None => text.to_owned(),
    };
    visible(&redacted, true)
}

/// Writes `args` to `stream`, made [`safe`]; errors are ignored.
pub fn write(stream: Stream, args: std::fmt::Arguments<'_>, newline: bool) {
    let mut text = safe(&args.to_string());
    if newline {
        text.push('\n');
    }
    let _ = match stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
        Stream::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
    };
}

/// Writes `text`, which the caller built from pieces already made [`safe`]
/// plus this tool's own colour codes: redacted, not escaped again, the colour
/// kept only where the stream shows colour (a terminal, no `NO_COLOR`, as
/// `--color` says). Errors are ignored.
pub fn write_styled(stream: Stream, text: &str, newline: bool) {
    let mut text = match REDACTOR.get() {
        Some(r) => redact_around_styles(r, text),
        None => text.to_owned(),
    };
    if newline {
        text.push('\n');
    }
    let _ = match stream {
        Stream::Stdout => {
            let mut out = anstream::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
        Stream::Stderr => anstream::stderr().lock().write_all(text.as_bytes()),
    };
}

/// `text` redacted piece by piece between this tool's colour codes (`ESC [
/// … m`), which are kept as they are: a secret never spans a code, and
/// redaction never rewrites one.
fn redact_around_styles(redactor: &Redactor, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("\u{1b}[") {
        let code_len = rest[start + 2..]
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .filter(|&i| rest[start + 2 + i..].starts_with('m'))
            .map(|i| i + 3);
        let Some(code_len) = code_len else {
            break;
        };
        out.push_str(&redactor.redact(&rest[..start]));
        out.push_str(&rest[start..start + code_len]);
        rest = &rest[start + code_len..];
    }
    out.push_str(&redactor.redact(rest));
    out
}

/// An error with every cause below it, `outer: cause: root cause` (the OS
/// reason, e.g. "Permission denied", is never dropped).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_are_never_rewritten_by_redaction() {
        let r = Redactor::new();
        r.add_secret("1mPASSED-xyz", "<guid>");
        let styled = "\u{1b}[1mPASSED-xyz\u{1b}[0m and 1mPASSED-xyz";
        assert_eq!(
            redact_around_styles(&r, styled),
            "\u{1b}[1mPASSED-xyz\u{1b}[0m and <guid>"
        );
        r.add_secret("1", "<callid>");
        assert_eq!(
            redact_around_styles(&r, "\u{1b}[1;32m1 passed\u{1b}[0m"),
            "\u{1b}[1;32m1 passed\u{1b}[0m"
        );
    }

    #[test]
    fn nothing_a_terminal_interprets_survives() {
        let hostile =
            "PASS\r\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}gnp.exe\u{200b}\u{7f}";
        let shown = visible(hostile, true);
        assert!(shown.chars().all(|c| !needs_escape(c, true)), "{shown}");
        assert_eq!(
            shown,
            "PASS\\u000d\\u001b]52;c;ZXZpbA==\\u0007\\u001b[2J\\u009b31m\\u202egnp.exe\\u200b\\u007f"
        );
        assert_eq!(visible("a\nb\tc", true), "a\nb\tc");
        assert_eq!(visible("a\nb", false), "a\\u000ab");
    }
}
