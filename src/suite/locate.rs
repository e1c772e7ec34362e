//! Maps a key path in a TOML document to its line and column, so that every
//! suite error can point at the place to fix.

use toml::de::{DeTable, DeValue};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The position of byte `offset` in `text`.
pub fn position(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position { line, column }
}

/// The position of the deepest existing key along `path` (segments are keys
/// or array indices); the document start when nothing matches.
pub fn locate(text: &str, path: &[String]) -> Position {
    let Ok(root) = DeTable::parse(text) else {
        return Position { line: 1, column: 1 };
    };
    let mut table = Some(root.get_ref());
    let mut array = None;
    let mut offset = 0;
    for segment in path {
        let next: Option<(usize, &DeValue<'_>)> = if let Some(t) = table {
            t.iter()
                .find(|(k, _)| k.get_ref().as_ref() == segment.as_str())
                .map(|(k, v)| (k.span().start, v.get_ref()))
        } else if let Some(a) = array {
            let a: &toml::de::DeArray<'_> = a;
            segment
                .parse::<usize>()
                .ok()
                .and_then(|i| a.get(i))
                .map(|v| (v.span().start, v.get_ref()))
        } else {
            None
        };
        let Some((start, value)) = next else { break };
        offset = start;
        table = value.as_table();
        array = value.as_array();
    }
    position(text, offset)
}

/// Splits a JSON pointer (`/request/method`) or a dotted serde path
/// (`request.method`) into segments.
pub fn segments(path: &str) -> Vec<String> {
    let separator = if path.starts_with('/') { '/' } else { '.' };
    path.split(separator)
        .filter(|s| !s.is_empty())
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys() {
        let text = "id = \"a/b\"\n\n[request]\nmethod = \"GET\"\n";
        assert_eq!(
            locate(text, &segments("/request/method")),
            Position { line: 4, column: 1 }
        );
        assert_eq!(
            locate(text, &segments("request")),
            Position { line: 3, column: 2 }
        );
        assert_eq!(
            locate(text, &segments("id")),
            Position { line: 1, column: 1 }
        );
        // A key that is not there points at its deepest existing parent.
        assert_eq!(
            locate(text, &segments("request.nope")),
            Position { line: 3, column: 2 }
        );
    }
}
