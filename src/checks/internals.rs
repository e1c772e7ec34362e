//! Signs that an error answer exposes implementation details (CWE-209): stack
//! traces, exception class names, source file paths, SQL errors.

use regex::Regex;
use std::sync::OnceLock;

/// One sign of internals: literals that any match must contain, and the
/// pattern that decides. Most answers contain none of the literals, so their
/// scan is a few substring searches and no regex is ever compiled.
struct Pattern {
    what: &'static str,
    /// A match of `pattern` contains at least one of these (case-sensitive).
    literals: &'static [&'static str],
    pattern: &'static str,
    regex: OnceLock<Regex>,
}

const fn pattern(
    what: &'static str,
    literals: &'static [&'static str],
    pattern: &'static str,
) -> Pattern {
    Pattern {
        what,
        literals,
        pattern,
        regex: OnceLock::new(),
    }
}

const SOURCE_EXTENSIONS: &[&str] = &[
    ".java:", ".py:", ".go:", ".rs:", ".php:", ".cs:", ".js:", ".ts:", ".rb:", ".kt:", ".c:",
    ".cpp:",
];

static PATTERNS: [Pattern; 8] = [
    pattern(
        "a stack frame",
        &[".java:", ".kt:", ".scala:", ".groovy:", ".cs:"],
        r"(?m)\bat [\w$.<>]+\([\w$]+\.(?:java|kt|scala|groovy|cs):\d+\)",
    ),
    pattern(
        "an exception class name",
        &["Exception", "Error", "Throwable"],
        r"\b(?:java|javax|jakarta|org|com|net|io|sun)\.(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)\b",
    ),
    pattern(
        "an exception class name",
        &["Exception:", "Error:"],
        r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)*(?:Exception|Error)\b:",
    ),
    pattern(
        "a Python traceback",
        &["Traceback (most recent call last)", "File \""],
        r"Traceback \(most recent call last\)|File \x22[^\x22]+\x22, line \d+",
    ),
    pattern(
        "a source location",
        SOURCE_EXTENSIONS,
        r"\b[\w-]+\.(?:java|py|go|rs|php|cs|js|ts|rb|kt|c|cpp):\d+\b",
    ),
    pattern(
        "a server file path",
        &[
            "/usr/", "/opt/", "/home/", "/var/", "/etc/", "/srv/", "/app/", "/tmp/", "/root/",
            "/data/",
        ],
        r"(?:^|[\s\x22'(=])/(?:usr|opt|home|var|etc|srv|app|tmp|root|data)/[\w.-]+/[\w./-]*",
    ),
    pattern(
        "a Windows file path",
        &[":\\"],
        r"\b[A-Za-z]:\\(?:[\w. -]+\\)+",
    ),
    pattern(
        "a database error",
        &[
            "SQLException",
            "SQLSTATE",
            "ORA-",
            "SQLSyntaxErrorException",
        ],
        r"\b(?:SQLException|SQLSTATE|ORA-\d{5}|PSQLException|MySQLSyntaxErrorException)\b",
    ),
];

/// The first sign of internals in `text`: what it is and the matched excerpt
/// (at most 80 characters).
pub fn find_internals(text: &str) -> Option<(&'static str, String)> {
    PATTERNS
        .iter()
        .filter(|p| p.literals.iter().any(|l| text.contains(l)))
        .find_map(|p| {
            let regex = p
                .regex
                .get_or_init(|| Regex::new(p.pattern).expect("internals pattern compiles"));
            regex.find(text).map(|m| {
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

    /// The regexes alone, without the literal prefilter: what the scan found before.
    fn regex_only(text: &str) -> Option<(&'static str, String)> {
        super::PATTERNS.iter().find_map(|p| {
            regex::Regex::new(p.pattern)
                .expect("compiles")
                .find(text)
                .map(|m| (p.what, m.as_str().trim().chars().take(80).collect()))
        })
    }

    #[test]
    fn the_literal_prefilter_keeps_every_finding() {
        let samples = [
            "java.lang.NullPointerException\n\tat com.huawei.agentgateway.MediaCallController.getConnectInfo(MediaCallController.java:212)",
            "at a.B.c(B.kt:3)",
            "at a.B.c(B.scala:3)",
            "at a.B.c(B.groovy:3)",
            "at A.b(C.cs:9)",
            "failed: org.springframework.web.HttpMediaTypeNotSupportedException",
            "io.netty.SomeThrowable here",
            "sun.misc.BadError",
            "NullPointerException: null",
            "ValueError: bad",
            "Error: plain",
            "RuntimeError:",
            "Traceback (most recent call last):",
            "File \"/srv/app/x.py\", line 12, in f",
            "error at Controller.java:42",
            "main.go:7",
            "lib.rs:1",
            "index.php:88",
            "app.js:3",
            "x.ts:4",
            "y.rb:5",
            "z.kt:6",
            "m.c:7",
            "n.cpp:8",
            "no line.java:",
            "cannot open /opt/gateway/conf/basic.properties",
            "(=/usr/lib/x/y",
            "'/home/u/f",
            "/data/a/b at start",
            "url https://in.isdpdomain.com:8443/etc/x",
            r"C:\Program Files\Gateway\app.log",
            r"d:\x\",
            r"C:\nofolder",
            "ORA-00942: table or view does not exist",
            "ORA-1234",
            "SQLSTATE[42000]",
            "PSQLException",
            "MySQLSyntaxErrorException",
            "SQLException",
            "agent not signed in",
            "The agent has not signed in.",
            "Method Not Allowed",
            "parameter error: agentid out of range",
            "no permission",
            "",
            "Errors happen",
            "ExceptionHandler",
            "at home",
            "a:\\",
            "File \"x\"",
        ];
        for text in samples {
            assert_eq!(find_internals(text), regex_only(text), "{text}");
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
