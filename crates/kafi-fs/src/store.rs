//! The object-store view of a storage root: immutable objects, atomic
//! create-if-absent, whole-object overwrite. Reads, listings and deletes go
//! through opendal; on the local file system, writes are done by hand
//! (temporary file + rename without replace / rename) because opendal's fs writer cannot
//! be both atomic and exclusive: its `if_not_exists` either writes in place
//! (a crash leaves a torn file) or checks before renaming (a race).

use std::io::{ErrorKind as IoErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use kafi_core::{Error, Result};
use opendal::{ErrorKind, Operator};

/// Where temporary files live, relative to the root (never a topic name,
/// since topics live under `topics/`).
const TMP_DIR: &str = ".tmp";

/// Temporary files older than this are left by killed writers and are
/// removed: a writer renames its temporary file within the time it takes
/// to write one buffer, never anywhere near this long.
pub(crate) const STALE_TMP_AGE: Duration = Duration::from_secs(3600);

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// An object store rooted at one directory or bucket prefix.
#[derive(Clone)]
pub(crate) struct Store {
    op: Operator,
    /// The root on the local file system, when the store is local.
    local_root: Option<PathBuf>,
    /// How the root is shown in messages (no credentials).
    display_root: String,
    /// Whether this process has swept stale temporary files yet.
    swept_tmp: Arc<AtomicBool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.display_root)
            .finish()
    }
}

impl Store {
    /// A store on the local file system below `root`.
    pub(crate) fn local(root: &Path) -> Result<Self> {
        let root = if root.is_absolute() {
            root.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|e| Error::backend("resolve", root.display(), e))?
                .join(root)
        };
        match std::fs::metadata(&root) {
            Ok(meta) if !meta.is_dir() => {
                return Err(Error::InvalidArgument(format!(
                    "the storage root {} is not a directory (root.dir must name a directory)",
                    root.display()
                )))
            }
            Ok(_) => {}
            // opendal creates a missing root.
            Err(e) if e.kind() == IoErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::backend(
                    "cannot open storage root",
                    root.display(),
                    e,
                ))
            }
        }
        let builder = opendal::services::Fs::default().root(&root.to_string_lossy());
        let op = Operator::new(builder)
            .map_err(|e| Error::backend("cannot open storage root", root.display(), describe(&e)))?
            .finish();
        Ok(Self {
            op,
            display_root: root.display().to_string(),
            local_root: Some(root),
            swept_tmp: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A store over any opendal operator whose service supports
    /// conditional writes (`If-None-Match: *`), e.g. S3 or Azure Blob.
    #[allow(dead_code)]
    pub(crate) fn remote(op: Operator, display_root: String) -> Self {
        Self {
            op,
            local_root: None,
            display_root,
            swept_tmp: Arc::new(AtomicBool::new(true)),
        }
    }

    /// `root/path` for messages.
    pub(crate) fn display(&self, path: &str) -> String {
        format!("{}/{}", self.display_root.trim_end_matches('/'), path)
    }

    fn err(
        &self,
        operation: &'static str,
        path: &str,
        e: impl Into<kafi_core::error::BoxError>,
    ) -> Error {
        Error::backend(operation, self.display(path), e)
    }

    fn op_err(&self, operation: &'static str, path: &str, e: opendal::Error) -> Error {
        Error::backend(operation, self.display(path), describe(&e))
    }

    /// Reads a whole object; `None` if it does not exist.
    pub(crate) async fn read(&self, path: &str) -> Result<Option<Bytes>> {
        if let Some(root) = &self.local_root {
            // One blocking task per read: opendal's fs reader takes several
            // hand-offs to the blocking pool, which dominates small reads.
            let file = root.join(path);
            return match tokio::task::spawn_blocking(move || std::fs::read(file)).await {
                Ok(Ok(data)) => Ok(Some(Bytes::from(data))),
                Ok(Err(e)) if e.kind() == IoErrorKind::NotFound => Ok(None),
                Ok(Err(e)) => Err(self.err("cannot read", path, e)),
                Err(e) => Err(self.err("cannot read", path, e)),
            };
        }
        match self.op.read(path).await {
            Ok(buf) => Ok(Some(buf.to_bytes())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.op_err("cannot read", path, e)),
        }
    }

    /// Whether an object exists.
    pub(crate) async fn exists(&self, path: &str) -> Result<bool> {
        match self.op.stat(path).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.op_err("cannot stat", path, e)),
        }
    }

    /// Size of an object in bytes.
    pub(crate) async fn size(&self, path: &str) -> Result<u64> {
        self.op
            .stat(path)
            .await
            .map(|m| m.content_length())
            .map_err(|e| self.op_err("cannot stat", path, e))
    }

    /// Names (not paths) of the entries directly below `dir`, sorted;
    /// directories end in `/`. A missing directory lists as empty.
    pub(crate) async fn list(&self, dir: &str) -> Result<Vec<String>> {
        let dir = format!("{}/", dir.trim_end_matches('/'));
        let entries = match self.op.list(&dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.op_err("cannot list", &dir, e)),
        };
        let mut names: Vec<String> = entries
            .into_iter()
            .filter(|e| e.path() != dir)
            .map(|e| e.name().to_owned())
            .collect();
        names.sort_unstable();
        Ok(names)
    }

    /// Creates `path` with `data` unless it exists; returns `false` if it
    /// existed. Readers see either nothing or the whole object.
    pub(crate) async fn put_if_absent(&self, path: &str, data: Bytes) -> Result<bool> {
        if let Some(root) = &self.local_root {
            let root = root.clone();
            let target = path.to_owned();
            let sweep = !self.swept_tmp.swap(true, Ordering::Relaxed);
            return tokio::task::spawn_blocking(move || {
                local_write(&root, &target, &data, true, sweep)
            })
            .await
            .map_err(|e| self.err("cannot write", path, e))?
            .map_err(|e| self.err("cannot write", path, e));
        }
        match self.op.write_with(path, data).if_not_exists(true).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::ConditionNotMatch => Ok(false),
            Err(e) => Err(self.op_err("cannot write", path, e)),
        }
    }

    /// Creates or replaces `path` atomically.
    pub(crate) async fn put(&self, path: &str, data: Bytes) -> Result<()> {
        if let Some(root) = &self.local_root {
            let root = root.clone();
            let target = path.to_owned();
            let sweep = !self.swept_tmp.swap(true, Ordering::Relaxed);
            return tokio::task::spawn_blocking(move || {
                local_write(&root, &target, &data, false, sweep)
            })
            .await
            .map_err(|e| self.err("cannot write", path, e))?
            .map(|_| ())
            .map_err(|e| self.err("cannot write", path, e));
        }
        self.op
            .write(path, data)
            .await
            .map(|_| ())
            .map_err(|e| self.op_err("cannot write", path, e))
    }

    /// Deletes one object (missing is fine).
    pub(crate) async fn delete(&self, path: &str) -> Result<()> {
        self.op
            .delete(path)
            .await
            .map_err(|e| self.op_err("cannot delete", path, e))
    }

    /// Deletes everything below `dir`.
    pub(crate) async fn delete_all(&self, dir: &str) -> Result<()> {
        let dir = format!("{}/", dir.trim_end_matches('/'));
        match self.op.remove_all(&dir).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.op_err("cannot delete", &dir, e)),
        }
    }
}

/// Writes `data` to a temporary file and moves it into place: when
/// `exclusive`, with a rename that fails if the target exists (so concurrent
/// writers never overwrite each other), else with a plain rename (atomic
/// replace).
///
/// With `sweep` (the first write of a process), first removes temporary
/// files older than [`STALE_TMP_AGE`], left behind by killed writers.
fn local_write(
    root: &Path,
    path: &str,
    data: &[u8],
    exclusive: bool,
    sweep: bool,
) -> std::io::Result<bool> {
    let target = root.join(path);
    let tmp_dir = root.join(TMP_DIR);
    if sweep {
        sweep_stale_tmp(&tmp_dir, STALE_TMP_AGE);
    }
    let tmp = tmp_dir.join(format!(
        "{}-{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = match std::fs::File::create(&tmp) {
        Ok(f) => f,
        Err(e) if e.kind() == IoErrorKind::NotFound => {
            std::fs::create_dir_all(&tmp_dir)?;
            std::fs::File::create(&tmp)?
        }
        Err(e) => return Err(e),
    };
    let written = file.write_all(data).and_then(|()| file.flush());
    drop(file);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let result = place(&tmp, &target, exclusive).or_else(|e| {
        if e.kind() == IoErrorKind::NotFound {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            place(&tmp, &target, exclusive)
        } else {
            Err(e)
        }
    });
    if result.is_err() || (exclusive && tmp.exists()) {
        let _ = std::fs::remove_file(&tmp);
    }
    match result {
        Ok(()) => Ok(true),
        Err(e) if exclusive && e.kind() == IoErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

fn place(tmp: &Path, target: &Path, exclusive: bool) -> std::io::Result<()> {
    if exclusive {
        exclusive_rename(tmp, target)
    } else {
        std::fs::rename(tmp, target)
    }
}

/// Moves `tmp` to `target` unless `target` exists (`AlreadyExists`). On
/// Linux one `renameat2(RENAME_NOREPLACE)`; elsewhere, or on file systems
/// without it, a hard link (the caller removes `tmp`).
fn exclusive_rename(tmp: &Path, target: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, tmp, CWD, target, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    std::fs::hard_link(tmp, target)
}

/// Removes the files in `tmp_dir` not modified for `age` (best effort).
fn sweep_stale_tmp(tmp_dir: &Path, age: Duration) {
    let Ok(entries) = std::fs::read_dir(tmp_dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let stale = meta.is_file()
            && meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|elapsed| elapsed >= age);
        if stale {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    tracing::debug!(path = %entry.path().display(), "removed a stale temporary file")
                }
                Err(e) => {
                    tracing::debug!(path = %entry.path().display(), "cannot remove a stale temporary file: {e}")
                }
            }
        }
    }
}

/// One line about an opendal error, without its internal context dump
/// (service, operation and path, which our messages already give): its
/// message and the underlying cause.
pub(crate) fn describe(e: &opendal::Error) -> String {
    // opendal's Debug starts with "<kind> (<status>) at <operation> => <message>".
    let debug = format!("{e:?}");
    let first_line = debug.lines().next().unwrap_or_default();
    let message = first_line
        .split_once(" => ")
        .map(|(_, m)| m.trim())
        .filter(|m| !m.is_empty());
    let kind = match e.kind() {
        ErrorKind::NotFound => "not found",
        ErrorKind::PermissionDenied => "permission denied",
        ErrorKind::IsADirectory => "is a directory",
        ErrorKind::NotADirectory => "not a directory",
        ErrorKind::AlreadyExists => "already exists",
        ErrorKind::RateLimited => "rate limited",
        ErrorKind::ConditionNotMatch => "condition not met",
        ErrorKind::Unsupported => "not supported",
        ErrorKind::ConfigInvalid => "invalid configuration",
        _ => "unexpected error",
    };
    let source = std::error::Error::source(e).map(|s| s.to_string());
    match (message, source) {
        (Some(m), Some(s)) => format!("{m}: {s}"),
        (Some(m), None) => m.to_owned(),
        (None, Some(s)) => s,
        (None, None) => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opendal_errors_are_described_without_their_context_dump() {
        let io = std::io::Error::new(IoErrorKind::NotFound, "Not a directory (os error 20)");
        let e = opendal::Error::new(
            ErrorKind::Unexpected,
            "canonicalize of root directory failed",
        )
        .with_operation("Builder::build")
        .with_context("root", "/secret/place")
        .set_source(io);
        let shown = describe(&e);
        assert_eq!(
            shown,
            "canonicalize of root directory failed: Not a directory (os error 20)"
        );
        let bare = opendal::Error::new(ErrorKind::PermissionDenied, "").with_operation("read");
        assert_eq!(describe(&bare), "permission denied");
    }

    #[test]
    fn only_stale_temporary_files_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("1-0.tmp");
        let new = dir.path().join("1-1.tmp");
        std::fs::write(&old, b"x").unwrap();
        std::fs::write(&new, b"y").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(7200))
            .unwrap();
        sweep_stale_tmp(dir.path(), STALE_TMP_AGE);
        assert!(!old.exists());
        assert!(new.exists());
    }
}
