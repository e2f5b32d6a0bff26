//! [`Writer`]: a streaming write as a `std::io::Write`.
//!
//! The writer is built once, over the store's own streamed write, so it works on every
//! backend: [`Store::writer`](crate::Store::writer) starts `write_with` (or
//! `write_atomic_with`) on a thread of its own with a [`Content::reader`](crate::Content)
//! that pulls chunks from a bounded channel, and the writer feeds that channel. `finish`
//! ends the content and waits for the write's result; dropping the writer (or `abort`)
//! makes the content fail, so the write fails — and a failed write leaves no object and
//! no temp file (an atomic one also keeps the old content), on every backend.

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use bytes::{Bytes, BytesMut};
use remote_store_core::plan::Plan;
use remote_store_core::plan::writer::{self, CHUNK, QUEUE};
use remote_store_core::{Error, ErrorKind, Operation, Result, WriteResult};

/// What travels from the writer to its write.
enum Msg {
    Data(Bytes),
    End,
}

/// The write's side of the channel: a `Read` that ends at [`Msg::End`] and fails when the
/// writer went away without sending it.
struct ChannelReader {
    rx: Receiver<Msg>,
    current: Bytes,
    ended: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Msg::Data(chunk)) => self.current = chunk,
                Ok(Msg::End) => self.ended = true,
                Err(_) => return Err(io::Error::other(writer::ABORTED)),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// A channel from a writer to a write's content: at most [`QUEUE`] chunks wait in it.
fn pipe() -> (SyncSender<Msg>, ChannelReader) {
    let (tx, rx) = sync_channel(QUEUE);
    let reader = ChannelReader {
        rx,
        current: Bytes::new(),
        ended: false,
    };
    (tx, reader)
}

/// The background write a [`Writer`] feeds.
type Task = JoinHandle<Result<WriteResult>>;

/// A streaming write to one path, returned by [`Store::writer`](crate::Store::writer) and
/// [`Store::atomic_writer`](crate::Store::atomic_writer): write to it with
/// [`std::io::Write`], then [`finish`](Self::finish) to commit and get the
/// [`WriteResult`].
///
/// - **Nothing is committed before `finish`.** Dropping the writer or calling
///   [`abort`](Self::abort) fails the write: no object and no temp file is left (the write
///   fails like a write whose source fails; both wait for that to be done), and an atomic
///   writer leaves the old content intact. Where a plain write overwrites in place (local,
///   SFTP with `overwrite`), the old content may already be partly replaced; use an atomic
///   writer when it must survive.
/// - **Memory stays bounded**: small writes are gathered into chunks of 256 KiB, and at
///   most two chunks wait for the backend, whatever the size of the object (the backend's
///   own buffering, such as multipart parts, comes on top, as for any streamed write).
/// - **Errors** of the write (a refused path, `AlreadyExists` without `overwrite`, a lost
///   connection) surface on the next `write` or `flush` and at the latest on `finish`,
///   with the store's context (backend, operation, path); every later call fails too.
///
/// The write runs on a thread of its own for the writer's lifetime.
///
/// ```
/// # fn demo(store: remote_store_sync::Store) -> remote_store_core::Result<()> {
/// use std::io::Write;
///
/// let mut w = store.writer("logs/today.csv")?;
/// for i in 0..1000 {
///     writeln!(w, "{i},ok").map_err(remote_store_core::Error::from_io)?;
/// }
/// let result = w.finish()?;
/// assert!(result.size > 0);
/// # Ok(()) }
/// ```
pub struct Writer {
    tx: Option<SyncSender<Msg>>,
    buf: BytesMut,
    task: Option<Task>,
    failed: Option<Error>,
    path: String,
    op: Operation,
    plan: Arc<Plan>,
}

impl Writer {
    /// Starts `write` on a thread of its own, fed by a new writer. `write` gets the
    /// content; it runs the store's streamed write and returns its result.
    pub(crate) fn start(
        plan: Arc<Plan>,
        path: &str,
        op: Operation,
        write: impl FnOnce(ChannelContent) -> Result<WriteResult> + Send + 'static,
    ) -> Result<Writer> {
        let (tx, reader) = pipe();
        let task = std::thread::Builder::new()
            .name("remote-store-writer".into())
            .spawn(move || write(ChannelContent(reader)))
            .map_err(|e| plan.stamp(op, Error::from_io(e).with_path(path)))?;
        Ok(Writer {
            tx: Some(tx),
            buf: BytesMut::new(),
            task: Some(task),
            failed: None,
            path: path.to_owned(),
            op,
            plan,
        })
    }

    /// Commits: sends what is buffered, ends the content and waits for the write. Returns
    /// its [`WriteResult`] (with the true size).
    ///
    /// # Errors
    /// The write's error (`AlreadyExists` without `overwrite`, `InvalidPath`, the backend's
    /// failure), or the error an earlier call already reported.
    pub fn finish(mut self) -> Result<WriteResult> {
        if let Some(e) = &self.failed {
            return Err(writer::failed_again(e));
        }
        self.push().and_then(|()| self.end())
    }

    /// Gives up: the write fails, leaving no object and no temp file (an atomic writer
    /// keeps the old content). Returns once the backend has cleaned up. The same as
    /// dropping the writer, said out loud.
    pub fn abort(self) {
        drop(self);
    }

    /// Sends [`Msg::End`] and waits for the write's result.
    fn end(&mut self) -> Result<WriteResult> {
        let tx = self.tx.take();
        let sent = tx.as_ref().map(|tx| tx.send(Msg::End));
        drop(tx);
        let outcome = self.join();
        if sent.is_some_and(|s| s.is_err()) && outcome.is_ok() {
            // The write ended without reading the end of its content.
            return Err(self.own(writer::ended_early(&self.path, self.op)));
        }
        outcome
    }

    /// The write's outcome, once its thread has returned.
    fn join(&mut self) -> Result<WriteResult> {
        match self.task.take().map(JoinHandle::join) {
            Some(Ok(outcome)) => outcome,
            Some(Err(_)) => Err(self.own(
                Error::new(ErrorKind::Other)
                    .with_message("the write's thread panicked")
                    .with_path(self.path.as_str()),
            )),
            None => Err(self.own(writer::closed_writer(&self.path, self.op))),
        }
    }

    /// Sends the buffered chunk, if any. When the write has ended (it stopped reading), its
    /// error is the answer, kept for every later call.
    fn push(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = self.buf.split().freeze();
        let sent = match &self.tx {
            Some(tx) => tx.send(Msg::Data(chunk)).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        self.tx = None;
        let err = match self.join() {
            Err(e) => e,
            Ok(_) => self.own(writer::ended_early(&self.path, self.op)),
        };
        self.failed = Some(writer::failed_again(&err));
        Err(err)
    }

    /// An error of the writer itself, with the store's context like the write's own.
    fn own(&self, err: Error) -> Error {
        self.plan.stamp(self.op, err)
    }

    fn check(&self) -> io::Result<()> {
        match &self.failed {
            Some(e) => Err(writer::failed_again(e).into_io()),
            None => Ok(()),
        }
    }
}

impl io::Write for Writer {
    /// Buffers up to one chunk; a full chunk is handed to the write first (blocking while
    /// the channel is full).
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.check()?;
        if self.buf.len() >= CHUNK {
            self.push().map_err(Error::into_io)?;
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    /// Hands the buffered bytes to the write. Nothing is committed before
    /// [`finish`](Writer::finish).
    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        self.push().map_err(Error::into_io)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel without `End` fails the content, so the write fails and
        // cleans up; waiting for it means nothing is left once the drop returns.
        self.tx = None;
        if let Some(task) = self.task.take() {
            let _ = task.join();
        }
    }
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.path)
            .field("operation", &self.op)
            .field("buffered", &self.buf.len())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// The content a writer's write consumes (a `Read` over the channel).
pub(crate) struct ChannelContent(ChannelReader);

impl ChannelContent {
    /// As the `Read` a streamed write takes.
    pub(crate) fn into_reader(self) -> impl Read + Send + 'static {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    fn plan() -> Arc<Plan> {
        let caps = remote_store_core::CapabilitySet::all();
        Arc::new(Plan::new(remote_store_core::RemotePath::ROOT, caps, "test"))
    }

    /// A writer whose write reads nothing until `go` is set, then everything.
    fn stalled(go: Arc<AtomicBool>) -> Writer {
        Writer::start(plan(), "a.bin", Operation::Write, move |content| {
            while !go.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
            let mut all = Vec::new();
            content
                .into_reader()
                .read_to_end(&mut all)
                .map_err(Error::from_io)?;
            Ok(WriteResult::basic(
                remote_store_core::RemotePath::new("a.bin")?,
                all.len() as u64,
            ))
        })
        .unwrap()
    }

    #[test]
    fn a_stalled_write_holds_at_most_the_queue_and_one_chunk() {
        let go = Arc::new(AtomicBool::new(false));
        let mut w = stalled(go.clone());
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        let feeder = std::thread::spawn(move || {
            let block = vec![7u8; 4096];
            for _ in 0..(20 << 20) / block.len() {
                w.write_all(&block).unwrap();
                counter.fetch_add(block.len(), Ordering::SeqCst);
            }
            w.finish()
        });
        std::thread::sleep(Duration::from_millis(300));
        let held = accepted.load(Ordering::SeqCst);
        // The buffer being filled plus the queued chunks, and not one byte more.
        assert!(
            held <= CHUNK * (QUEUE + 1),
            "{held} bytes accepted while the write read nothing"
        );
        assert!(held >= CHUNK * QUEUE, "the queue was not used: {held}");
        go.store(true, Ordering::SeqCst);
        let result = feeder.join().unwrap().unwrap();
        assert_eq!(result.size, 20 << 20);
    }

    #[test]
    fn a_dropped_writer_fails_its_content() {
        let (tx, mut reader) = pipe();
        tx.send(Msg::Data(Bytes::from_static(b"abc"))).unwrap();
        drop(tx);
        let mut buf = [0u8; 8];
        assert_eq!(reader.read(&mut buf).unwrap(), 3);
        let e = reader.read(&mut buf).unwrap_err();
        assert!(e.to_string().contains("before finish"), "{e}");
    }

    #[test]
    fn an_early_failure_surfaces_on_the_next_write_and_stays() {
        let mut w = Writer::start(plan(), "a.bin", Operation::Write, |_content| {
            Err(Error::already_exists("a.bin"))
        })
        .unwrap();
        let big = vec![0u8; CHUNK * 4];
        let e = w.write_all(&big).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        let again = w.write(b"x").unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
        let at_finish = w.finish().unwrap_err();
        assert_eq!(
            at_finish.kind(),
            remote_store_core::ErrorKind::AlreadyExists
        );
    }
}
