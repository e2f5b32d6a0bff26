//! Ctrl-C. The first SIGINT (or SIGTERM) asks the running command to stop cleanly: no
//! new file starts, and every copy in flight fails at its next chunk, so its atomic write
//! leaves no object, no temp file and no multipart upload behind; the tool then exits 130.
//! A second signal ends the process at once.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The exit code after an interrupt (128 + SIGINT, as shells report it).
pub(crate) const EXIT_CODE: u8 = 130;

/// The flag the handlers set, shared with the transfer crate (`cancel_on`).
pub(crate) fn flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    Arc::clone(FLAG.get_or_init(|| Arc::new(AtomicBool::new(false))))
}

/// Whether a signal asked the tool to stop.
pub(crate) fn interrupted() -> bool {
    flag().load(Ordering::SeqCst)
}

/// Installs the handlers, on a thread of their own (tokio's signal streams, so the tool
/// holds no unsafe code), and returns once they are in place, so a Ctrl-C at any point of
/// the command stops it cleanly. Failing to install them only loses the clean stop.
pub(crate) fn install() {
    let flag = flag();
    // Dropped by the thread once the handlers are registered (or could not be).
    let (ready, installed) = std::sync::mpsc::sync_channel::<()>(0);
    let spawned = std::thread::Builder::new()
        .name("rstore-signals".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build();
            let Ok(runtime) = runtime else { return };
            runtime.block_on(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    return;
                };
                drop(ready);
                loop {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                    if flag.swap(true, Ordering::SeqCst) {
                        // The second signal: stop now, as a shell user expects.
                        std::process::exit(i32::from(EXIT_CODE));
                    }
                }
            });
        });
    match spawned {
        // `Err` once the sender is dropped: registered, or given up.
        Ok(_) => while installed.recv().is_ok() {},
        Err(e) => tracing::debug!(error = %e, "no signal thread: Ctrl-C stops at once"),
    }
}

/// The error a read returns once interrupted: the store error inside an I/O error, so
/// whatever reports it (`Error::from_io` unwraps it) shows its message.
pub(crate) fn error() -> io::Error {
    remote_store::Error::new(remote_store::ErrorKind::Other)
        .with_message("interrupted (Ctrl-C): the copy was stopped and nothing of it was kept")
        .into_io()
}

/// A reader that fails once the tool is interrupted, so the write it feeds is abandoned.
pub(crate) struct Checked<R>(pub(crate) R);

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        checked(self.0.read(buf))
    }
}

/// The outcome of a read, unless the tool was interrupted before or during it. Checked
/// after the read too: a pipe whose writer died of the same Ctrl-C ends (`Ok(0)`), and
/// that end must not commit a cut-off copy as complete.
pub(crate) fn checked(read: io::Result<usize>) -> io::Result<usize> {
    if interrupted() {
        return Err(error());
    }
    read
}
