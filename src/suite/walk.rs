//! The fast load of a suite folder: its folders are walked and its case
//! files read, parsed and checked on every core at once, each file opened
//! relative to its folder (no path resolved from the root per file).
//!
//! It gives up at the first thing that is not plain: any error (a folder or
//! file that cannot be read, a mistake in a file), a folder reached a second
//! time (a link loop or a second copy), a name that is not UTF-8. The
//! one-by-one load in `load.rs` then runs and reports exactly the error it
//! always reported, in the order a one-by-one walk meets them. A suite that
//! loads is the same `Suite` either way: the cases are sorted by id and file
//! in the end, so the order in which the workers found them does not matter.

use super::case::{Case, Suite};
use super::load::{CaseContext, FolderId, Text, load_case, load_head, source_file};
use crate::input::CONFIG_LIMIT;
use crate::schemas::Schemas;
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

/// The files of a folder are loaded in shares of this many, so that the
/// files of one large folder are spread over the cores too.
const SHARE: usize = 64;

/// The fast load did not finish; the one-by-one load says why.
struct GaveUp;

/// Loads the suite folder `root`, or `None` where the one-by-one load must
/// run to report an error (or to decide what the fast load cannot).
pub(super) fn load_dir(root: &Path, schemas: &Schemas, known_faults: &[&str]) -> Option<Suite> {
    let display = |path: &str| root.join(path).display().to_string();
    let seen = Mutex::new(HashSet::new());
    let (dir, listed) = open(root, None, &seen).ok()?;
    let dir = Arc::new(dir);

    let mut head = Vec::new();
    for name in ["requirements.toml", "expectations.toml"] {
        if listed.files.iter().any(|f| f == name) {
            head.push(source_file(name, Text::Disk(root.join(name))));
        }
    }
    if listed.folders.iter().any(|f| f == "profiles") {
        profiles(root, &dir, "profiles", &seen, &mut head).ok()?;
    }
    head.sort_by(|a, b| a.path.cmp(&b.path));
    let head = load_head(&head, &display, Some(schemas)).ok()?;
    let ctx = CaseContext {
        requirement_ids: &head.requirement_ids,
        expectations: &head.expectations,
        known_faults,
    };

    let jobs = listed
        .folders
        .into_iter()
        .filter(|f| f != "profiles")
        .map(|name| Job::Walk {
            parent: Arc::clone(&dir),
            rel: name.clone(),
            name,
        })
        .collect();
    let shared = Shared {
        queue: Mutex::new(Queue {
            jobs,
            busy: 0,
            idle: 0,
            gave_up: false,
        }),
        wake: Condvar::new(),
        seen,
        schemas,
        ctx: &ctx,
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut cases = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .map(|_| scope.spawn(|| shared.work()))
            .collect();
        let mut cases = shared.work();
        for helper in helpers {
            match helper.join() {
                Ok(more) => cases.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        cases
    });
    if shared.queue.lock().ok()?.gave_up {
        return None;
    }
    // Each worker sorted its own cases: a stable sort merges those runs.
    cases.sort_by(Case::suite_order);
    Some(Suite {
        name: head.name,
        source: root.display().to_string(),
        requirements: head.requirements,
        cases,
        expectations: head.expectations,
        profiles: head.profiles,
    })
}

/// The profile files below `profiles/`, walked on this thread (a handful).
fn profiles(
    root: &Path,
    parent: &Dir,
    rel: &str,
    seen: &Mutex<HashSet<FolderId>>,
    out: &mut Vec<super::load::SourceFile>,
) -> Result<(), GaveUp> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let (dir, listed) = open(Path::new(name), Some(parent), seen)?;
    for file in listed.files {
        let path = format!("{rel}/{file}");
        out.push(source_file(&path, Text::Disk(root.join(&path))));
    }
    for folder in listed.folders {
        profiles(root, &dir, &format!("{rel}/{folder}"), seen, out)?;
    }
    Ok(())
}

/// What a worker does next.
enum Job {
    /// Open the folder `name` of `parent` (at `rel` in the suite) and list it.
    Walk {
        parent: Arc<Dir>,
        name: String,
        rel: String,
    },
    /// Read and load these files of the folder `dir` (at `rel`).
    Load {
        dir: Arc<Dir>,
        rel: Arc<str>,
        names: Vec<String>,
    },
}

/// The jobs not yet taken, how many workers are running one or waiting
/// for one, and whether the load gave up.
struct Queue {
    jobs: Vec<Job>,
    busy: usize,
    idle: usize,
    gave_up: bool,
}

struct Shared<'a> {
    queue: Mutex<Queue>,
    /// Wakes a worker waiting for a job: a job was queued, or all is done.
    wake: Condvar,
    /// Every folder entered: one reached twice gives up.
    seen: Mutex<HashSet<FolderId>>,
    schemas: &'a Schemas,
    ctx: &'a CaseContext<'a>,
}

impl Shared<'_> {
    /// Runs jobs until none is left (or the load gave up); the cases
    /// loaded, sorted.
    fn work(&self) -> Vec<Case> {
        let _unwinding = Unwinding(self);
        let mut cases = Vec::new();
        let mut scratch = Scratch::default();
        let mut found = None;
        while let Some(job) = self.next(found) {
            found = Some(self.run(job, &mut cases, &mut scratch));
        }
        cases.sort_unstable_by(Case::suite_order);
        cases
    }

    /// Hands in what the last job found (more jobs, or that the load gives
    /// up; nothing on a worker's first call) and takes the next job; `None`
    /// once nothing is left to do.
    fn next(&self, found: Option<Result<Vec<Job>, GaveUp>>) -> Option<Job> {
        let mut queue = self.queue.lock().ok()?;
        if let Some(found) = found {
            queue.busy -= 1;
            match found {
                Ok(jobs) => queue.jobs.extend(jobs),
                Err(GaveUp) => queue.gave_up = true,
            }
        }
        loop {
            let done = queue.gave_up || (queue.jobs.is_empty() && queue.busy == 0);
            if queue.idle > 0 && (done || !queue.jobs.is_empty()) {
                self.wake.notify_all();
            }
            if done {
                return None;
            }
            if let Some(job) = queue.jobs.pop() {
                queue.busy += 1;
                return Some(job);
            }
            // Nothing queued, but a running job may queue more.
            queue.idle += 1;
            queue = self.wake.wait(queue).ok()?;
            queue.idle -= 1;
        }
    }

    fn run(
        &self,
        job: Job,
        cases: &mut Vec<Case>,
        scratch: &mut Scratch,
    ) -> Result<Vec<Job>, GaveUp> {
        match job {
            Job::Walk { parent, name, rel } => {
                let (dir, listed) = open(Path::new(&name), Some(&parent), &self.seen)?;
                let dir = Arc::new(dir);
                let rel: Arc<str> = rel.into();
                let mut jobs: Vec<Job> = listed
                    .folders
                    .into_iter()
                    .map(|name| Job::Walk {
                        parent: Arc::clone(&dir),
                        rel: format!("{rel}/{name}"),
                        name,
                    })
                    .collect();
                let mut files = listed.files;
                // This worker loads the first share; the others are there
                // for any worker to take.
                let first: Vec<String> = files.drain(..files.len().min(SHARE)).collect();
                while !files.is_empty() {
                    let rest = files.split_off(files.len().min(SHARE));
                    jobs.push(Job::Load {
                        dir: Arc::clone(&dir),
                        rel: Arc::clone(&rel),
                        names: std::mem::replace(&mut files, rest),
                    });
                }
                self.load(&dir, &rel, &first, cases, scratch)?;
                Ok(jobs)
            }
            Job::Load { dir, rel, names } => {
                self.load(&dir, &rel, &names, cases, scratch)?;
                Ok(Vec::new())
            }
        }
    }

    /// Reads and loads the case files `names` of the folder `dir` at `rel`.
    fn load(
        &self,
        dir: &Dir,
        rel: &str,
        names: &[String],
        cases: &mut Vec<Case>,
        scratch: &mut Scratch,
    ) -> Result<(), GaveUp> {
        let fd = dir.fd().map_err(|_| GaveUp)?;
        for name in names {
            let file = rustix::fs::openat(
                fd,
                name.as_str(),
                OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|_| GaveUp)?;
            scratch.bytes.clear();
            std::fs::File::from(file)
                .take(CONFIG_LIMIT + 1)
                .read_to_end(&mut scratch.bytes)
                .map_err(|_| GaveUp)?;
            if scratch.bytes.len() as u64 > CONFIG_LIMIT {
                return Err(GaveUp);
            }
            let text = std::str::from_utf8(&scratch.bytes).map_err(|_| GaveUp)?;
            scratch.path.clear();
            scratch.path.push_str(rel);
            scratch.path.push('/');
            scratch.path.push_str(name);
            let case =
                load_case(&scratch.path, text, Some(self.schemas), self.ctx).map_err(|_| GaveUp)?;
            cases.push(case);
        }
        Ok(())
    }
}

/// Stops every worker when one panics (its job would never finish, and
/// the others would wait for it); the panic then reaches the caller.
struct Unwinding<'a>(&'a Shared<'a>);

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = self.0.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.gave_up = true;
            self.0.wake.notify_all();
        }
    }
}

/// A worker's buffers, reused from file to file.
#[derive(Default)]
struct Scratch {
    bytes: Vec<u8>,
    path: String,
}

/// The entries of a folder that the load looks at.
struct Listed {
    /// Folders, and links to folders.
    folders: Vec<String>,
    /// Everything else named `*.toml`.
    files: Vec<String>,
}

/// Opens the folder `path` (relative to `parent` when given), records it
/// as seen and lists it. A folder seen before gives up.
fn open(
    path: &Path,
    parent: Option<&Dir>,
    seen: &Mutex<HashSet<FolderId>>,
) -> Result<(Dir, Listed), GaveUp> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let fd = match parent {
        Some(parent) => {
            rustix::fs::openat(parent.fd().map_err(|_| GaveUp)?, path, flags, Mode::empty())
        }
        None => rustix::fs::open(path, flags, Mode::empty()),
    }
    .map_err(|_| GaveUp)?;
    let stat = rustix::fs::fstat(&fd).map_err(|_| GaveUp)?;
    // The field types differ between platforms; both fit in a u64.
    #[allow(clippy::unnecessary_cast)]
    let id = (stat.st_dev as u64, stat.st_ino as u64);
    if !seen.lock().map_err(|_| GaveUp)?.insert(id) {
        return Err(GaveUp);
    }
    let mut dir = Dir::new(fd).map_err(|_| GaveUp)?;
    let mut listed = Listed {
        folders: Vec::new(),
        files: Vec::new(),
    };
    while let Some(entry) = dir.read() {
        let entry = entry.map_err(|_| GaveUp)?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        // The one-by-one load writes such a name its own way (`\` as `/`,
        // what is not UTF-8 replaced): it decides.
        let name = std::str::from_utf8(name).map_err(|_| GaveUp)?;
        if name.contains('\\') {
            return Err(GaveUp);
        }
        let fd = dir.fd().map_err(|_| GaveUp)?;
        let mut kind = entry.file_type();
        if kind == FileType::Unknown {
            // A file system without types in its entries: one `lstat`, as
            // the one-by-one walk does.
            let stat = rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW);
            kind = FileType::from_raw_mode(stat.map_err(|_| GaveUp)?.st_mode);
        }
        // A link is what it leads to; a broken link is a file.
        let is_dir = kind == FileType::Directory
            || (kind == FileType::Symlink
                && rustix::fs::statat(fd, name, AtFlags::empty())
                    .is_ok_and(|s| FileType::from_raw_mode(s.st_mode) == FileType::Directory));
        if is_dir {
            listed.folders.push(name.to_owned());
        } else if Path::new(name).extension().is_some_and(|e| e == "toml") {
            listed.files.push(name.to_owned());
        }
    }
    Ok((dir, listed))
}

#[cfg(test)]
mod tests {
    use super::super::load::load_one_by_one;
    use super::*;
    use crate::suite::SuiteSource;
    use std::fs;

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy_dir(&path, &target);
            } else {
                fs::copy(&path, &target).unwrap();
            }
        }
    }

    /// Every fault a case file below `dir` names under `catches`.
    fn faults_named(dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                faults_named(&path, out);
            } else if let Some(value) = fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.parse::<toml::Table>().ok())
            {
                if let Some(toml::Value::Array(catches)) = value.get("catches") {
                    out.extend(catches.iter().filter_map(|c| c.as_str().map(str::to_owned)));
                }
            }
        }
    }

    /// The default suite with every shape a walk meets that loads: a folder
    /// two deep (a case there is refused by its id), a family of more files
    /// than one share, a linked folder and a linked file, files that are
    /// not cases (not `.toml`, a dot file, a broken file at the top), a
    /// profile in a subfolder, and two files of one id (`get.toml` and
    /// `get.toml.toml`).
    fn every_shape() -> (tempfile::TempDir, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/getconnectinfo"),
            root,
        );
        let get = fs::read_to_string(root.join("method/get.toml")).unwrap();
        let with_id = |id: &str| get.replacen("id = \"method/get\"", &format!("id = \"{id}\""), 1);
        fs::create_dir(root.join("method/deeper")).unwrap();
        fs::write(root.join("method/deeper/notes.txt"), "not a case").unwrap();
        fs::create_dir(root.join("many")).unwrap();
        for i in 0..3 * SHARE + 5 {
            let id = format!("many/case-{i:03}");
            fs::write(root.join(format!("{id}.toml")), with_id(&id)).unwrap();
        }
        fs::write(root.join("method/get.toml.toml"), &get).unwrap();
        fs::write(root.join("method/notes.txt"), b"\xff not a case").unwrap();
        fs::write(root.join("method/.toml"), b"\xff a dot file").unwrap();
        fs::write(root.join("loose.toml"), "[").unwrap();
        fs::create_dir(root.join("profiles/more")).unwrap();
        fs::copy(
            root.join("profiles/cec-23.toml"),
            root.join("profiles/more/cec-23.toml"),
        )
        .unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        fs::create_dir(elsewhere.path().join("family")).unwrap();
        fs::write(
            elsewhere.path().join("family/get.toml"),
            with_id("linked/get"),
        )
        .unwrap();
        fs::write(elsewhere.path().join("file.toml"), with_id("method/linked")).unwrap();
        std::os::unix::fs::symlink(elsewhere.path().join("family"), root.join("linked")).unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path().join("file.toml"),
            root.join("method/linked.toml"),
        )
        .unwrap();
        (dir, elsewhere)
    }

    #[test]
    fn a_suite_folder_loads_as_the_one_by_one_load_loads_it() {
        let (dir, _elsewhere) = every_shape();
        let schemas = Schemas::embedded().unwrap();
        let mut faults = Vec::new();
        faults_named(dir.path(), &mut faults);
        let faults: Vec<&str> = faults.iter().map(String::as_str).collect();
        let fast = load_dir(dir.path(), &schemas, &faults).expect("the fast load finishes");
        let source = SuiteSource::Dir(dir.path().to_owned());
        let one_by_one = load_one_by_one(&source, &schemas, &faults).unwrap();
        assert_eq!(format!("{fast:?}"), format!("{one_by_one:?}"));
        assert!(fast.cases.len() > 3 * SHARE + 50, "{}", fast.cases.len());
        assert_eq!(fast.profiles.len(), 3);
        let ids: Vec<(&str, &str)> = fast
            .cases
            .iter()
            .filter(|c| c.id == "method/get")
            .map(|c| (c.id.as_str(), c.file.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("method/get", "method/get.toml"),
                ("method/get", "method/get.toml.toml")
            ]
        );
    }
}
