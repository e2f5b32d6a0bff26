//! Lazy directory walks: one `READDIR` page (about a hundred names on OpenSSH) at a time.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::stream::{BoxStream, StreamExt};
use remote_store_core::{Entry, FileInfo, FolderEntry, RemotePath, Result};
use russh_sftp::protocol::{FileAttributes, StatusCode};

use crate::connection::{HandlePermit, Lease};
use crate::error::{map_sftp, status_of};
use crate::inner::Inner;
use crate::paths::TEMP_PREFIX;
use crate::transfer::close_later;

/// What a file-system object is, from its mode bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

/// The kind of object `attrs` describe (by `S_IFMT`, which russh-sftp's helpers get wrong
/// for symlinks and sockets).
pub(crate) fn kind(attrs: &FileAttributes) -> Kind {
    match attrs.permissions.map(|p| p & 0o170_000) {
        Some(0o040_000) => Kind::Dir,
        Some(0o100_000) => Kind::File,
        Some(0o120_000) => Kind::Symlink,
        _ => Kind::Other,
    }
}

/// The file info of a regular file.
pub(crate) fn file_info(key: RemotePath, attrs: &FileAttributes) -> FileInfo {
    FileInfo::new(key, attrs.size.unwrap_or(0), modified(attrs)).with_etag(etag(attrs))
}

/// The etag of a file: its modification time (whole seconds, all SFTP v3 carries) and size
/// in hex (`"<mtime>-<size>"`); `None` when the server left either out. A weak tag: two
/// writes of the same size within one second share it, so `if_match` over SFTP only tells
/// apart versions a second or a size apart.
pub(crate) fn etag(attrs: &FileAttributes) -> Option<String> {
    Some(format!("{:x}-{:x}", attrs.mtime?, attrs.size?))
}

/// The modification time in `attrs`, `None` when the server sent none.
pub(crate) fn modified(attrs: &FileAttributes) -> Option<SystemTime> {
    attrs
        .mtime
        .map(|t| UNIX_EPOCH + Duration::from_secs(u64::from(t)))
}

/// What a walk yields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want {
    pub(crate) files: bool,
    pub(crate) folders: bool,
    pub(crate) recursive: bool,
}

struct Walk {
    inner: Arc<Inner>,
    want: Want,
    lease: Option<Arc<Lease>>,
    /// Folders still to read.
    pending: Vec<RemotePath>,
    /// The folder being read and its handle.
    current: Option<(RemotePath, String)>,
    /// Held while `current`'s handle is open.
    permit: Option<HandlePermit>,
    ready: VecDeque<Entry>,
    done: bool,
}

impl Walk {
    async fn next_entry(&mut self) -> Option<Result<Entry>> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                return Some(Ok(entry));
            }
            if self.done {
                return None;
            }
            match self.step().await {
                Ok(()) => {}
                Err(e) => {
                    self.stop();
                    return Some(Err(e));
                }
            }
        }
    }

    fn stop(&mut self) {
        self.done = true;
        if let (Some(lease), Some((_, handle))) = (&self.lease, self.current.take()) {
            close_later(lease, handle, self.permit.take());
        }
    }

    /// Reads one more page (or opens the next folder).
    async fn step(&mut self) -> Result<()> {
        let lease = match &self.lease {
            Some(lease) => lease.clone(),
            None => {
                let lease = Arc::new(self.inner.lease().await?);
                self.lease = Some(lease.clone());
                lease
            }
        };
        let raw = lease.raw().clone();
        let Some((dir, handle)) = self.current.clone() else {
            let Some(dir) = self.pending.pop() else {
                self.done = true;
                return Ok(());
            };
            let native = self.inner.paths.native(&dir);
            let permit = lease.handle_permit().await?;
            match lease.run(raw.opendir(native)).await {
                Ok(h) => {
                    self.current = Some((dir, h.handle));
                    self.permit = Some(permit);
                }
                // Missing, or not a folder (ENOTDIR maps to NoSuchFile): lists as empty;
                // unless the base itself is gone (removed after it was checked), which is
                // an error, never an empty store.
                Err(e) if status_of(&e) == Some(StatusCode::NoSuchFile) => {
                    self.inner.check_base_still_there(&lease).await?;
                }
                Err(e) => return Err(map_sftp(e, dir.as_str())),
            }
            return Ok(());
        };
        let page = match lease.run(raw.readdir(handle.clone())).await {
            Ok(page) => page,
            Err(e) if status_of(&e) == Some(StatusCode::Eof) => {
                self.current = None;
                close_later(&lease, handle, self.permit.take());
                return Ok(());
            }
            Err(e) => return Err(map_sftp(e, dir.as_str())),
        };
        for file in page.files {
            let name = file.filename;
            if name == "." || name == ".." || name.starts_with(TEMP_PREFIX) {
                continue;
            }
            // A backslash would be read as a separator (`a\b` listed as `a/b`, a file that
            // does not exist); control characters and the like are refused by `join`.
            // A name that is not UTF-8 arrives decoded lossily (U+FFFD in place of its
            // bytes): a key that names no file, and two names may collapse into one.
            let key = match dir.join(&name) {
                Ok(key) if !name.contains(['\\', '/', char::REPLACEMENT_CHARACTER]) => key,
                _ => {
                    if self.want.files {
                        skipped(
                            dir.as_str(),
                            &name,
                            "its name cannot be a store key (a backslash, a control character, \
                             or bytes that are not UTF-8)",
                        );
                    }
                    continue;
                }
            };
            let mut attrs = file.attrs;
            if kind(&attrs) == Kind::Symlink {
                // Follow links, as `stat` does for the probes — but a recursive walk does not
                // enter a link to a folder (as on local): a link to an ancestor would never
                // end, and a tree moved or deleted through the listing would reach the files
                // the link leads to, outside the tree.
                match lease.run(raw.stat(self.inner.paths.native(&key))).await {
                    Ok(a) if self.want.recursive && kind(&a.attrs) == Kind::Dir => {
                        skipped(
                            dir.as_str(),
                            &name,
                            "a link to a folder, which recursive listings do not follow (the \
                             files below it are not listed)",
                        );
                        continue;
                    }
                    Ok(a) => attrs = a.attrs,
                    Err(e) if status_of(&e) == Some(StatusCode::NoSuchFile) => {
                        if self.want.files {
                            skipped(dir.as_str(), &name, "a broken link");
                        }
                        continue;
                    }
                    Err(e) => return Err(map_sftp(e, key.as_str())),
                }
            }
            match kind(&attrs) {
                Kind::Dir => {
                    if self.want.recursive {
                        self.pending.push(key.clone());
                    }
                    if self.want.folders {
                        self.ready.push_back(Entry::Folder(FolderEntry::new(key)));
                    }
                }
                Kind::File if self.want.files => {
                    self.ready.push_back(Entry::File(file_info(key, &attrs)));
                }
                Kind::File => {}
                _ if self.want.files => skipped(
                    dir.as_str(),
                    &name,
                    "not a regular file or folder (a FIFO, socket or device)",
                ),
                _ => {}
            }
        }
        Ok(())
    }
}

impl Drop for Walk {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A lazy walk of `dir` (and its subtree when `want.recursive`).
pub(crate) fn walk(
    inner: Arc<Inner>,
    dir: RemotePath,
    want: Want,
) -> BoxStream<'static, Result<Entry>> {
    let state = Walk {
        inner,
        want,
        lease: None,
        pending: vec![dir],
        current: None,
        permit: None,
        ready: VecDeque::new(),
        done: false,
    };
    futures::stream::unfold(state, |mut state| async move {
        let item = state.next_entry().await?;
        Some((item, state))
    })
    .fuse()
    .boxed()
}

/// Every name directly in the server directory `native` (for recursive deletes), with
/// attributes as `READDIR` reports them (links not followed).
pub(crate) async fn read_all(
    lease: &Lease,
    native: &str,
    key: &str,
) -> Result<Vec<(String, FileAttributes)>> {
    let raw = lease.raw().clone();
    let _permit = lease.handle_permit().await?;
    let handle = lease
        .run(raw.opendir(native.to_owned()))
        .await
        .map_err(|e| map_sftp(e, key))?
        .handle;
    let mut names = Vec::new();
    let result = loop {
        match lease.run(raw.readdir(handle.clone())).await {
            Ok(page) => names.extend(
                page.files
                    .into_iter()
                    .filter(|f| f.filename != "." && f.filename != "..")
                    .map(|f| (f.filename, f.attrs)),
            ),
            Err(e) if status_of(&e) == Some(StatusCode::Eof) => break Ok(names),
            Err(e) => break Err(map_sftp(e, key)),
        }
    };
    let _ = lease.run(raw.close(handle)).await;
    result
}

/// Says that the entry `name` of the folder `folder` is left out of a listing of files, and
/// why: a tree copied through the store would otherwise lose it without a word.
fn skipped(folder: &str, name: &str, why: &str) {
    tracing::warn!(
        target: "remote_store",
        folder = %folder.escape_debug(),
        name = %name.escape_debug(),
        "sftp: an entry is left out of the listing: {why}"
    );
}
