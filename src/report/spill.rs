//! Case evidence off the heap: [`CaseResults`] keeps what the verdict, the
//! lists and a comparison need of each case in memory (a *brief*: the
//! result without its request, its response headers and body, what it
//! expected and its notes; its attempts under flow control stay, few and
//! small, for the count of cases that waited) and writes the rest to a
//! spill file as the case finishes, one
//! JSON record per case; [`CaseEvidence`] reads a case back whole, one at a
//! time, for the renderers.
//!
//! With a budget ([`CaseResults::spilled_past`]) the cases stay whole in
//! memory until their evidence passes the budget; then the evidence held so
//! far goes to the file, and every later case's as it finishes. A run that
//! stays under the budget (the default suite) writes and reads nothing back:
//! its reports are rendered from memory, like [`CaseResults::in_memory`].
//!
//! A brief keeps the case's id, title, family, severity, requirements,
//! status, cause, reason, findings, notes added after it finished (a
//! withdrawn finding) and duration, and of its response
//! the status and retcode (with [`CaseResults::for_comparison`], also the
//! message and shape).
//!
//! The spill file lives in a private temporary folder (0700, the file 0600)
//! that is removed when the last holder drops it: at the end of the run, on
//! an error, an interrupt or a panic. It holds what the runner recorded,
//! already redacted with the secrets known when the case finished; a case
//! read back is redacted again with every secret of the run before it is
//! shown (see `crate::render::ReportView`).

use super::model::{CaseResult, RequestEvidence, ResponseEvidence};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Where one case's evidence lies in the spill file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    offset: u64,
    len: u32,
}

/// The part of a case result that only the renderers show.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Evidence {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request: Option<Box<RequestEvidence>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<Box<ResponseEvidence>>,
    /// The notes the case had when it finished (its rationale); notes added
    /// to the brief later (a withdrawn finding) follow them on read-back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

/// The private folder and the file the evidence is spilled to; both are
/// removed when this is dropped.
struct SpillFile {
    file: Mutex<File>,
    // Dropped after the file: removes the folder and what is in it.
    _dir: tempfile::TempDir,
}

/// The name every spill folder starts with.
const SPILL_PREFIX: &str = "ccgw-spill-";
/// The file in a spill folder that names the process that owns it.
const OWNER_FILE: &str = "owner";

/// Process `pid` as `pid start-time` (clock ticks since boot, from
/// `/proc/PID/stat`): a pid reused by another process has another start
/// time. `None` where there is no `/proc` or no such process.
fn process_tag(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces and parentheses).
    let (_, rest) = stat.rsplit_once(')')?;
    // Field 22 (starttime) is the 20th after the name.
    let start = rest.split_whitespace().nth(19)?;
    Some(format!("{pid} {start}"))
}

/// Writes this process's tag into its new spill folder.
fn claim(dir: &Path) {
    let Some(tag) = process_tag(std::process::id()) else {
        return;
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    if let Ok(mut file) = options.open(dir.join(OWNER_FILE)) {
        let _ = file.write_all(tag.as_bytes());
    }
}

/// Removes the spill folders beside `ours` that a process now gone left
/// behind (killed with SIGKILL, which no cleanup survives): their evidence
/// was redacted with the secrets known when each case finished, and a secret
/// learned later stood in clear there. Only folders of the same owner whose
/// `owner` file names a process that provably no longer runs (no such pid,
/// or another process under that pid) are removed; without `/proc` nothing
/// is.
fn remove_dead_spill_folders(ours: &Path) {
    if process_tag(std::process::id()).is_none() {
        return;
    }
    let (Some(parent), Ok(mine)) = (ours.parent(), std::fs::metadata(ours)) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_spill = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(SPILL_PREFIX));
        if !is_spill || path == ours {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        #[cfg(unix)]
        let same_owner = std::os::unix::fs::MetadataExt::uid(&meta)
            == std::os::unix::fs::MetadataExt::uid(&mine);
        #[cfg(not(unix))]
        let same_owner = false;
        if !meta.is_dir() || !same_owner {
            continue;
        }
        let Ok(tag) = std::fs::read_to_string(path.join(OWNER_FILE)) else {
            continue;
        };
        let alive = tag
            .split_whitespace()
            .next()
            .and_then(|pid| pid.parse::<u32>().ok())
            .and_then(process_tag)
            .is_some_and(|now| now == tag.trim());
        if !alive {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

impl std::fmt::Debug for SpillFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpillFile").finish_non_exhaustive()
    }
}

/// The spill file while cases are written to it: one write per case,
/// unbuffered, so a write the disk refuses is known for the case it belongs
/// to (a buffer would fail later, for cases already counted as written).
struct Writer {
    out: Box<dyn Write + Send>,
    at: u64,
    scratch: Vec<u8>,
    file: Arc<SpillFile>,
    /// The first write the spill file refused (a full disk): from then on
    /// every case stays whole in memory.
    broken: Option<String>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("at", &self.at)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

/// The case results of a run, in the order they were added: whole in
/// memory, or as briefs with their evidence spilled to a file.
#[derive(Debug, Default)]
pub struct CaseResults {
    cases: Vec<CaseResult>,
    /// Aligned with `cases`: where each spilled case's evidence lies.
    records: Vec<Option<Record>>,
    writer: Option<Writer>,
    /// Briefs keep what a comparison reads of a response (message, shape).
    for_comparison: bool,
    /// Evidence bytes (about) held whole in memory while they stay at or
    /// under the budget; `None` once the budget is passed (or without one):
    /// every case with a writer is spilled as it finishes.
    held: Option<Held>,
    /// The cases before this one have been offered to the spill file.
    offered: usize,
}

/// Cases kept whole while their evidence stays under a budget.
#[derive(Debug, Clone, Copy)]
struct Held {
    bytes: usize,
    budget: usize,
}

impl CaseResults {
    /// Results kept whole in memory.
    pub fn in_memory() -> CaseResults {
        CaseResults::default()
    }

    /// Results whose evidence is spilled to a new private folder under
    /// `parent` (the system's temporary folder when `None`), with room for
    /// `expected` cases.
    pub fn spilled(parent: Option<&Path>, expected: usize) -> io::Result<CaseResults> {
        CaseResults::spilled_past(0, parent, expected)
    }

    /// [`CaseResults::spilled`] once the cases' evidence passes `budget`
    /// bytes (about): until then the cases stay whole in memory, and a run
    /// that never passes it reads nothing back. The folder and the file are
    /// created now, so a folder that cannot take them is known before the
    /// first case.
    pub fn spilled_past(
        budget: usize,
        parent: Option<&Path>,
        expected: usize,
    ) -> io::Result<CaseResults> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(SPILL_PREFIX);
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let dir = match parent {
            Some(parent) => builder.tempdir_in(parent)?,
            None => builder.tempdir()?,
        };
        claim(dir.path());
        remove_dead_spill_folders(dir.path());
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(dir.path().join("cases.json"))?;
        let out = Box::new(file.try_clone()?);
        Ok(CaseResults {
            for_comparison: false,
            held: (budget > 0).then_some(Held { bytes: 0, budget }),
            offered: 0,
            cases: Vec::with_capacity(expected),
            records: Vec::with_capacity(expected),
            writer: Some(Writer {
                out,
                at: 0,
                scratch: Vec::new(),
                file: Arc::new(SpillFile {
                    file: Mutex::new(file),
                    _dir: dir,
                }),
                broken: None,
            }),
        })
    }

    /// Briefs that keep what a comparison with a baseline reads of each
    /// response (its message and shape, besides status and retcode).
    pub fn for_comparison(mut self) -> CaseResults {
        self.for_comparison = true;
        self
    }

    /// The folder the evidence is spilled to, while there is one.
    pub fn spill_dir(&self) -> Option<&Path> {
        self.writer.as_ref().map(|w| w.file._dir.path())
    }

    /// Adds a finished case. When spilling, its evidence goes to the file
    /// and a brief stays; when the file cannot be written, the case stays
    /// whole in memory (nothing is lost, only memory).
    pub fn push(&mut self, case: CaseResult) {
        let over_budget = match &mut self.held {
            Some(held) => {
                held.bytes = held.bytes.saturating_add(evidence_bytes(&case));
                held.bytes > held.budget
            }
            None => true,
        };
        self.cases.push(case);
        self.records.push(None);
        if over_budget {
            self.held = None;
            self.spill_pending();
        }
    }

    /// Spills the evidence of the cases added since the last spill: the
    /// ones held so far when the budget is passed, then each new one.
    fn spill_pending(&mut self) {
        if let Some(writer) = &mut self.writer {
            let cases = self.cases[self.offered..].iter_mut();
            for (case, record) in cases.zip(&mut self.records[self.offered..]) {
                *record = spill(writer, self.for_comparison, case);
            }
        }
        self.offered = self.cases.len();
    }

    /// The cases (briefs where spilled), in the order added.
    pub fn iter(&self) -> std::slice::Iter<'_, CaseResult> {
        self.cases.iter()
    }

    /// The cases (briefs where spilled), to change what the verdict reads
    /// (status, cause, reason, findings; notes added here follow the case's
    /// own notes when it is read back).
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, CaseResult> {
        self.cases.iter_mut()
    }

    /// How many cases.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// No case yet.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// The cases sorted by id (report order) and where their evidence lies;
    /// the spill file is closed for writing.
    pub fn sorted_by_id(self) -> (Vec<CaseResult>, CaseEvidence) {
        let CaseResults {
            cases,
            records,
            writer,
            for_comparison: _,
            held: _,
            offered: _,
        } = self;
        // Sorted in place by a permutation: a second vector of cases would
        // double the largest thing in memory.
        let mut cases = cases;
        let mut order: Vec<usize> = (0..cases.len()).collect();
        order.sort_by(|&a, &b| cases[a].id.cmp(&cases[b].id));
        let records = order.iter().map(|&i| records[i]).collect();
        permute(&mut cases, order);
        let broken = writer.as_ref().and_then(|w| w.broken.clone());
        let file = writer.map(|w| w.file);
        (
            cases,
            CaseEvidence {
                records,
                file,
                broken,
            },
        )
    }

    /// Why the spill file stopped taking evidence (a full disk), if it did:
    /// the cases after that stayed whole in memory.
    pub fn spill_error(&self) -> Option<&str> {
        self.writer.as_ref().and_then(|w| w.broken.as_deref())
    }
}

/// Puts `items[order[k]]` at `k` for every `k`, in place (one cycle at a time).
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

impl Extend<CaseResult> for CaseResults {
    fn extend<I: IntoIterator<Item = CaseResult>>(&mut self, cases: I) {
        for case in cases {
            self.push(case);
        }
    }
}

impl Writer {
    fn write(&mut self, evidence: &Evidence) -> io::Result<Record> {
        self.scratch.clear();
        serde_json::to_writer(&mut self.scratch, evidence)?;
        let len = u32::try_from(self.scratch.len()).map_err(io::Error::other)?;
        self.out.write_all(&self.scratch)?;
        let record = Record {
            offset: self.at,
            len,
        };
        self.at += u64::from(len);
        Ok(record)
    }
}

/// Writes `case`'s evidence to the spill file and leaves its brief; where
/// the evidence went. A case without evidence, or one the file cannot take,
/// stays whole (nothing is lost, only memory).
fn spill(writer: &mut Writer, for_comparison: bool, case: &mut CaseResult) -> Option<Record> {
    if !has_evidence(case) || writer.broken.is_some() {
        return None;
    }
    let evidence = Evidence {
        expected: Some(std::mem::take(&mut case.expected)),
        request: case.request.take(),
        response: case.response.take(),
        notes: std::mem::take(&mut case.notes),
    };
    match writer.write(&evidence) {
        Ok(record) => {
            case.response = evidence
                .response
                .as_ref()
                .map(|r| brief_response(r, for_comparison));
            Some(record)
        }
        Err(e) => {
            // Nothing of it is read back: it stays whole, as every later case.
            writer.broken = Some(e.to_string());
            case.expected = evidence.expected.unwrap_or_default();
            case.request = evidence.request;
            case.response = evidence.response;
            case.notes = evidence.notes;
            None
        }
    }
}

/// About how many bytes a case's evidence holds (its strings).
fn evidence_bytes(case: &CaseResult) -> usize {
    let headers = |headers: &[super::model::Header]| -> usize {
        headers.iter().map(|h| h.name.len() + h.value.len()).sum()
    };
    let request = case.request.as_ref().map_or(0, |r| {
        r.path.len() + headers(&r.headers) + r.body.as_ref().map_or(0, String::len)
    });
    let response = case.response.as_ref().map_or(0, |r| {
        headers(&r.headers)
            + r.body.len()
            + r.shape.iter().map(String::len).sum::<usize>()
            + r.message.as_ref().map_or(0, String::len)
    });
    let notes: usize = case.notes.iter().map(String::len).sum();
    case.expected.len() + request + response + notes + 64 * case.attempts.len()
}

fn has_evidence(case: &CaseResult) -> bool {
    case.request.is_some() || case.response.is_some()
}

/// A response as the brief keeps it: what the verdict reads (status,
/// retcode), and what a comparison reads (message, shape) when asked for.
fn brief_response(response: &ResponseEvidence, for_comparison: bool) -> Box<ResponseEvidence> {
    Box::new(ResponseEvidence {
        status: response.status,
        headers: Vec::new(),
        body: String::new(),
        body_bytes: response.body_bytes,
        truncated: response.truncated,
        retcode: response.retcode.clone(),
        message: response.message.clone().filter(|_| for_comparison),
        shape: if for_comparison {
            response.shape.clone()
        } else {
            Vec::new()
        },
    })
}

/// Where the evidence of each case of a report lies, in report order.
#[derive(Debug, Default)]
pub struct CaseEvidence {
    records: Vec<Option<Record>>,
    file: Option<Arc<SpillFile>>,
    broken: Option<String>,
}

impl CaseEvidence {
    /// Why the spill file stopped taking evidence during the run, if it did
    /// (see [`CaseResults::spill_error`]).
    pub fn spill_error(&self) -> Option<&str> {
        self.broken.as_deref()
    }

    /// True when some case's evidence is in the spill file.
    pub fn is_spilled(&self) -> bool {
        self.file.is_some() && self.records.iter().any(Option::is_some)
    }

    /// Case `index` of the report whole: `brief` with its evidence read back.
    pub fn whole(&self, index: usize, brief: &CaseResult) -> io::Result<CaseResult> {
        let mut case = brief.clone();
        let (Some(Some(record)), Some(file)) = (self.records.get(index), &self.file) else {
            return Ok(case);
        };
        let mut bytes = vec![0; record.len as usize];
        {
            let mut file = file
                .file
                .lock()
                .map_err(|_| io::Error::other("the spill file lock is poisoned"))?;
            file.seek(SeekFrom::Start(record.offset))?;
            file.read_exact(&mut bytes)?;
        }
        let evidence: Evidence = serde_json::from_slice(&bytes)?;
        if let Some(expected) = evidence.expected {
            case.expected = expected;
        }
        case.request = evidence.request;
        case.response = evidence.response;
        if !evidence.notes.is_empty() {
            let later = std::mem::take(&mut case.notes);
            case.notes = evidence.notes;
            case.notes.extend(later);
        }
        Ok(case)
    }

    /// Every case of `briefs` whole (all of them in memory again).
    pub fn restore(&self, briefs: Vec<CaseResult>) -> Vec<CaseResult> {
        if !self.is_spilled() {
            return briefs;
        }
        briefs
            .into_iter()
            .enumerate()
            .map(|(i, brief)| self.whole(i, &brief).unwrap_or(brief))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{CaseResults, permute};
    use crate::report::{CaseResult, RequestEvidence, Severity, Status};

    #[test]
    fn notes_added_to_a_brief_follow_the_spilled_ones() {
        let mut results = CaseResults::spilled(None, 1).expect("spill folder");
        results.push(case_with_body("guid/missing", 0));
        assert!(results.iter().all(|brief| brief.notes.is_empty()));
        for brief in results.iter_mut() {
            brief.notes.push("withdrawn finding".to_owned());
        }
        let (briefs, evidence) = results.sorted_by_id();
        let whole = evidence.whole(0, &briefs[0]).expect("read back");
        assert_eq!(whole.notes, ["the rationale", "withdrawn finding"]);
        assert_eq!(whole.expected, "refused");
        assert!(whole.request.is_some());
    }

    /// A passed case with a request of `body_len` bytes of body.
    fn case_with_body(id: &str, body_len: usize) -> CaseResult {
        CaseResult {
            id: id.to_owned(),
            title: "a case".to_owned(),
            family: "guid".to_owned(),
            severity: Severity::Required,
            requirements: vec!["REQ-GUID".to_owned()],
            status: Status::Passed,
            reason: None,
            expected: "refused".to_owned(),
            findings: Vec::new(),
            notes: vec!["the rationale".to_owned()],
            request: Some(Box::new(RequestEvidence {
                method: "POST".to_owned(),
                path: "/x".to_owned(),
                headers: Vec::new(),
                body: Some("b".repeat(body_len)),
                guid_generation: None,
            })),
            response: None,
            attempts: Vec::new(),
            duration_ms: 1,
            duration_us: 1_000,
            cause: None,
        }
    }

    #[test]
    fn cases_under_the_budget_stay_whole_and_nothing_is_read_back() {
        let mut results = CaseResults::spilled_past(10_000, None, 2).expect("spill folder");
        let (a, b) = (case_with_body("a", 100), case_with_body("b", 100));
        results.extend([b.clone(), a.clone()]);
        let (cases, evidence) = results.sorted_by_id();
        assert!(!evidence.is_spilled());
        assert_eq!(cases, vec![a, b]);
    }

    #[test]
    fn passing_the_budget_spills_the_held_cases_and_every_later_one() {
        let mut results = CaseResults::spilled_past(1_000, None, 3).expect("spill folder");
        let whole = [
            case_with_body("a", 600),
            case_with_body("b", 600),
            case_with_body("c", 10),
        ];
        results.push(whole[0].clone());
        assert!(results.iter().all(|c| c.request.is_some()), "under budget");
        results.push(whole[1].clone());
        results.push(whole[2].clone());
        assert!(
            results.iter().all(|c| c.request.is_none()),
            "past the budget every case is a brief"
        );
        let (briefs, evidence) = results.sorted_by_id();
        assert!(evidence.is_spilled());
        for (i, brief) in briefs.iter().enumerate() {
            assert_eq!(evidence.whole(i, brief).expect("read back"), whole[i]);
        }
    }

    /// Writes `left` bytes, then refuses as a full disk does (a write may
    /// be cut short first).
    struct FullAfter {
        left: usize,
        inner: std::fs::File,
    }

    impl std::io::Write for FullAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            self.inner.write(&buf[..n])
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_spill_folder_loses_no_evidence() {
        let mut results = CaseResults::spilled(None, 200).expect("spill folder");
        let writer = results.writer.as_mut().expect("a writer");
        let inner = writer.file.file.lock().unwrap().try_clone().unwrap();
        writer.out = Box::new(FullAfter {
            left: 20_000,
            inner,
        });
        let whole: Vec<CaseResult> = (0..200)
            .map(|i| case_with_body(&format!("c/{i:03}"), 300))
            .collect();
        results.extend(whole.iter().cloned());
        let error = results.spill_error().expect("the refusal is known");
        assert!(error.contains("No space left"), "{error}");
        let (briefs, evidence) = results.sorted_by_id();
        assert!(
            evidence.is_spilled(),
            "the cases before the refusal were spilled"
        );
        assert!(evidence.spill_error().is_some());
        for (i, brief) in briefs.iter().enumerate() {
            assert_eq!(
                evidence.whole(i, brief).expect("read back"),
                whole[i],
                "{i}"
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_spill_folder_of_a_process_gone_is_removed_and_a_live_one_kept() {
        let parent = tempfile::tempdir().expect("tempdir");
        let dead = parent.path().join("ccgw-spill-dead");
        let live = parent.path().join("ccgw-spill-live");
        let unclaimed = parent.path().join("ccgw-spill-unclaimed");
        let other = parent.path().join("not-ours");
        for dir in [&dead, &live, &unclaimed, &other] {
            std::fs::create_dir(dir).expect("mkdir");
            std::fs::write(dir.join("cases.json"), "late-learned secret").expect("write");
        }
        // A pid beyond the kernel's maximum: no such process.
        std::fs::write(dead.join("owner"), "99999999 1").expect("write");
        std::fs::write(other.join("owner"), "99999999 1").expect("write");
        let me = super::process_tag(std::process::id()).expect("/proc");
        std::fs::write(live.join("owner"), &me).expect("write");
        let results = CaseResults::spilled(Some(parent.path()), 1).expect("spill folder");
        assert!(!dead.exists(), "the dead process's folder is removed");
        assert!(live.exists() && unclaimed.exists() && other.exists());
        drop(results);
        // The same pid with another start time is another process.
        std::fs::write(live.join("owner"), format!("{} 1", std::process::id())).expect("write");
        let _results = CaseResults::spilled(Some(parent.path()), 1).expect("spill folder");
        assert!(!live.exists(), "a reused pid is not the owner");
    }

    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut items, vec![3, 0, 4, 1, 2]);
        assert_eq!(items, vec!['d', 'a', 'e', 'b', 'c']);
        let mut same = vec![1, 2, 3];
        permute(&mut same, vec![0, 1, 2]);
        assert_eq!(same, vec![1, 2, 3]);
    }
}
