//! Signs that an error answer exposes implementation details (CWE-209): stack
//! traces, exception class names, source file paths, SQL errors.

use regex::Regex;
use std::sync::LazyLock;

struct Pattern {
    what: &'static str,
    regex: Regex,
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    [
        ("a stack frame", r"(?m)\bat [\w$.<>]+\([\w$]+\.(?:java|kt|scala|groovy|cs):\d+\)"),
        ("an exception class name", r"\b(?:java|javax|jakarta|org|com|net|io|sun)\.(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)\b"),
        ("an exception class name", r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)*(?:Exception|Error)\b:"),
        ("a Python traceback", r"Traceback \(most recent call last\)|File \x22[^\x22]+\x22, line \d+"),
        ("a source location", r"\b[\w-]+\.(?:java|py|go|rs|php|cs|js|ts|rb|kt|c|cpp):\d+\b"),
        ("a server file path", r"(?:^|[\s\x22'(=])/(?:usr|opt|home|var|etc|srv|app|tmp|root|data)/[\w.-]+/[\w./-]*"),
        ("a Windows file path", r"\b[A-Za-z]:\\(?:[\w. -]+\\)+"),
        ("a database error", r"\b(?:SQLException|SQLSTATE|ORA-\d{5}|PSQLException|MySQLSyntaxErrorException)\b"),
    ]
    .into_iter()
    .map(|(what, pattern)| Pattern { what, regex: Regex::new(pattern).expect("internals pattern compiles") })
    .collect()
});

/// The first sign of internals in `text`: what it is and the matched excerpt
/// (at most 80 characters).
pub fn find_internals(text: &str) -> Option<(&'static str, String)> {
    PATTERNS.iter().find_map(|p| {
        p.regex.find(text).map(|m| {
            let excerpt: String = m.as_str().trim().chars().take(80).collect();
            (p.what, excerpt)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::find_internals;

    #[test]
    fn spots_common_leaks() {
        for leak in [
            "java.lang.NullPointerException\n\tat com.huawei.agentgateway.MediaCallController.getConnectInfo(MediaCallController.java:212)",
            "failed: org.springframework.web.HttpMediaTypeNotSupportedException",
            "Traceback (most recent call last):",
            "cannot open /opt/gateway/conf/basic.properties",
            "NullPointerException: null",
            "error at Controller.java:42",
            "ORA-00942: table or view does not exist",
            r"C:\Program Files\Gateway\app.log",
        ] {
            assert!(find_internals(leak).is_some(), "{leak}");
        }
    }

    #[test]
    fn leaves_plain_messages_alone() {
        for ok in [
            "agent not signed in",
            "The agent has not signed in.",
            "parameter error: agentid out of range",
            "no permission",
            "https://in.isdpdomain.com:8443",
            "Method Not Allowed",
            "",
        ] {
            assert_eq!(find_internals(ok), None, "{ok}");
        }
    }
}
