//! The commands. Each returns an exit code or a [`Failure`]; only `main`
//! prints fatal errors.

use super::args::{
    CompareArgs, FaultsArgs, ListArgs, ListFormat, OpenapiArgs, RunArgs, ServeArgs, SuiteArgs,
};
use super::exit::{self, CliError};
use super::inputs::{self, Origins};
use super::progress::{Progress, closing_lists, summary_line};
use ccgw_conformance::compare;
use ccgw_conformance::console;
use ccgw_conformance::contract::Profile;
use ccgw_conformance::gateway::Fault;
#[cfg(feature = "gateway")]
use ccgw_conformance::gateway::{self, GatewayConfig};
use ccgw_conformance::pipeline::{RunSession, SpilledReport};
use ccgw_conformance::render;
use ccgw_conformance::report::{
    CaseResults, ExpectationSource, NotAssessedCause, RunInfo, RunReport, Verdict,
};
use ccgw_conformance::runner::{self, Credentials, RunPlan, Target, TlsSetup};
use ccgw_conformance::schemas::{SchemaName, Schemas};
use ccgw_conformance::selftest;
use ccgw_conformance::suite::{
    Case, SelectError, Suite, SuiteSource, load_expectations_file, load_suite,
};
use std::io::Write as _;

/// The error of a command (the name its callers use).
pub type Failure = CliError;
type Outcome = Result<u8, CliError>;

/// The schemas a run validates answers with: compiled beside the suite load
/// (see [`Schemas::warm_up`]).
const ANSWER_SCHEMAS: [SchemaName; 3] =
    [SchemaName::Envelope, SchemaName::Result, SchemaName::Error];

/// Evidence bytes a run keeps in memory before it spills them to disk
/// (see `CaseResults::spilled_past`): the default suite holds about a tenth
/// of this; at 50 000 cases it bounds what is held before spilling starts.
const SPILL_PAST: usize = 1 << 20;

/// Cases from which `run` frees the suite's cases before it writes the
/// reports (see there).
const FREE_CASES_BEFORE_WRITING: usize = 1_000;

/// Loads the schemas and the suite; `warm` are compiled meanwhile on a
/// thread of their own.
fn load(args: &SuiteArgs, warm: &[SchemaName]) -> Result<(Schemas, Suite), Failure> {
    let schemas = match &args.schemas {
        Some(dir) => Schemas::from_dir(dir),
        None => Schemas::embedded(),
    }
    .map_err(CliError::Schemas)?;
    schemas.warm_up(warm);
    let source = args
        .suite
        .clone()
        .map_or(SuiteSource::Embedded, SuiteSource::Dir);
    let faults: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
    let suite = load_suite(&source, &schemas, &faults).map_err(CliError::Suite)?;
    Ok((schemas, suite))
}

fn profile<'a>(suite: &'a Suite, name: &str) -> Result<&'a Profile, Failure> {
    suite.profile(name).ok_or_else(|| {
        let known: Vec<&str> = suite.profiles.iter().map(|p| p.name.as_str()).collect();
        Failure::config(format!(
            "unknown profile `{name}` for --profile; known profiles: {}",
            known.join(", ")
        ))
    })
}

fn select<'a>(suite: &'a Suite, only: Option<&str>) -> Result<Vec<&'a Case>, Failure> {
    ccgw_conformance::suite::select(suite, only).map_err(|e| {
        Failure::config(match e {
            SelectError::BadPattern { .. } => format!("--only {e}"),
            SelectError::NoMatch { pattern } => format!(
                "no case selected by --only `{pattern}`; `ccgw-conformance list` shows the case ids"
            ),
        })
    })
}

/// Warns of each secret the user gave that is too short or too common to be
/// hidden inside other text (see `redact::is_substring_safe`); the value
/// itself is never printed.
fn warn_short_secrets(credentials: &Credentials) {
    let given = [
        ("the Guid (--guid)", Some(&credentials.guid)),
        ("the callid (--callid)", credentials.callid.as_ref()),
        (
            "the other agent's Guid (--other-guid)",
            credentials.other_guid.as_ref(),
        ),
        (
            "the other agent's callid (--other-callid)",
            credentials.other_callid.as_ref(),
        ),
    ];
    for (what, value) in given {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        if !ccgw_conformance::redact::is_substring_safe(value) {
            eprintln!(
                "warning: {what} is short or common (under {} characters, a word, or text this tool writes itself): \
                 it is hidden where it stands as a value (a header, a JSON value or key, a path segment, a query parameter), \
                 not inside other text such as a gateway's message",
                ccgw_conformance::redact::LEARNED_MIN_CHARS
            );
        }
    }
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// `run`: the suite against a target, reports written.
pub async fn run(mut args: RunArgs, origins: Origins) -> Outcome {
    let started = std::time::Instant::now();
    inputs::settle_conflicts(&mut args, &origins)?;
    let config_file_note = origins.config_file_note();
    let input_records = origins.records();
    let (schemas, mut suite) = load(&args.suite, &ANSWER_SCHEMAS)?;
    let profile = profile(&suite, &args.profile)?.clone();
    let mut expectations = suite.expectations_for(&profile);
    if let Some(path) = &args.expect {
        let raw = load_expectations_file(path, &schemas)
            .map_err(|e| Failure::config(format!("failed to load --expect: {e}")))?;
        expectations
            .overlay(&raw, ExpectationSource::File, &path.display().to_string())
            .map_err(|e| {
                Failure::config(format!("failed to load --expect: {}: {e}", path.display()))
            })?;
    }
    let cases = select(&suite, args.only.as_deref())?;
    for pattern in &args.accept_skips {
        globset::Glob::new(pattern).map_err(|e| {
            Failure::config(format!(
                "--accept-skip `{pattern}` is not a valid glob: {e}"
            ))
        })?;
    }
    let baseline = match &args.baseline {
        Some(path) => Some((
            compare::load_report(path)
                .map_err(|e| Failure::config(format!("failed to load --baseline: {e}")))?,
            path.display().to_string(),
        )),
        None => None,
    };

    // A bad --out is found before the first request, with its OS cause.
    render::prepare_out(&args.out).map_err(|e| {
        CliError::Write(format!(
            "--out {} cannot take the reports: {}",
            args.out.display(),
            console::chain(&e)
        ))
    })?;

    let mut embedded = None;
    let (target, mut credentials) = match &args.target {
        Some(url) => external_target(&args, url, &origins)?,
        None => {
            let (e, target, credentials) = super::embedded::start(&profile, &args.faults).await?;
            embedded = Some(e);
            (target, credentials)
        }
    };
    let redactor = selftest::redactor_for(&credentials);
    console::set_redactor(&redactor);
    if args.target.is_some() {
        warn_short_secrets(&credentials);
    }
    // Credentials written into the target URL are secrets too.
    if let Some(password) = target.base_url.password() {
        redactor.add_secret(password, "<password>");
    }
    if target.base_url.scheme() == "http" && args.target.is_some() {
        eprintln!(
            "warning: {} is plain http://: the Guid travels in clear to the target; use https://",
            ccgw_conformance::report::display_target(&target.base_url)
        );
    }
    let interrupt = futures_util::FutureExt::shared(Box::pin(interrupt_signal()));
    let pacing = runner::Pacing::new(args.session.rate);
    let opened = super::session::open(
        &args.session,
        super::session::OpenWith {
            quiet: args.quiet,
            timeout: args.timeout,
            target: &target,
            redactor: &redactor,
            pacing: &pacing,
        },
        &mut credentials,
        interrupt.clone(),
    )
    .await;
    let super::session::Opened {
        agent,
        other,
        no_call,
        down,
    } = match opened {
        Ok(opened) => opened,
        Err(failure) => {
            if let Some(e) = embedded {
                super::embedded::stop(e).await;
            }
            return Err(failure);
        }
    };
    let mut plan = RunPlan::new(target, credentials, profile, expectations);
    plan.timeout = args.timeout;
    plan.concurrency = usize::from(args.concurrency);
    plan.body_cap = args.body_cap;
    plan.connections = if args.fresh_connections {
        runner::ConnectionPolicy::Fresh
    } else {
        runner::ConnectionPolicy::Reuse
    };
    plan.control_every = usize::from(args.control_every);
    plan.control = !args.no_control;
    plan.flow = super::session::flow_control(
        &args.session,
        (agent.as_ref(), other.as_ref()),
        no_call,
        pacing,
    );
    plan.known_down = down;
    let session = RunSession {
        suite: &suite,
        schemas: &schemas,
        cases,
        plan,
        info: RunInfo {
            started_at: now_rfc3339(),
            embedded_gateway: embedded.is_some(),
            gateway_faults: args.faults.iter().map(|f| f.name().to_owned()).collect(),
            only: args.only.clone(),
            strict: args.strict,
            accepted_skips: args.accept_skips.clone(),
            started: Some(started),
        },
        redactor: redactor.clone(),
        baseline,
    };
    let mut progress = Progress::new(args.quiet);
    // Once the cases' evidence passes SPILL_PAST, each case's goes to a
    // private spill file as it finishes (the file is removed when `spilled`
    // drops: at the end, on an error, an interrupt or a panic) and the
    // reports are streamed from it; a smaller run stays in memory.
    let store =
        CaseResults::spilled_past(SPILL_PAST, None, session.cases.len()).unwrap_or_else(|e| {
            eprintln!("note: no temporary file for the case evidence ({e}); it is kept in memory");
            CaseResults::in_memory()
        });
    // Signed out after a failure or an interrupt too, before the gateway stops.
    let (result, signed_out) = ccgw_conformance::session::run_with_agent_into(
        &session,
        ccgw_conformance::session::Agents { agent, other },
        &mut progress,
        interrupt,
        store,
    )
    .await;
    super::session::announce(signed_out.agent.as_ref(), args.quiet);
    super::session::announce(signed_out.other.as_ref(), args.quiet);
    if let Some(e) = embedded {
        super::embedded::stop(e).await;
    }
    let mut spilled = result.map_err(CliError::Run)?;
    if let Some(e) = spilled.evidence.spill_error() {
        eprintln!(
            "warning: the temporary folder stopped taking the case evidence ({e}); \
             the cases after that were kept in memory, nothing was lost"
        );
    }
    // The report holds what it needs of the suite now. A large suite's
    // cases are freed before the reports are written, so the writers reuse
    // their memory (at 50 000 cases the peak would be the suite and the
    // writers together); a small one is left for the system at exit.
    drop(session);
    if suite.cases.len() >= FREE_CASES_BEFORE_WRITING {
        drop(std::mem::take(&mut suite.cases));
    }
    spilled.report.environment.label = args.label.clone();
    if let Some(note) = config_file_note {
        spilled.report.environment.assumptions.push(note);
    }
    spilled.report.environment.inputs = input_records;
    spilled.report.environment.sign_off = args.sign_off.clone();
    let view = spilled.view(&redactor);
    let report = view.report();

    // Every string, the comparison's too, with every secret learned in the run
    // (the briefs are redacted, each case read back again; the writer checks
    // each file once more).
    let written = render::write_report_view(&view, &args.out, &redactor).map_err(|e| {
        CliError::Write(format!(
            "failed to write the reports: {}",
            console::chain(&e)
        ))
    })?;

    let closing = closing_lists(&view, args.quiet, args.verbose);
    console::write_styled(console::Stream::Stderr, &closing, false);
    let summary = summary_line(report);
    console::write_styled(console::Stream::Stdout, &summary, true);
    if let Some(comparison) = &report.comparison {
        println!(
            "compared with the baseline: {}",
            render::comparison::headline(comparison)
        );
        for warning in &comparison.warnings {
            eprintln!("warning: {warning}");
        }
    }
    println!(
        "reports: {}",
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let fail_on: compare::FailOn = args.fail_on.into();
    let code = exit_code(report, fail_on);
    // The process ends here: the spill folder is removed (`evidence`), but
    // the suite (what is left of it), the compiled schemas and the report
    // are not freed one allocation at a time (about half a millisecond of a default
    // run); the system takes the memory back at exit.
    let SpilledReport { report, evidence } = spilled;
    drop(evidence);
    std::mem::forget(report);
    std::mem::forget(suite);
    std::mem::forget(schemas);
    Ok(code)
}

/// Completes on the first Ctrl-C (SIGINT) or SIGTERM (what CI sends when it
/// cancels a job). The handlers are installed when this is called, not when
/// the future is first polled: a signal right after the run announced itself
/// would otherwise kill the process without a report.
fn interrupt_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let sigint = signal(SignalKind::interrupt());
        let sigterm = signal(SignalKind::terminate());
        async move {
            match (sigint, sigterm) {
                (Ok(mut sigint), Ok(mut sigterm)) => {
                    tokio::select! {
                        _ = sigint.recv() => {}
                        _ = sigterm.recv() => {}
                    }
                }
                // No handler: the default action (terminate) stays in force.
                _ => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The exit code of a finished run: it follows the verdict (see
/// [`exit::CODES`]); with a baseline and `--fail-on new`, a run that is not
/// conformant only fails for a new failure.
fn exit_code(report: &RunReport, fail_on: compare::FailOn) -> u8 {
    match report.summary.verdict {
        Verdict::Incomplete => exit::INTERRUPTED,
        _ if report.interrupted => exit::INTERRUPTED,
        Verdict::NotAssessed => {
            eprintln!("error: {}", report.assessment.headline);
            if let Some(detail) = &report.assessment.detail {
                eprintln!("  cause: {detail}");
            }
            if report.assessment.cause == Some(NotAssessedCause::TargetUnreachable) {
                exit::UNREACHABLE
            } else {
                exit::NOT_ASSESSED
            }
        }
        Verdict::NotConformant => match (&report.comparison, fail_on) {
            (Some(comparison), compare::FailOn::New) if !fail_on.fails_run(report, comparison) => {
                exit::OK
            }
            _ => exit::FAILED,
        },
        Verdict::Conformant => exit::OK,
    }
}

/// The Guid as given, without a `JSESSIONID=` prefix (the `Set-GUID` header
/// of the sign-in is `JSESSIONID=<guid>`, and users copy it whole) and
/// without cookie attributes after a `;`. Says so on stderr when it cuts.
fn bare_guid(given: &str) -> String {
    match runner::parse_guid(given) {
        Some((guid, true)) => {
            eprintln!(
                "note: the Guid was given with a `JSESSIONID=` prefix; it was cut (the Guid is the part after `JSESSIONID=`)"
            );
            guid.to_owned()
        }
        Some((guid, false)) => guid.to_owned(),
        None => String::new(),
    }
}

fn external_target(
    args: &RunArgs,
    url: &reqwest::Url,
    origins: &Origins,
) -> Result<(Target, Credentials), Failure> {
    inputs::target(url, &origins.of("target"))?;
    let agent_id = args.agent_id.clone().ok_or_else(|| {
        Failure::config(
            "--target needs --agent-id (or CCGW_AGENT_ID): the agent the Guid belongs to",
        )
    })?;
    let guid = if args.session.sign_in {
        // The session's sign-in gives the Guid.
        String::new()
    } else {
        inputs::guid(args, origins)?.ok_or_else(|| {
            Failure::config("--target needs a Guid: --guid-file FILE, CCGW_GUID or --guid")
        })?
    };
    let optional = |value: &Option<String>, id: &str, what: &str| {
        value
            .as_deref()
            .map(|v| inputs::secret(v, &format!("{what} given with {}", origins.of(id).name())))
            .transpose()
    };
    let tls = match (&args.ca_cert, args.insecure) {
        (Some(path), _) => {
            let origin = origins.of("ca_cert");
            let pem = inputs::pem(path, &origin)?;
            runner::certificates(&pem, &format!("{} {}", origin.name(), path.display()))
                .map_err(|e| Failure::config(e.to_string()))?;
            TlsSetup::CaPem(pem)
        }
        (None, true) => TlsSetup::Insecure,
        (None, false) => TlsSetup::System,
    };
    let credentials = Credentials {
        agent_id,
        guid: bare_guid(&guid),
        callid: optional(&args.callid, "callid", "the callid")?,
        other_agent_id: args.other_agent_id.clone(),
        other_guid: optional(&args.other_guid, "other_guid", "the other Guid")?,
        other_callid: optional(&args.other_callid, "other_callid", "the other callid")?,
    };
    Ok((
        Target {
            base_url: url.clone(),
            tls,
            client_identity: inputs::client_identity(args, origins)?,
        },
        credentials,
    ))
}

/// `list`: the cases of the suite.
pub fn list(args: ListArgs) -> Outcome {
    let (_, suite) = load(&args.suite, &[])?;
    let cases = select(&suite, args.only.as_deref())?;
    // One locked, buffered stdout for every line: a write per line cost
    // 50 000 syscalls at 50 000 cases.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = match args.format {
        ListFormat::Json => super::listing::write_cases_json(&mut out, &cases),
        ListFormat::Text => super::listing::write_cases_text(&mut out, &cases),
    };
    // A closed pipe (`| head`) is not an error of the listing.
    let _ = written.and_then(|()| out.flush());
    // The process ends here: freeing a large suite one allocation at a time
    // (about a million at 50 000 cases, some 20 ms) costs more than the
    // system taking the memory back at exit.
    std::mem::forget(suite);
    Ok(exit::OK)
}

/// `openapi`: the contract as OpenAPI 3.1, printed or one file per profile.
pub fn openapi(args: OpenapiArgs) -> Outcome {
    let (schemas, suite) = load(&args.suite, &[])?;
    let profiles: Vec<&Profile> = match (&args.profile, &args.dir) {
        (Some(name), _) => vec![profile(&suite, name)?],
        (None, Some(_)) => suite.profiles.iter().collect(),
        (None, None) => vec![profile(&suite, "cec-23")?],
    };
    let documents = profiles
        .into_iter()
        .map(|p| {
            let document = ccgw_conformance::openapi::document(&suite, &schemas, p)
                .map_err(CliError::OpenApi)?;
            let text = serde_json::to_string_pretty(&document).map_err(|e| {
                Failure::config(format!("failed to write the OpenAPI document: {e}"))
            })?;
            Ok((p.name.clone(), text))
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let Some(dir) = args.dir else {
        for (_, text) in documents {
            println!("{text}");
        }
        return Ok(exit::OK);
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Write(format!("failed to create {}: {e}", dir.display())))?;
    for (name, text) in documents {
        let path = dir.join(format!("getconnectinfo.{name}.openapi.json"));
        std::fs::write(&path, format!("{text}\n"))
            .map_err(|e| CliError::Write(format!("failed to write {}: {e}", path.display())))?;
        println!("{}", path.display());
    }
    Ok(exit::OK)
}

/// `serve` without the `gateway` feature.
#[cfg(not(feature = "gateway"))]
pub async fn serve(_: ServeArgs) -> Outcome {
    Err(super::embedded::not_compiled_in("serve"))
}

/// `serve`: the reference gateway until Ctrl-C.
#[cfg(feature = "gateway")]
pub async fn serve(args: ServeArgs) -> Outcome {
    if args.list_faults {
        for fault in Fault::all() {
            println!("{:<28} {}", fault.name(), fault.description());
        }
        return Ok(exit::OK);
    }
    let (_, suite) = load(
        &SuiteArgs {
            suite: None,
            schemas: None,
        },
        &[],
    )?;
    let profile = profile(&suite, &args.profile)?;
    let mut config = GatewayConfig {
        plain_http: args.http,
        port: args.bind.map_or(args.port, |a| a.port()),
        host: args
            .bind
            .map_or(std::net::Ipv4Addr::LOCALHOST.into(), |a| a.ip()),
        faults: args.faults.clone(),
        agent_id_min: profile.agent_id_min,
        agent_id_max: profile.agent_id_max,
        callids: args.callid.clone().zip(args.other_callid.clone()),
        ..GatewayConfig::default()
    };
    if let Some(agent) = &args.agent_id {
        config.agent_id = agent.clone();
        if *agent == config.other_agent_id {
            // The second agent must differ: take the neighbour instead.
            let n: u64 = agent.parse().unwrap_or(profile.agent_id_min);
            config.other_agent_id = if n < profile.agent_id_max {
                n + 1
            } else {
                n - 1
            }
            .to_string();
        }
    }
    config.session = super::session::serve_config(&args.session)?;
    let gw = gateway::start(config).await.map_err(CliError::Gateway)?;
    // Handlers first: a SIGTERM right after the lines below must still clean up.
    let stop = interrupt_signal();
    println!("reference gateway listening on {}", gw.base_url);
    println!("agent id:     {}", gw.agent.agent_id);
    println!("guid:         {}", gw.agent.guid);
    println!("live callid:  {}", gw.agent.callid);
    println!(
        "other agent:  {} (guid {}, callid {})",
        gw.other_agent.agent_id, gw.other_agent.guid, gw.other_agent.callid
    );
    // The certificate file: kept where --cert-out says, else a temporary
    // file removed when this function returns (Ctrl-C included).
    let mut _temporary_cert = None;
    let mut cert_path = None;
    if let Some(pem) = &gw.ca_cert_pem {
        let path = match &args.cert_out {
            Some(path) => {
                std::fs::write(path, pem).map_err(|e| {
                    Failure::config(format!(
                        "failed to write the certificate to {}: {e}",
                        path.display()
                    ))
                })?;
                path.clone()
            }
            None => {
                let file = super::listing::temporary_cert(pem).map_err(|e| {
                    Failure::config(format!("failed to write the certificate: {e}"))
                })?;
                let path = file.path().to_path_buf();
                _temporary_cert = Some(file);
                path
            }
        };
        println!("certificate:  {}", path.display());
        cert_path = Some(path.clone());
        println!(
            "try: curl --cacert {} -X POST {}/agentgateway/resource/mediacall/{}/getconnectinfo -H 'Content-Type: application/json; charset=UTF-8' -H 'Guid: {}' -d '{{\"callid\":\"{}\",\"userType\":\"agent\"}}'",
            path.display(),
            gw.base_url,
            gw.agent.agent_id,
            gw.agent.guid,
            gw.agent.callid
        );
    }
    if !args.faults.is_empty() {
        println!(
            "faults:       {}",
            args.faults
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(line) = super::session::serve_note(&args.session) {
        println!("{line}");
    }
    print!("{}", paste_block(&gw, cert_path.as_deref(), &args));
    println!("press Ctrl-C to stop");
    stop.await;
    gw.shutdown().await;
    Ok(exit::OK)
}

/// The lines to paste into a shell to run the suite against this gateway:
/// both agents' values as the variables `run` reads, then the command. It
/// ends Conformant without faults; with a password the run signs in.
#[cfg(feature = "gateway")]
fn paste_block(
    gw: &gateway::RunningGateway,
    cert: Option<&std::path::Path>,
    args: &ServeArgs,
) -> String {
    let quote = render::curl::quote;
    let mut vars: Vec<(&str, String)> = vec![
        ("CCGW_TARGET", gw.base_url.clone()),
        ("CCGW_AGENT_ID", gw.agent.agent_id.clone()),
    ];
    let sign_in = args.session.password_file.as_ref();
    match sign_in {
        Some(file) => vars.push(("CCGW_PASSWORD_FILE", file.display().to_string())),
        None => vars.push(("CCGW_GUID", gw.agent.guid.clone())),
    }
    vars.extend([
        ("CCGW_CALLID", gw.agent.callid.clone()),
        ("CCGW_OTHER_AGENT_ID", gw.other_agent.agent_id.clone()),
    ]);
    // With a password both agents start signed out: the run signs both in.
    match sign_in {
        Some(file) => vars.push(("CCGW_OTHER_PASSWORD_FILE", file.display().to_string())),
        None => vars.push(("CCGW_OTHER_GUID", gw.other_agent.guid.clone())),
    }
    vars.push(("CCGW_OTHER_CALLID", gw.other_agent.callid.clone()));
    if let Some(cert) = cert {
        vars.push(("CCGW_CA_CERT", cert.display().to_string()));
    }
    if args.profile != "cec-23" {
        vars.push(("CCGW_PROFILE", args.profile.clone()));
    }
    let ends = if args.faults.is_empty() {
        "it ends Conformant"
    } else {
        "the faults make it not conformant"
    };
    let mut out = format!("to run the suite against it, paste ({ends}):\n");
    for (name, value) in vars {
        out.push_str(&format!("  export {name}={}\n", quote(&value)));
    }
    out.push_str(if sign_in.is_some() {
        "  ccgw-conformance run --sign-in --other-sign-in\n"
    } else {
        "  ccgw-conformance run\n"
    });
    out
}

/// `faults` without the `gateway` feature.
#[cfg(not(feature = "gateway"))]
pub async fn faults(_: FaultsArgs) -> Outcome {
    Err(super::embedded::not_compiled_in("faults"))
}

/// `faults`: the fault matrix (mutation score of the suite).
#[cfg(feature = "gateway")]
pub async fn faults(args: FaultsArgs) -> Outcome {
    let (schemas, suite) = load(&args.suite, &ANSWER_SCHEMAS)?;
    let profile = profile(&suite, &args.profile)?.clone();
    let faults: Vec<Fault> = if args.faults.is_empty() {
        Fault::all().to_vec()
    } else {
        args.faults.clone()
    };
    let options = selftest::SelfTestOptions {
        started_at: now_rfc3339(),
        ..Default::default()
    };
    // The runs overlap: a line when each one finishes, with a counter.
    eprintln!(
        "running the suite against {} fault(s), several at a time",
        faults.len()
    );
    let runs = selftest::run_fault_matrix(
        &suite,
        &schemas,
        &profile,
        &faults,
        &options,
        &mut |finished| {
            eprintln!(
                "[{}/{}] ran the suite against fault {}",
                finished.done,
                finished.total,
                finished.fault.name()
            );
        },
    )
    .await
    .map_err(|e| Failure::config(e.to_string()))?;
    let matrix = runs.matrix(&suite);
    let problems = matrix.problems();
    if args.format == ListFormat::Json {
        println!("{}", super::listing::fault_matrix_json(&matrix, &problems));
    } else {
        print!("{}", matrix.render());
    }
    if args.format == ListFormat::Text {
        for p in &problems {
            println!("problem: {p}");
        }
    }
    Ok(if problems.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// `compare`: two reports, comparison written.
pub fn compare(args: CompareArgs) -> Outcome {
    let old = compare::load_report(&args.old).map_err(CliError::Report)?;
    let new = compare::load_report(&args.new).map_err(CliError::Report)?;
    let mut comparison = compare::compare(
        &old,
        &new,
        &args.old.display().to_string(),
        &args.new.display().to_string(),
    );
    // The reports were redacted when written; secret-named keys are hidden
    // again here in case one was edited by hand.
    ccgw_conformance::redact::Redactor::new().comparison(&mut comparison);
    let written = compare::write_comparison(&comparison, &args.out).map_err(|e| {
        CliError::Write(format!(
            "failed to write the comparison to {}: {}",
            args.out.display(),
            console::chain(&e)
        ))
    })?;
    // The documented change names ("2 regressions, 1 changed answer, 49 unchanged").
    println!("{}", render::comparison::headline(&comparison));
    for warning in &comparison.warnings {
        eprintln!("warning: {warning}");
    }
    println!(
        "comparison: {}",
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(if compare::has_new_failures(&comparison) {
        exit::FAILED
    } else {
        exit::OK
    })
}
