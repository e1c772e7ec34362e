//! A one-line `curl` command that replays a case: method, path, headers as
//! sent, body bytes, TLS options of the run. Built from the report's evidence
//! (already redacted), so the secrets are shell variables, never values:
//!
//! ```text
//! curl -sS -i --path-as-is --cacert "$CCGW_CA_CERT" -X POST 'https://10.0.0.5:8043/agentgateway/resource/mediacall/1001/getconnectinfo' -H 'Content-Type: application/json; charset=UTF-8' -H "Guid: $CCGW_GUID" --data-binary '{"callid":"'"$CCGW_CALLID"'","userType":"agent"}'
//! ```
//!
//! One function for every output: the console, report.md, report.html and
//! JUnit's system-out.

use crate::report::{CaseResult, Environment, RequestEvidence, Status, TlsMode};

/// The shell variables that stand for the redacted secrets.
const VARIABLES: [(&str, &str); 4] = [
    ("<guid>", "CCGW_GUID"),
    ("<other-guid>", "CCGW_OTHER_GUID"),
    ("<callid>", "CCGW_CALLID"),
    ("<other-callid>", "CCGW_OTHER_CALLID"),
];

/// How to run the reproduction lines of a run against `environment`'s
/// target: which variables to set, and to what.
pub fn variables_note(environment: &Environment) -> String {
    let values = "CCGW_GUID (and CCGW_CALLID, CCGW_OTHER_GUID, CCGW_OTHER_CALLID where used)";
    if environment.embedded_gateway {
        let faults = if environment.gateway_faults.is_empty() {
            String::new()
        } else {
            format!(
                " {}",
                environment
                    .gateway_faults
                    .iter()
                    .map(|f| format!("--fault {f}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        return format!(
            "the run's embedded gateway has stopped: start `ccgw-conformance serve{faults}`, then set CCGW_TARGET to the URL it prints, \
             {values} to the values it prints, and CCGW_CA_CERT to its certificate file"
        );
    }
    match environment.tls {
        TlsMode::CustomCa => format!(
            "set {values} to the run's values; CCGW_CA_CERT to the CA file given with --ca-cert"
        ),
        TlsMode::Verified | TlsMode::Insecure | TlsMode::PlainHttp => {
            format!("set {values} to the run's values")
        }
    }
}

/// The reproduction of a failed or errored case that sent a request; `None`
/// for the others.
pub fn repro_for_failure(case: &CaseResult, environment: &Environment) -> Option<String> {
    matches!(case.status, Status::Failed | Status::Errored)
        .then(|| repro(case, environment))
        .flatten()
}

/// The `curl` line that sends what `case` sent, or `None` when it sent nothing.
pub fn repro(case: &CaseResult, environment: &Environment) -> Option<String> {
    let request = case.request.as_ref()?;
    Some(command(request, environment))
}

/// The `curl` line for `request` against the run's target.
pub fn command(request: &RequestEvidence, environment: &Environment) -> String {
    let mut words: Vec<String> = vec!["curl".into(), "-sS".into()];
    let head = request.method.eq_ignore_ascii_case("HEAD");
    // -i shows the status and headers; HEAD needs -I (with -X HEAD curl waits for a body).
    words.push(if head { "-I" } else { "-i" }.into());
    words.push("--path-as-is".into());
    match environment.tls {
        TlsMode::CustomCa => words.push("--cacert \"$CCGW_CA_CERT\"".into()),
        TlsMode::Insecure => words.push("-k".into()),
        TlsMode::Verified | TlsMode::PlainHttp => {}
    }
    if !head {
        words.push(format!("-X {}", word(&request.method)));
    }
    if environment.embedded_gateway {
        // That gateway stopped with the run: `serve` gives a new one.
        words.push(format!("\"$CCGW_TARGET\"{}", quote(&request.path)));
    } else {
        words.push(quote(&format!(
            "{}{}",
            origin(&environment.target),
            request.path
        )));
    }
    let mut has_content_type = false;
    for header in &request.headers {
        has_content_type |= header.name.eq_ignore_ascii_case("content-type");
        words.push(format!("-H {}", header_word(&header.name, &header.value)));
    }
    if head && request.body.is_some() {
        // curl cannot send a body with -I (it refuses -I with --data), and with
        // -X HEAD it waits for a body that never comes: the line says so.
        words.push("# the case also sent a body, which curl -I cannot send".into());
        return words.join(" ");
    }
    if let Some(body) = &request.body {
        if !has_content_type {
            // curl would add its own form Content-Type; the case sent none.
            words.push("-H 'Content-Type:'".into());
        }
        if is_printable(body) {
            words.push(format!("--data-binary {}", with_variables(body)));
        } else {
            words.push("--data-binary @-".into());
            return format!("printf {} | {}", printf_format(body), words.join(" "));
        }
    }
    words.join(" ")
}

/// Scheme, host and port of the target (its path prefix is in the evidence path).
fn origin(target: &str) -> String {
    match reqwest::Url::parse(target) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => target.trim_end_matches('/').to_owned(),
    }
}

/// `-H` argument: a header with an empty value is `Name;` in curl's syntax.
fn header_word(name: &str, value: &str) -> String {
    let is_guid = name.eq_ignore_ascii_case("guid");
    if value.is_empty() {
        return quote(&format!("{name};"));
    }
    if is_guid && value == "<redacted>" {
        // A report that named no Guid (written before the evidence said
        // which one was sent): the agent's own is the likeliest.
        return format!("\"{name}: $CCGW_GUID\"");
    }
    with_variables(&format!("{name}: {value}"))
}

/// `text` single-quoted, with each placeholder of a secret replaced by its
/// shell variable in double quotes.
fn with_variables(text: &str) -> String {
    let mut out = quote(text);
    for (placeholder, variable) in VARIABLES {
        out = out.replace(placeholder, &format!("'\"${variable}\"'"));
    }
    // Drop the empty quotes a variable at either end leaves behind.
    if let Some(rest) = out.strip_prefix("''\"") {
        out = format!("\"{rest}");
    }
    if let Some(rest) = out.strip_suffix("\"''") {
        out = format!("{rest}\"");
    }
    out
}

/// `text` bare when the shell leaves it alone, else quoted.
fn word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:".contains(&b));
    if plain { text.to_owned() } else { quote(text) }
}

/// POSIX single quoting.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn is_printable(text: &str) -> bool {
    !text.chars().any(|c| c.is_control())
}

/// A `printf` format (single-quoted) that writes `text` byte for byte.
fn printf_format(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'\\' => out.push_str(r"\\"),
            b'%' => out.push_str("%%"),
            0x20..=0x7e => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\{byte:03o}")),
        }
    }
    quote(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Header;

    fn environment(tls: TlsMode) -> Environment {
        Environment {
            label: None,
            sign_off: None,
            target: "https://10.0.0.5:8043/prefix".into(),
            embedded_gateway: false,
            gateway_faults: Vec::new(),
            profile: "cec-23".into(),
            profile_title: String::new(),
            agent_id: "1001".into(),
            tls,
            has_callid: true,
            wall_time_us: None,
            fresh_connections: false,
            started_at: String::new(),
            suite: String::new(),
            only: None,
            expectations: Vec::new(),
            assumptions: Vec::new(),
            inputs: Vec::new(),
        }
    }

    fn request(method: &str, headers: &[(&str, &str)], body: Option<&str>) -> RequestEvidence {
        RequestEvidence {
            method: method.into(),
            path: "/prefix/agentgateway/resource/mediacall/1001/getconnectinfo".into(),
            headers: headers
                .iter()
                .map(|(n, v)| Header {
                    name: (*n).into(),
                    value: (*v).into(),
                })
                .collect(),
            body: body.map(str::to_owned),
            guid_generation: None,
        }
    }

    #[test]
    fn valid_request_uses_variables_for_secrets() {
        let line = command(
            &request(
                "POST",
                &[
                    ("Content-Type", "application/json; charset=UTF-8"),
                    ("Guid", "<redacted>"),
                ],
                Some(r#"{"callid":"<callid>","userType":"agent"}"#),
            ),
            &environment(TlsMode::CustomCa),
        );
        assert_eq!(
            line,
            r#"curl -sS -i --path-as-is --cacert "$CCGW_CA_CERT" -X POST 'https://10.0.0.5:8043/prefix/agentgateway/resource/mediacall/1001/getconnectinfo' -H 'Content-Type: application/json; charset=UTF-8' -H "Guid: $CCGW_GUID" --data-binary '{"callid":"'"$CCGW_CALLID"'","userType":"agent"}'"#
        );
    }

    #[test]
    fn head_empty_header_missing_content_type_and_insecure() {
        let line = command(
            &request("HEAD", &[("Guid", "")], None),
            &environment(TlsMode::Insecure),
        );
        assert_eq!(
            line,
            "curl -sS -I --path-as-is -k 'https://10.0.0.5:8043/prefix/agentgateway/resource/mediacall/1001/getconnectinfo' -H 'Guid;'"
        );
        let line = command(
            &request("POST", &[], Some("it's")),
            &environment(TlsMode::Verified),
        );
        assert!(
            line.ends_with(r#"-H 'Content-Type:' --data-binary 'it'\''s'"#),
            "{line}"
        );
    }

    #[test]
    fn variables_at_the_ends_and_quotes_inside_stay_valid() {
        assert_eq!(with_variables("<other-guid>"), "\"$CCGW_OTHER_GUID\"");
        assert_eq!(
            with_variables("Guid: <other-guid>"),
            "'Guid: '\"$CCGW_OTHER_GUID\""
        );
        assert_eq!(with_variables("a'\"b"), r#"'a'\''"b'"#);
    }

    #[test]
    fn control_characters_go_through_printf() {
        let line = command(
            &request("POST", &[], Some("{\n\"a\":\"50%\\\"}")),
            &environment(TlsMode::PlainHttp),
        );
        assert!(
            line.starts_with(r#"printf '{\012"a":"50%%\\"}' | curl "#),
            "{line}"
        );
        assert!(line.ends_with("--data-binary @-"), "{line}");
    }
}
