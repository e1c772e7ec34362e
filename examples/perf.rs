//! The performance bench (`scripts/bench`): measures each goal of the
//! performance issue as whole-process wall times against `serve`, side by
//! side in one run, and prints medians and ratios. A benchmark, never a test:
//! nothing here asserts a duration.
//!
//! Usage (built in release by `scripts/bench`; Hurl is `hurl` on PATH, or
//! the program named by `$HURL`):
//!
//! ```text
//! perf [--base OLD-BINARY] [--runs N] [--quick]
//! perf floor REQUESTS.json CA.pem          # the bare keep-alive loop (internal)
//! ```
//!
//! - The default suite over HTTPS at concurrency 1, process start to four
//!   reports written, against: a bare keep-alive loop of the same requests
//!   (reqwest, no checks: this binary's `floor`), Hurl if `hurl` is on PATH,
//!   and an older binary with `--base`.
//! - 10 000 cases at concurrency 16 (cases/s), 1 000 vs 50 000 cases (time per
//!   case), peak memory (`/usr/bin/time -f %M`), `list` of 50 000 cases, and
//!   `faults`. The large suites are generated into a temporary folder from the
//!   default suite's files.

// A benchmark prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use ccgw_conformance::runner::{
    self, ConnectionPolicy, Credentials, Resolution, RunPlan, Target, TlsSetup,
};
use ccgw_conformance::schemas::Schemas;
use ccgw_conformance::suite::{SuiteSource, load_suite};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("floor") {
        floor(Path::new(&args[1]), Path::new(&args[2]));
        return;
    }
    let mut base = None;
    let mut runs = 11;
    let mut quick = false;
    let mut flow_only = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--base" => base = it.next().map(PathBuf::from),
            "--runs" => runs = it.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            "--quick" => quick = true,
            "--flow" => flow_only = true,
            // `cargo test --examples` style flags: ignore.
            _ => {}
        }
    }
    let exe = std::env::current_exe().expect("current exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("ccgw-conformance"))
        .expect("target dir");
    assert!(bin.exists(), "build {} first", bin.display());
    let tmp = tempfile::tempdir().expect("tempdir");
    let bench = Bench {
        bin,
        base,
        exe,
        tmp: tmp.path().to_owned(),
        runs: if quick { 3 } else { runs },
        quick,
    };
    if flow_only {
        bench.flow();
        return;
    }
    bench.all();
    bench.flow();
}

struct Bench {
    bin: PathBuf,
    base: Option<PathBuf>,
    exe: PathBuf,
    tmp: PathBuf,
    runs: usize,
    quick: bool,
}

/// One process run: wall time and peak resident memory.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    peak_kb: u64,
}

fn median(samples: &mut [Sample]) -> Sample {
    samples.sort_by_key(|s| s.wall);
    let mut by_mem: Vec<u64> = samples.iter().map(|s| s.peak_kb).collect();
    by_mem.sort_unstable();
    Sample {
        wall: samples[samples.len() / 2].wall,
        peak_kb: by_mem[by_mem.len() / 2],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

/// Runs `cmd` to its end under `/usr/bin/time` (for the peak memory).
fn measure(cmd: &mut Command, memory_file: &Path) -> Sample {
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(memory_file)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    timed.stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let out = timed.output().expect("process runs");
    let wall = start.elapsed();
    let peak_kb = std::fs::read_to_string(memory_file)
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    if !out.status.success() && out.status.code() != Some(1) {
        eprintln!(
            "warning: {:?} exited {:?}: {}",
            cmd.get_program(),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Sample { wall, peak_kb }
}

/// The reference gateway from `serve`, until dropped.
struct Serve {
    child: Child,
    url: String,
    cert: PathBuf,
    credentials: Credentials,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Bench {
    fn all(&self) {
        println!("machine: {} cores; {}", cores(), kernel());
        println!(
            "every figure is a median of whole-process runs, measured side by side in this run"
        );
        let serve = self.serve();
        let suite_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/getconnectinfo");
        self.default_suite(&serve);
        let sizes: &[usize] = if self.quick {
            &[1_000, 2_000, 5_000]
        } else {
            &[1_000, 10_000, 50_000]
        };
        let mut per_case = Vec::new();
        for &n in sizes {
            let dir = self.tmp.join(format!("suite-{n}"));
            generate_suite(&suite_dir, &dir, n);
            per_case.push((n, self.large(&serve, &dir, n)));
        }
        let (small_n, small) = per_case[0];
        let (big_n, big) = per_case[per_case.len() - 1];
        let per = |s: Sample, n: usize| s.wall.as_secs_f64() / n as f64;
        println!(
            "time per case at {big_n} vs {small_n} cases: {:.1} µs vs {:.1} µs = {:.2}x (goal <= 1.10)",
            per(big, big_n) * 1e6,
            per(small, small_n) * 1e6,
            per(big, big_n) / per(small, small_n)
        );
        let biggest = self.tmp.join(format!("suite-{big_n}"));
        self.list(&biggest, big_n);
        self.faults();
    }

    fn serve(&self) -> Serve {
        self.serve_with(&[])
    }

    /// Adaptive flow control (issue 22): the default suite against `serve`
    /// with a per-agent flow limit the run is not told about, at concurrency
    /// 1 and 16. The goal: the run takes at most 1.2x the minimum time the
    /// limit allows for the POST requests it got through, with no case
    /// left "not assessed (flow control)".
    fn flow(&self) {
        println!(
            "adaptive flow control: the default suite against serve --flow-limit (not told to the run)"
        );
        for (limit, calls, window) in [("5/1s", 5.0, 1.0), ("5/2s", 5.0, 2.0)] {
            for concurrency in ["1", "16"] {
                let serve = self.serve_with(&["--flow-limit", limit]);
                let mut cmd = self.run_command(&self.bin, &serve, &["--concurrency", concurrency]);
                cmd.stdout(Stdio::null());
                let started = Instant::now();
                let status = cmd.status().expect("run");
                let wall = started.elapsed().as_secs_f64();
                let report: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(self.tmp.join("reports/report.json")).expect("report.json"),
                )
                .expect("report parses");
                let cases = report["cases"].as_array().expect("cases");
                let controls = report["assessment"]["controls"]
                    .as_array()
                    .map_or(0, Vec::len);
                // The limit is per agent (the Guid's, else the path's):
                // the agent of the run sets the minimum (the control
                // requests carry its Guid too).
                let agent = &serve.credentials.agent_id;
                let posts = cases
                    .iter()
                    .filter(|c| {
                        let request = &c["request"];
                        let carries_own = request["headers"].as_array().is_some_and(|h| {
                            h.iter().any(|h| {
                                h["name"]
                                    .as_str()
                                    .is_some_and(|n| n.eq_ignore_ascii_case("guid"))
                                    && h["value"] == "<guid>"
                            })
                        });
                        let path = request["path"].as_str().unwrap_or_default();
                        request["method"] == "POST"
                            && (carries_own || path.contains(&format!("/mediacall/{agent}/")))
                    })
                    .count()
                    + controls;
                let not_assessed = cases
                    .iter()
                    .filter(|c| c["cause"] == "flow_control")
                    .count();
                let refusals: u64 = report["flow_control"]
                    .as_array()
                    .map_or(0, |a| a.iter().filter_map(|f| f["refusals"].as_u64()).sum());
                // Every request the run needs (cases and control requests)
                // at the limit's average rate: the issue's reading.
                let needed = cases.iter().filter(|c| c["request"].is_object()).count() + controls;
                let all = needed as f64 / (calls / window);
                // A sliding window lets the first `calls` through at once,
                // then `calls` per window.
                let sliding = ((posts as f64 / calls).ceil() - 1.0).max(0.0) * window;
                let average = posts as f64 / (calls / window);
                println!(
                    "  limit {limit:<5} concurrency {concurrency:>2}: {wall:6.1} s; {needed} requests at the limit's rate {all:.1} s: {:.2}x (goal <= 1.2x); \
                     the {posts} POST requests of agent {agent} the gateway counts: minimum {sliding:.1} s in a sliding window, {average:.1} s at the average rate: {:.2}x / {:.2}x; \
                     {refusals} refusals, {not_assessed} not assessed, exit {}",
                    wall / all,
                    wall / sliding.max(0.001),
                    wall / average,
                    status.code().unwrap_or(-1)
                );
                drop(serve);
            }
        }
    }

    fn serve_with(&self, extra: &[&str]) -> Serve {
        let cert = self.tmp.join("gateway.pem");
        let mut child = Command::new(&self.bin)
            .args(["serve", "--port", "0", "--cert-out"])
            .arg(&cert)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut field = |prefix: &str| -> String {
            loop {
                let line = lines.next().expect("serve prints").expect("utf-8");
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.trim().to_owned();
                }
            }
        };
        let url = field("reference gateway listening on");
        let agent_id = field("agent id:");
        let guid = field("guid:");
        let callid = field("live callid:");
        // `other agent:  ID (guid G, callid C)`
        let other = field("other agent:");
        let (other_agent, rest) = other.split_once(" (guid ").expect("other agent line");
        let (other_guid, rest) = rest.split_once(", callid ").expect("other agent line");
        let other_callid = rest.trim_end_matches(')');
        field("certificate:");
        Serve {
            child,
            url,
            cert,
            credentials: Credentials {
                agent_id,
                guid,
                callid: Some(callid),
                other_agent_id: Some(other_agent.to_owned()),
                other_guid: Some(other_guid.to_owned()),
                other_callid: Some(other_callid.to_owned()),
            },
        }
    }

    /// `run` against `serve`, all credentials given, reports into a fresh folder.
    fn run_command(&self, bin: &Path, serve: &Serve, extra: &[&str]) -> Command {
        let c = &serve.credentials;
        let out = self.tmp.join("reports");
        let _ = std::fs::remove_dir_all(&out);
        let mut cmd = Command::new(bin);
        cmd.args([
            "run",
            "--quiet",
            "--target",
            &serve.url,
            "--agent-id",
            &c.agent_id,
        ])
        .arg("--ca-cert")
        .arg(&serve.cert)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .env("CCGW_GUID", &c.guid)
        .env("CCGW_CALLID", c.callid.as_deref().unwrap_or_default())
        .env(
            "CCGW_OTHER_AGENT_ID",
            c.other_agent_id.as_deref().unwrap_or_default(),
        )
        .env(
            "CCGW_OTHER_GUID",
            c.other_guid.as_deref().unwrap_or_default(),
        )
        .env(
            "CCGW_OTHER_CALLID",
            c.other_callid.as_deref().unwrap_or_default(),
        );
        cmd
    }

    fn default_suite(&self, serve: &Serve) {
        let requests = self.tmp.join("requests.json");
        let count = write_requests(serve, &requests);
        let hurl_file = self.tmp.join("suite.hurl");
        write_hurl(serve, &requests, &hurl_file);
        let hurl_bin = hurl_program();
        let has_hurl = Command::new(&hurl_bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let mem = self.tmp.join("mem");
        let (mut ours, mut floor, mut hurl, mut base, mut fresh) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut list, mut version) = (Vec::new(), Vec::new());
        for _ in 0..self.runs {
            ours.push(measure(&mut self.run_command(&self.bin, serve, &[]), &mem));
            fresh.push(measure(
                &mut self.run_command(&self.bin, serve, &["--fresh-connections"]),
                &mem,
            ));
            floor.push(measure(
                Command::new(&self.exe)
                    .arg("floor")
                    .arg(&requests)
                    .arg(&serve.cert),
                &mem,
            ));
            if has_hurl {
                hurl.push(measure(
                    Command::new(&hurl_bin)
                        .arg("--test")
                        .arg("--cacert")
                        .arg(&serve.cert)
                        .arg(&hurl_file),
                    &mem,
                ));
            }
            if let Some(b) = &self.base {
                base.push(measure(&mut self.run_command(b, serve, &[]), &mem));
            }
            list.push(measure(Command::new(&self.bin).arg("list"), &mem));
            version.push(measure(Command::new(&self.bin).arg("--version"), &mem));
        }
        let ours = median(&mut ours);
        let floor = median(&mut floor);
        println!(
            "\n## default suite ({count} requests), HTTPS, concurrency 1, process start to four reports written"
        );
        println!("ccgw-conformance run:                  {}", ms(ours.wall));
        println!(
            "  with --fresh-connections:            {}",
            ms(median(&mut fresh).wall)
        );
        println!(
            "bare keep-alive loop (reqwest):        {}  ratio {:.2}x (goal <= 1.5)",
            ms(floor.wall),
            ratio(ours, floor)
        );
        if has_hurl {
            let hurl = median(&mut hurl);
            println!(
                "hurl --test (same requests):           {}  ratio {:.2}x (goal <= 1.0)",
                ms(hurl.wall),
                ratio(ours, hurl)
            );
        } else {
            println!(
                "hurl: not installed (see docs/src/internals/performance.md); {} written for it",
                hurl_file.display()
            );
        }
        if !base.is_empty() {
            let base = median(&mut base);
            println!(
                "--base binary:                         {}  speed-up {:.2}x",
                ms(base.wall),
                ratio(base, ours)
            );
        }
        println!(
            "list (start-up + suite load):          {}  (--version: {})",
            ms(median(&mut list).wall),
            ms(median(&mut version).wall)
        );
    }

    fn large(&self, serve: &Serve, dir: &Path, n: usize) -> Sample {
        let mem = self.tmp.join("mem");
        let runs = if n >= 50_000 { 1 } else { 3 };
        let extra = [
            "--concurrency",
            "16",
            "--suite",
            dir.to_str().expect("utf-8"),
        ];
        let mut ours: Vec<Sample> = (0..runs)
            .map(|_| measure(&mut self.run_command(&self.bin, serve, &extra), &mem))
            .collect();
        let ours = median(&mut ours);
        println!(
            "\n## {n} cases, HTTPS, concurrency 16 ({runs} run(s))\nccgw-conformance run:  {}  {:.0} cases/s  peak {}",
            ms(ours.wall),
            n as f64 / ours.wall.as_secs_f64(),
            mb(ours.peak_kb)
        );
        if let Some(b) = &self.base {
            let base = measure(&mut self.run_command(b, serve, &extra), &mem);
            println!(
                "--base binary:         {}  {:.0} cases/s  peak {}  speed-up {:.2}x",
                ms(base.wall),
                n as f64 / base.wall.as_secs_f64(),
                mb(base.peak_kb),
                ratio(base, ours)
            );
        }
        ours
    }

    fn list(&self, dir: &Path, n: usize) {
        let mem = self.tmp.join("mem");
        let run = |bin: &Path| {
            let mut samples: Vec<Sample> = (0..3)
                .map(|_| measure(Command::new(bin).arg("list").arg("--suite").arg(dir), &mem))
                .collect();
            median(&mut samples)
        };
        let ours = run(&self.bin);
        println!(
            "\n## list of {n} cases\nccgw-conformance list: {}  peak {}  (goal <= 500 ms)",
            ms(ours.wall),
            mb(ours.peak_kb)
        );
        if let Some(b) = &self.base {
            let base = run(b);
            println!(
                "--base binary:         {}  peak {}  speed-up {:.2}x",
                ms(base.wall),
                mb(base.peak_kb),
                ratio(base, ours)
            );
        }
    }

    fn faults(&self) {
        let mem = self.tmp.join("mem");
        let runs = if self.quick { 1 } else { 3 };
        let run = |bin: &Path| {
            let mut samples: Vec<Sample> = (0..runs)
                .map(|_| measure(Command::new(bin).arg("faults"), &mem))
                .collect();
            median(&mut samples)
        };
        let ours = run(&self.bin);
        println!(
            "\n## faults (the whole mutation matrix)\nccgw-conformance faults: {}",
            ms(ours.wall)
        );
        if let Some(b) = &self.base {
            let base = run(b);
            println!(
                "--base binary:           {}  speed-up {:.2}x (goal >= 2)",
                ms(base.wall),
                ratio(base, ours)
            );
        }
    }
}

/// The Hurl program: `$HURL` when set (a binary off PATH), else `hurl`.
fn hurl_program() -> std::ffi::OsString {
    std::env::var_os("HURL").unwrap_or_else(|| "hurl".into())
}

fn ratio(a: Sample, b: Sample) -> f64 {
    a.wall.as_secs_f64() / b.wall.as_secs_f64()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn kernel() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{model}; load average {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// The default suite's requests as the runner prepares them, one JSON
/// object each, for the floor and for Hurl. Returns how many.
fn write_requests(serve: &Serve, path: &Path) -> usize {
    let schemas = Schemas::embedded().expect("schemas");
    let faults: Vec<&str> = ccgw_conformance::gateway::Fault::all()
        .iter()
        .map(|f| f.name())
        .collect();
    let suite = load_suite(&SuiteSource::Embedded, &schemas, &faults).expect("suite");
    let profile = suite.profile("cec-23").expect("profile").clone();
    let expectations = suite.expectations_for(&profile);
    let mut plan = RunPlan::new(
        Target {
            base_url: reqwest::Url::parse(&serve.url).expect("url"),
            tls: TlsSetup::System,
            client_identity: None,
        },
        serve.credentials.clone(),
        profile,
        expectations,
    );
    plan.timeout = Duration::from_secs(10);
    plan.connections = ConnectionPolicy::Reuse;
    plan.body_cap = 1 << 20;
    let requests: Vec<serde_json::Value> = suite
        .cases
        .iter()
        .filter_map(|case| match runner::resolve(case, &plan) {
            Resolution::Ready { request, .. } => Some(serde_json::json!({
                "method": request.method,
                "url": format!("{}/{}", serve.url.trim_end_matches('/'), request.path.trim_start_matches('/')),
                "headers": request.headers,
                "body": request.body.map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
            })),
            Resolution::Skip(_) => None,
        })
        .collect();
    let count = requests.len();
    std::fs::write(path, serde_json::to_vec(&requests).expect("json")).expect("write requests");
    count
}

/// The same requests as a Hurl file: exact bytes (`hex,...;` bodies), any
/// status accepted (the floor of what Hurl does per request).
fn write_hurl(serve: &Serve, requests: &Path, path: &Path) {
    let _ = serve;
    let list: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(requests).expect("read")).expect("json");
    let mut out = String::new();
    for r in &list {
        out.push_str(&format!(
            "{} {}\n",
            r["method"].as_str().unwrap_or_default(),
            r["url"].as_str().unwrap_or_default()
        ));
        for h in r["headers"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "{}: {}\n",
                h[0].as_str().unwrap_or_default(),
                h[1].as_str().unwrap_or_default()
            ));
        }
        if let Some(body) = r["body"].as_str() {
            out.push_str(&format!("hex,{body};\n"));
        }
        out.push_str("HTTP *\n\n");
    }
    std::fs::write(path, out).expect("write hurl file");
}

/// The floor: the same requests on one keep-alive connection, bodies read,
/// nothing checked, nothing written.
fn floor(requests: &Path, ca: &Path) {
    ccgw_conformance::install_crypto_provider();
    let list: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(requests).expect("read")).expect("json");
    let pem = std::fs::read(ca).expect("read CA");
    let client = reqwest::Client::builder()
        .http1_only()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).expect("pem"))
        .build()
        .expect("client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for r in &list {
            let method =
                reqwest::Method::from_bytes(r["method"].as_str().unwrap_or("POST").as_bytes())
                    .expect("method");
            let mut request = client.request(method, r["url"].as_str().unwrap_or_default());
            for h in r["headers"].as_array().into_iter().flatten() {
                request = request.header(
                    h[0].as_str().unwrap_or_default(),
                    h[1].as_str().unwrap_or_default(),
                );
            }
            if let Some(hex) = r["body"].as_str() {
                let bytes: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                    .collect();
                request = request.body(bytes);
            }
            let response = request.send().await.expect("answered");
            let _ = response.bytes().await;
        }
    });
}

/// A suite folder of `n` cases: the default suite's cases copied into
/// numbered families (`method-00001/get`, ...) until there are `n`.
fn generate_suite(from: &Path, to: &Path, n: usize) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to.join("profiles")).expect("mkdir");
    for file in ["requirements.toml", "expectations.toml"] {
        std::fs::copy(from.join(file), to.join(file)).expect("copy");
    }
    for entry in std::fs::read_dir(from.join("profiles")).expect("profiles") {
        let path = entry.expect("entry").path();
        std::fs::copy(
            &path,
            to.join("profiles").join(path.file_name().expect("name")),
        )
        .expect("copy profile");
    }
    let mut cases: Vec<(String, String, String)> = Vec::new();
    let families = sorted_entries(from)
        .into_iter()
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "profiles"));
    for family in families {
        let fam = family
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let files = sorted_entries(&family);
        for file in files {
            let name = file
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&file).expect("case");
            cases.push((fam.clone(), name, text));
        }
    }
    let mut written = 0;
    'copies: for copy in 1.. {
        for (fam, name, text) in &cases {
            if written == n {
                break 'copies;
            }
            let family = format!("{fam}-{copy:05}");
            let dir = to.join(&family);
            std::fs::create_dir_all(&dir).expect("mkdir");
            let text = text.replacen(
                &format!("id = \"{fam}/{name}\""),
                &format!("id = \"{family}/{name}\""),
                1,
            );
            std::fs::write(dir.join(format!("{name}.toml")), text).expect("write case");
            written += 1;
        }
    }
}

/// The paths in `dir`, sorted.
fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read folder")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    paths
}
