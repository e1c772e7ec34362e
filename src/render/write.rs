//! Writing a run's output as a set: [`write_all`] (the reports, and the
//! comparison when the report holds one) and [`write_set`] (any set of files,
//! e.g. the `compare` command's).
//!
//! - Each file is first streamed to a temporary name unique to this
//!   process and call (`.report.json.ccgw-<pid>-<n>.tmp`), case by case
//!   through the final redaction pass.
//! - Only when every file of the set is written does the set replace the old
//!   one: on Linux, the files are written into a private sibling folder
//!   (`.<folder>.ccgw-set-<pid>-<n>`, holding hard links to the folder's other
//!   files) that is exchanged with the report folder in one atomic step, so a
//!   run killed at any moment leaves the old set or the new one, never a mix;
//!   elsewhere, and where the folder cannot be exchanged (a mount point, the
//!   working folder, a folder inside it), they are renamed into place one
//!   after the other (each rename is atomic: a reader, or a concurrent run
//!   into the same folder, never sees half a file).
//! - Files of the set's kind that this run did not write (a `comparison.md`
//!   of an earlier `--baseline` run) are removed, so nothing stale sits beside
//!   the new reports; temporary files of processes that no longer exist (a
//!   run killed while writing) are removed too.
//! - [`prepare_out`] checks the folder before the first request is sent.
//! - Nothing is forced to the disk (`fsync`): a rename is atomic for every
//!   process, so a killed run never leaves half a file; only a crash of the
//!   machine itself before the kernel writes back can lose a report. An
//!   fsync per file cost more than the rest of a default run.

use super::{Format, ReportView};
use crate::redact::{Redactor, RenderedKind};
use crate::report::RunReport;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The files a run writes (the comparison ones only with a baseline).
pub const REPORT_FILES: [&str; 4] = ["report.json", "junit.xml", "report.md", "report.html"];
/// The files of a comparison.
pub const COMPARISON_FILES: [&str; 3] = ["comparison.md", "comparison.html", "comparison.json"];

/// Writing the report files failed; names the path that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The report folder could not be created (or is not a folder).
    #[error("create report folder `{}`", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A temporary file could not be created, written or flushed.
    #[error("write report file `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The temporary file could not be renamed over the report file.
    #[error("rename `{}` to `{}`", from.display(), path.display())]
    Rename {
        from: PathBuf,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl WriteError {
    /// The path that could not be created or written.
    pub fn path(&self) -> &Path {
        match self {
            WriteError::CreateDir { path, .. }
            | WriteError::Write { path, .. }
            | WriteError::Rename { path, .. } => path,
        }
    }
}

/// Creates `dir` (and its parents) and proves it can take files: it is a
/// folder and a file can be created, written and removed in it. Call it
/// before the first request, so a bad `--out` costs nothing.
pub fn prepare_out(dir: &Path) -> Result<(), WriteError> {
    let create_dir = |source| WriteError::CreateDir {
        path: dir.to_path_buf(),
        source,
    };
    fs::create_dir_all(dir).map_err(create_dir)?;
    if !fs::metadata(dir).map_err(create_dir)?.is_dir() {
        return Err(create_dir(io::Error::new(
            io::ErrorKind::NotADirectory,
            "not a folder",
        )));
    }
    let probe = temp_path(dir, "probe");
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut f| f.write_all(b"ccgw-conformance: can this folder take the reports?\n"));
    let _ = fs::remove_file(&probe);
    written.map_err(|source| WriteError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes every format of `report` into `dir`, and the comparison files when
/// the report holds a comparison, as one set (see the module). Returns the
/// paths written, reports in [`Format::ALL`] order, then the comparison.
pub fn write_all(report: &RunReport, dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    write_report_set(report, dir, &Redactor::new())
}

/// [`write_all`], each file passed through `redactor`'s final pass.
pub fn write_report_set(
    report: &RunReport,
    dir: &Path,
    redactor: &Redactor,
) -> Result<Vec<PathBuf>, WriteError> {
    write_report_view(&ReportView::new(report), dir, redactor)
}

/// [`write_report_set`] for a report whose cases are read back one at a
/// time: each file is streamed to disk case by case, through `redactor`'s
/// final pass.
pub fn write_report_view(
    view: &ReportView<'_>,
    dir: &Path,
    redactor: &Redactor,
) -> Result<Vec<PathBuf>, WriteError> {
    let mut files: Vec<(&str, Contents<'_>)> = Format::ALL
        .iter()
        .map(|&format| {
            let write: Contents<'_> = Box::new(move |out| format.write(view, out));
            (format.file_name(), write)
        })
        .collect();
    let comparison = view.report().comparison.iter();
    for (name, text) in comparison.flat_map(super::comparison::render_files) {
        files.push((name, Box::new(move |out| out.write_all(text.as_bytes()))));
    }
    // The final pass: JSON by its strings and keys (the file stays valid),
    // markup with its placeholders escaped.
    let files = files.into_iter().map(|(name, write)| {
        let kind = match name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("json") => RenderedKind::Json,
            Some("html" | "xml") => RenderedKind::Markup,
            _ => RenderedKind::Text,
        };
        let passed: Contents<'_> = Box::new(move |out| {
            let mut pass = redactor.final_pass(out, kind);
            write(&mut pass)?;
            pass.finish().map(|_| ())
        });
        (name, passed)
    });
    let owned: Vec<&str> = REPORT_FILES
        .iter()
        .chain(COMPARISON_FILES.iter())
        .copied()
        .collect();
    write_files(dir, files, &owned)
}

/// What writes one file's contents.
type Contents<'a> = Box<dyn FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'a>;

/// Writes `files` (name, contents) into `dir` as one set: all to unique
/// temporary files first, then renamed into place. Every name in `owned`
/// that is not in `files` is removed (a stale file of an earlier run).
pub fn write_set(
    dir: &Path,
    files: &[(&str, String)],
    owned: &[&str],
) -> Result<Vec<PathBuf>, WriteError> {
    let files = files.iter().map(|(name, text)| {
        let write: Contents<'_> = Box::new(move |out| out.write_all(text.as_bytes()));
        (*name, write)
    });
    write_files(dir, files, owned)
}

/// [`write_set`] over files written one at a time, each streamed into its
/// temporary file.
///
/// Where it can, the set replaces the folder's old one as a whole: the files
/// are written into a private sibling folder (with hard links to whatever
/// else the folder holds), which is then exchanged with the folder in one
/// atomic step (Linux `renameat2(RENAME_EXCHANGE)`), so a run killed at any
/// point leaves either the old set or the new one, never a mix. Where it
/// cannot (no exchange on this system or file system, the folder is a mount
/// point, holds a folder of its own or a file that cannot be linked), the
/// files are written beside their names and renamed into place one by one.
fn write_files<'a>(
    dir: &Path,
    files: impl Iterator<Item = (&'a str, Contents<'a>)>,
    owned: &[&str],
) -> Result<Vec<PathBuf>, WriteError> {
    prepare_out(dir)?;
    remove_orphaned_temps(dir);
    let staging = Staging::new(dir, owned);
    let into = staging.as_ref().map_or(dir, |s| s.path.as_path());
    let mut names: Vec<&str> = Vec::new();
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut jobs: Vec<Mutex<Option<Contents<'a>>>> = Vec::new();
    for (name, contents) in files {
        names.push(name);
        let tmp = match &staging {
            Some(_) => into.join(name),
            None => temp_path(dir, name),
        };
        temps.push((tmp, dir.join(name)));
        jobs.push(Mutex::new(Some(contents)));
    }
    // Every file at once, each streamed by a thread of its own: the formats
    // are independent, and rendering is most of the time a run spends
    // after its last answer. A file whose thread cannot be started is
    // written here.
    let write = |i: usize| {
        let contents = jobs[i].lock().ok().and_then(|mut job| job.take());
        contents.map_or(Ok(()), |contents| write_temp(&temps[i].0, contents))
    };
    let written: Vec<io::Result<()>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..jobs.len())
            .map(|i| {
                std::thread::Builder::new()
                    .name(format!("write {}", names[i]))
                    .spawn_scoped(scope, move || write(i))
                    .ok()
            })
            .collect();
        threads
            .into_iter()
            .enumerate()
            .map(|(i, thread)| match thread {
                Some(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                None => write(i),
            })
            .collect()
    });
    if let Some(failed) = written.iter().position(Result::is_err) {
        match &staging {
            Some(s) => s.discard(),
            None => {
                for (t, _) in &temps {
                    let _ = fs::remove_file(t);
                }
            }
        }
        let source = written
            .into_iter()
            .nth(failed)
            .and_then(Result::err)
            .unwrap_or_else(|| io::Error::other("write failed"));
        return Err(WriteError::Write {
            path: temps[failed].1.clone(),
            source,
        });
    }
    if let Some(staging) = staging {
        if staging.exchange(dir) {
            return Ok(temps.into_iter().map(|(_, path)| path).collect());
        }
    }
    move_into_place(dir, &temps, &names, owned)
}

/// Renames each file of the set into place, then removes the `owned` files
/// the set does not have (a stale file of an earlier run).
fn move_into_place(
    dir: &Path,
    temps: &[(PathBuf, PathBuf)],
    names: &[&str],
    owned: &[&str],
) -> Result<Vec<PathBuf>, WriteError> {
    for (i, (tmp, path)) in temps.iter().enumerate() {
        if let Err(source) = fs::rename(tmp, path) {
            for (t, _) in &temps[i..] {
                let _ = fs::remove_file(t);
            }
            return Err(WriteError::Rename {
                from: tmp.clone(),
                path: path.clone(),
                source,
            });
        }
    }
    for name in owned {
        if !names.contains(name) {
            let _ = fs::remove_file(dir.join(name));
        }
    }
    Ok(temps.iter().map(|(_, path)| path.clone()).collect())
}

/// The private sibling folder a new set is written into, holding hard links
/// to everything else of the report folder, until it is exchanged with it.
struct Staging {
    path: PathBuf,
}

/// `.<folder>.ccgw-set-<pid>-<n>`: the start of a staging folder's name.
const STAGING_MARK: &str = ".ccgw-set-";

impl Staging {
    /// A staging folder for `dir`, or `None` where the set cannot be
    /// exchanged as a whole (see [`write_files`]).
    fn new(dir: &Path, owned: &[&str]) -> Option<Staging> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let dir = fs::canonicalize(dir).ok()?;
        // The working folder (or one above it) is never exchanged: this
        // process, and the shell that started it, would be left in the old one.
        let cwd = std::env::current_dir().and_then(fs::canonicalize).ok()?;
        if cwd.starts_with(&dir) {
            return None;
        }
        let parent = dir.parent()?;
        let name = dir.file_name()?.to_str()?;
        remove_orphaned_staging(parent);
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!(".{name}{STAGING_MARK}{}-{n}", std::process::id()));
        fs::create_dir(&path).ok()?;
        let staging = Staging { path };
        if staging.carry_over(&dir, owned).is_none() {
            staging.discard();
            return None;
        }
        Some(staging)
    }

    /// Hard-links every file of `dir` that is not the set's (nor a leftover
    /// temporary file) into the staging folder, and gives it `dir`'s
    /// permissions; `None` where something cannot be carried over.
    fn carry_over(&self, dir: &Path, owned: &[&str]) -> Option<()> {
        for entry in fs::read_dir(dir).ok()? {
            let entry = entry.ok()?;
            let name = entry.file_name();
            let text = name.to_string_lossy();
            let is_file = entry.file_type().ok()?.is_file();
            if owned.iter().any(|o| *o == text) {
                // An old report is replaced; a folder under a report's name
                // is not the set's to remove.
                if is_file {
                    continue;
                }
                return None;
            }
            if is_temp_name(&text) {
                continue;
            }
            if !is_file {
                // A folder (or a link) of its own: left to the per-file renames.
                return None;
            }
            fs::hard_link(entry.path(), self.path.join(&name)).ok()?;
        }
        let permissions = fs::metadata(dir).ok()?.permissions();
        fs::set_permissions(&self.path, permissions).ok()
    }

    /// Exchanges the staging folder with `dir` in one step and removes the
    /// old set; `false` (nothing changed) where the system refuses.
    fn exchange(self, dir: &Path) -> bool {
        let Ok(dir) = fs::canonicalize(dir) else {
            self.discard();
            return false;
        };
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{CWD, RenameFlags, renameat_with};
            if renameat_with(CWD, &self.path, CWD, &dir, RenameFlags::EXCHANGE).is_ok() {
                // The staging folder now holds the old set.
                self.discard();
                return true;
            }
        }
        let _ = &dir;
        self.discard();
        false
    }

    fn discard(&self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Whether `name` is a temporary file of [`temp_path`].
fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp") && name.contains(".ccgw-")
}

/// Removes the staging folders beside the report folder that processes now
/// gone left (killed before or after the exchange).
fn remove_orphaned_staging(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .split_once(STAGING_MARK)
            .and_then(|(_, rest)| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if name.starts_with('.') && is_gone(pid) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Streams `contents` into the new temporary file `tmp`.
fn write_temp(tmp: &Path, contents: Contents<'_>) -> io::Result<()> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .and_then(|file| {
            let mut out = io::BufWriter::new(file);
            contents(&mut out)?;
            out.flush()
        })
}

/// `.<name>.ccgw-<pid>-<n>.tmp` in `dir`: unique per process and call.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.ccgw-{}-{n}.tmp", std::process::id()))
}

/// Removes temporary files left by processes that are gone (killed while
/// writing). Those of live processes (a concurrent run) are left alone.
fn remove_orphaned_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_suffix(".tmp")
            .and_then(|n| n.rsplit_once(".ccgw-"))
            .and_then(|(_, rest)| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if name.starts_with('.') && is_gone(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether the process that left a file named after `pid` is gone: not
/// this one, and no longer running.
fn is_gone(pid: u32) -> bool {
    pid != std::process::id() && !process_exists(pid)
}

#[cfg(target_os = "linux")]
fn process_exists(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_exists(_pid: u32) -> bool {
    // Without /proc, assume it lives: a leftover is untidy, a removed one is worse.
    true
}
