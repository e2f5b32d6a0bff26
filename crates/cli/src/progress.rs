//! Progress bars: one per file in flight and one for the total (bytes, bytes/s, ETA), on
//! stderr, only when stderr is a terminal. `RSTORE_PROGRESS=always` draws them on any
//! stderr (tests, `script` recordings).

use std::collections::HashMap;
use std::io::{self, IsTerminal, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

/// The variable that forces progress bars onto a stderr that is not a terminal.
pub(crate) const FORCE_VAR: &str = "RSTORE_PROGRESS";

/// Whether `-P` draws anything: stderr is a terminal, or `RSTORE_PROGRESS=always`.
pub(crate) fn wanted(flag: bool) -> Option<ProgressDrawTarget> {
    if !flag {
        return None;
    }
    if std::env::var(FORCE_VAR).is_ok_and(|v| v == "always") {
        return Some(ProgressDrawTarget::term_like_with_hz(
            Box::new(PlainStderr),
            20,
        ));
    }
    io::stderr()
        .is_terminal()
        .then(|| ProgressDrawTarget::stderr_with_hz(10))
}

/// Progress of one multi-file operation (hidden when bars are not wanted).
pub(crate) struct Progress {
    bars: Option<Bars>,
}

struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    files: u64,
    done: AtomicU64,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("shown", &self.bars.is_some())
            .finish()
    }
}

impl Progress {
    /// Nothing drawn.
    pub(crate) fn hidden() -> Self {
        Progress { bars: None }
    }

    /// Bars for `files` files of `bytes` bytes in all, drawn on `target` (from
    /// [`wanted`]); hidden for `None`.
    pub(crate) fn new(target: Option<ProgressDrawTarget>, files: u64, bytes: u64) -> Self {
        let Some(target) = target else {
            return Self::hidden();
        };
        let multi = MultiProgress::with_draw_target(target);
        let total = multi.add(ProgressBar::new(bytes));
        total.set_style(style(
            "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
        ));
        total.set_prefix("total");
        total.set_message(format!("0/{files} files"));
        total.enable_steady_tick(Duration::from_millis(200));
        Progress {
            bars: Some(Bars {
                multi,
                total,
                files,
                done: AtomicU64::new(0),
            }),
        }
    }

    /// A bar for one file of `size` bytes; its counting reader feeds both bars.
    pub(crate) fn file(&self, name: &str, size: u64) -> FileProgress {
        let Some(bars) = &self.bars else {
            return FileProgress { bars: None };
        };
        let bar = bars
            .multi
            .insert_before(&bars.total, ProgressBar::new(size));
        bar.set_style(style(
            "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
        ));
        bar.set_prefix("file");
        bar.set_message(shorten(name, 40));
        FileProgress {
            bars: Some((bar, bars.total.clone())),
        }
    }

    /// Counts one finished file (done or failed) on the total bar.
    pub(crate) fn file_done(&self) {
        if let Some(bars) = &self.bars {
            let done = bars.done.fetch_add(1, Ordering::Relaxed) + 1;
            bars.total
                .set_message(format!("{done}/{} files", bars.files));
        }
    }

    /// Runs `f` (which prints) with the bars out of the way.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bars {
            Some(bars) => bars.multi.suspend(f),
            None => f(),
        }
    }

    /// Removes the bars (the command's summary line says how it went).
    pub(crate) fn finish(&self) {
        if let Some(bars) = &self.bars {
            bars.total.finish_and_clear();
            let _ = bars.multi.clear();
        }
    }
}

/// The bars of one file in flight.
pub(crate) struct FileProgress {
    bars: Option<(ProgressBar, ProgressBar)>,
}

impl FileProgress {
    /// A reader that advances the bars by what it reads.
    pub(crate) fn reader<R: Read>(&self, inner: R) -> Counting<R> {
        Counting {
            inner,
            bars: self.bars.clone(),
        }
    }

    /// Advances the bars by `n` bytes moved without a reader (a server-side copy).
    pub(crate) fn add(&self, n: u64) {
        if let Some((bar, total)) = &self.bars {
            bar.inc(n);
            total.inc(n);
        }
    }
}

impl Drop for FileProgress {
    fn drop(&mut self) {
        if let Some((bar, _)) = &self.bars {
            bar.finish_and_clear();
        }
    }
}

/// The bars fed by a transfer of the transfer crate (`copy_between`): a file bar from
/// `file_started` to `file_finished`, both bars advanced as bytes move.
pub(crate) struct TransferBars {
    progress: Arc<Progress>,
    files: Mutex<HashMap<String, FileProgress>>,
}

impl TransferBars {
    /// Feeds `progress`.
    pub(crate) fn new(progress: Arc<Progress>) -> Self {
        TransferBars {
            progress,
            files: Mutex::new(HashMap::new()),
        }
    }

    fn files(&self) -> std::sync::MutexGuard<'_, HashMap<String, FileProgress>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl remote_store::transfer::Progress for TransferBars {
    fn file_started(&self, file: &str, size: u64) {
        let bar = self.progress.file(file, size);
        self.files().insert(file.to_owned(), bar);
    }

    fn bytes(&self, file: &str, n: u64, _now: remote_store::transfer::Snapshot) {
        if let Some(bar) = self.files().get(file) {
            bar.add(n);
        }
    }

    fn file_finished(
        &self,
        file: &str,
        _outcome: remote_store::transfer::FileOutcome<'_>,
        _now: remote_store::transfer::Snapshot,
    ) {
        self.files().remove(file);
        self.progress.file_done();
    }
}

/// A reader feeding the progress bars.
pub(crate) struct Counting<R> {
    inner: R,
    bars: Option<(ProgressBar, ProgressBar)>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Every copy's source goes through here: an interrupt abandons the write it feeds.
        if crate::interrupt::interrupted() {
            return Err(crate::interrupt::error());
        }
        let n = crate::interrupt::checked(self.inner.read(buf))?;
        if let Some((bar, total)) = &self.bars {
            bar.inc(n as u64);
            total.inc(n as u64);
        }
        Ok(n)
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// `name` cut to its last `max` characters.
fn shorten(name: &str, max: usize) -> String {
    let count = name.chars().count();
    if count <= max {
        return name.to_owned();
    }
    let tail: String = name.chars().skip(count - max + 1).collect();
    format!("…{tail}")
}

/// stderr as a terminal of 100 columns, whatever it really is (`RSTORE_PROGRESS=always`).
#[derive(Debug)]
struct PlainStderr;

impl PlainStderr {
    fn put(&self, s: &str) -> io::Result<()> {
        io::stderr().lock().write_all(s.as_bytes())
    }
}

impl TermLike for PlainStderr {
    fn width(&self) -> u16 {
        100
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.put(&format!("\x1b[{n}A"))
        } else {
            Ok(())
        }
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.put(&format!("\x1b[{n}B"))
        } else {
            Ok(())
        }
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.put(&format!("\x1b[{n}C"))
        } else {
            Ok(())
        }
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.put(&format!("\x1b[{n}D"))
        } else {
            Ok(())
        }
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.put(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.put(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.put("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_progress_counts_nothing_and_passes_bytes_through() {
        let p = Progress::new(None, 1, 5);
        let f = p.file("a", 5);
        let mut out = Vec::new();
        f.reader(&b"hello"[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hello");
        p.file_done();
        p.finish();
    }

    #[test]
    fn long_names_keep_their_end() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdefgh", 5), "…efgh");
    }
}
