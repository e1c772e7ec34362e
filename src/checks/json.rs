//! JSON facts read off the raw bytes: duplicate keys (which a parser keeps
//! silently), the shape of a body, and connection info wherever it hides.

use serde_json::Value;
use std::collections::HashSet;

/// The Table 5 field names: connection info, wherever they appear.
pub const TABLE5_FIELDS: [&str; 11] = [
    "userId",
    "ctime",
    "channelId",
    "role",
    "ip",
    "port",
    "signalingDomainIn",
    "signalingDomainOut",
    "locationId",
    "signature",
    "appId",
];

/// JSON pointers of every object key that appears twice in its object, in
/// document order. `bytes` must be valid JSON (it was parsed first), so the
/// scan is iterative and cannot overflow the stack however deep the nesting.
pub fn duplicate_keys(bytes: &[u8]) -> Vec<String> {
    // Each frame keeps only its own segment; a full path is built on a hit, so
    // deep nesting costs linear time.
    enum Frame {
        Object {
            segment: String,
            keys: HashSet<String>,
            expecting_key: bool,
            current: String,
        },
        Array {
            segment: String,
            index: usize,
        },
    }
    fn child_segment(stack: &[Frame]) -> String {
        match stack.last() {
            Some(Frame::Object { current, .. }) => escape_pointer(current),
            Some(Frame::Array { index, .. }) => index.to_string(),
            None => String::new(),
        }
    }
    fn path_of(stack: &[Frame], key: &str) -> String {
        let mut path: String = stack
            .iter()
            .skip(1)
            .map(|f| match f {
                Frame::Object { segment, .. } | Frame::Array { segment, .. } => {
                    format!("/{segment}")
                }
            })
            .collect();
        path.push('/');
        path.push_str(&escape_pointer(key));
        path
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut duplicates = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                let segment = child_segment(&stack);
                stack.push(Frame::Object {
                    segment,
                    keys: HashSet::new(),
                    expecting_key: true,
                    current: String::new(),
                });
            }
            b'[' => {
                let segment = child_segment(&stack);
                stack.push(Frame::Array { segment, index: 0 });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { expecting_key, .. }) => *expecting_key = true,
                Some(Frame::Array { index, .. }) => *index += 1,
                None => {}
            },
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let raw = &bytes[start..=i.min(bytes.len() - 1)];
                let is_new_key = matches!(
                    stack.last(),
                    Some(Frame::Object {
                        expecting_key: true,
                        ..
                    })
                );
                if is_new_key {
                    let key: String = serde_json::from_slice(raw)
                        .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned());
                    let is_duplicate = match stack.last_mut() {
                        Some(Frame::Object {
                            keys,
                            expecting_key,
                            current,
                            ..
                        }) => {
                            *expecting_key = false;
                            *current = key.clone();
                            !keys.insert(key.clone())
                        }
                        _ => false,
                    };
                    if is_duplicate {
                        duplicates.push(path_of(&stack, &key));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    duplicates
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The shape of a JSON value: every path with its JSON type, sorted. Array
/// items share the path segment `[]`. At most `limit` entries.
pub fn shape(value: &Value, limit: usize) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut todo = vec![(String::new(), value)];
    while let Some((path, v)) = todo.pop() {
        if out.len() >= limit {
            break;
        }
        let kind = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(items) => {
                todo.extend(items.iter().map(|item| (format!("{path}/[]"), item)));
                "array"
            }
            Value::Object(map) => {
                todo.extend(
                    map.iter()
                        .map(|(k, item)| (format!("{path}/{}", escape_pointer(k)), item)),
                );
                "object"
            }
        };
        out.insert((
            if path.is_empty() {
                "/".to_owned()
            } else {
                path
            },
            kind,
        ));
    }
    out.into_iter()
        .map(|(path, kind)| format!("{path}: {kind}"))
        .collect()
}

/// Paths of connection info in a response: a non-empty `result`, and any Table 5
/// field name at any depth. Sorted.
pub fn connection_info(value: &Value) -> Vec<String> {
    let mut found = std::collections::BTreeSet::new();
    if let Some(result) = value.get("result") {
        let is_empty = result.is_null() || result.as_object().is_some_and(|m| m.is_empty());
        if !is_empty {
            found.insert("/result".to_owned());
        }
    }
    let mut todo = vec![(String::new(), value)];
    while let Some((path, v)) = todo.pop() {
        match v {
            Value::Object(map) => {
                for (k, item) in map {
                    let child = format!("{path}/{}", escape_pointer(k));
                    if TABLE5_FIELDS.contains(&k.as_str()) {
                        found.insert(child.clone());
                    }
                    todo.push((child, item));
                }
            }
            Value::Array(items) => todo.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (format!("{path}/{i}"), item)),
            ),
            _ => {}
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_duplicate_keys_at_any_depth() {
        let body = br#"{"a":1,"result":{"appId":"x","s":"a\"b","appId":"y"},"list":[{"k":1,"k":2}],"a":2}"#;
        assert_eq!(
            duplicate_keys(body),
            vec!["/result/appId", "/list/0/k", "/a"]
        );
        assert!(duplicate_keys(br#"{"a":{"a":{"a":1}},"b":[1,2]}"#).is_empty());
    }

    #[test]
    fn survives_deep_nesting() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(duplicate_keys(deep.as_bytes()).is_empty());
    }

    #[test]
    fn shape_lists_paths_and_types() {
        let v = json!({"retcode":"0","result":{"port":6500},"x":[1]});
        assert_eq!(
            shape(&v, 100),
            vec![
                "/: object",
                "/result: object",
                "/result/port: number",
                "/retcode: string",
                "/x: array",
                "/x/[]: number"
            ]
        );
    }

    #[test]
    fn connection_info_anywhere() {
        assert!(connection_info(&json!({"retcode":"100-006","message":"x"})).is_empty());
        assert!(connection_info(&json!({"retcode":"1","result":{}})).is_empty());
        assert_eq!(
            connection_info(&json!({"retcode":"1","result":{"ip":"1"}})),
            vec!["/result", "/result/ip"]
        );
        assert_eq!(
            connection_info(&json!({"data":{"signature":"s"}})),
            vec!["/data/signature"]
        );
    }
}
