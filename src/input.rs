//! One bounded reader for every file the user names (`--guid-file`,
//! `--ca-cert`, `--client-cert`, `--client-key`, `--expect`, `--baseline`,
//! suite files): at most a stated number of bytes is read, so `/dev/zero` or
//! a huge file ends in a message naming the file and the limit, never in an
//! exhausted memory.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Limit of a Guid file.
pub const GUID_FILE_LIMIT: u64 = 64 * 1024;
/// Limit of a PEM file (certificate, key or bundle).
pub const PEM_LIMIT: u64 = 1024 * 1024;
/// Limit of an expectation file or a suite file.
pub const CONFIG_LIMIT: u64 = 1024 * 1024;
/// Limit of a baseline `report.json`.
pub const REPORT_LIMIT: u64 = 256 * 1024 * 1024;

/// A file could not be read, or is larger than its limit.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The OS refused (missing, a folder, no permission).
    #[error("read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// More bytes than the limit.
    #[error("read {}: larger than the limit of {}", path.display(), human(*limit))]
    TooLarge { path: PathBuf, limit: u64 },
    /// Not UTF-8 where text is needed.
    #[error("read {}: not UTF-8 text ({source})", path.display())]
    NotText {
        path: PathBuf,
        #[source]
        source: std::string::FromUtf8Error,
    },
}

impl ReadError {
    /// As an `io::Error` for error types that hold one: the OS error itself,
    /// or the limit or encoding problem as its message.
    pub fn into_io(self) -> std::io::Error {
        match self {
            ReadError::Io { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        }
    }
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 && b % (1024 * 1024) == 0 => format!("{} MiB", b / (1024 * 1024)),
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

/// Reads at most `limit` bytes of `path`; more is an error.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    if file.metadata().map_err(io)?.is_dir() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a folder, not a file",
        )));
    }
    read_open(file, path, limit)
}

/// [`read_capped`] as UTF-8 text, for a path already known not to be a
/// folder (a walk's directory entry said so): no `stat` before the read.
pub fn read_file_text_capped(path: &Path, limit: u64) -> Result<String, ReadError> {
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    text(read_open(file, path, limit)?, path)
}

/// Most user files are small: one read fills this, the next finds the end.
const FIRST_READ: usize = 8 * 1024;

fn read_open(file: std::fs::File, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::with_capacity(FIRST_READ.min(limit as usize + 1));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(bytes)
}

fn text(bytes: Vec<u8>, path: &Path) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|source| ReadError::NotText {
        path: path.to_owned(),
        source,
    })
}

/// [`read_capped`] as UTF-8 text.
pub fn read_text_capped(path: &Path, limit: u64) -> Result<String, ReadError> {
    text(read_capped(path, limit)?, path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn dev_zero_ends_at_the_limit() {
        let err = read_capped(Path::new("/dev/zero"), 1024).unwrap_err();
        assert_eq!(
            err.to_string(),
            "read /dev/zero: larger than the limit of 1 KiB"
        );
    }
}
