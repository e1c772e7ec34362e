//! JSON evidence re-indented for people, byte-faithful: the tokens are kept
//! as received (a repeated key stays repeated, `1.0` stays `1.0`), only the
//! whitespace between them changes. Anything that is not valid JSON is
//! returned as it was.

/// `text` re-indented by two spaces when it is a JSON object or array.
pub(crate) fn json(text: &str) -> String {
    let trimmed = text.trim();
    let is_container = trimmed.starts_with('{') || trimmed.starts_with('[');
    if !is_container || serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_err() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(trimmed.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = trimmed.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty container stays on one line.
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::json;

    #[test]
    fn indents_objects_and_arrays_keeping_every_token() {
        assert_eq!(
            json(r#"{"a":1.0,"a":[true,{}],"s":"x,{\"y\":[]}"}"#),
            "{\n  \"a\": 1.0,\n  \"a\": [\n    true,\n    {}\n  ],\n  \"s\": \"x,{\\\"y\\\":[]}\"\n}"
        );
    }

    #[test]
    fn leaves_anything_else_alone() {
        for text in [
            "",
            "not json",
            "{\"a\":",
            "\"a string\"",
            "42",
            "<html>{}</html>",
        ] {
            assert_eq!(json(text), text);
        }
    }
}
