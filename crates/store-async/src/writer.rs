//! [`AsyncWriter`]: a streaming write as a `tokio::io::AsyncWrite` (and a
//! `futures::Sink<Bytes>`).
//!
//! The writer owns the future of the store's own streamed write (`write_with` or
//! `write_atomic_with`) over a stream that pulls chunks from a bounded channel, and polls
//! that future itself from `poll_write`, `poll_flush` and `poll_shutdown` whenever the
//! channel is full — no task is spawned while it runs. Shutting down ends the stream and
//! drives the write to its result; dropping the writer (or `abort`) makes the stream fail,
//! so the write fails, and a failed write leaves no object and no temp file.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::{Sink, Stream, StreamExt};
use remote_store_core::plan::Plan;
use remote_store_core::plan::writer::{self, CHUNK, QUEUE};
use remote_store_core::{Error, Operation, Result, WriteResult};
use tokio::io::AsyncWrite;

/// What travels from the writer to its write.
pub(crate) enum Msg {
    Data(Bytes),
    End,
}

/// The write's content: the channel's chunks, ending at [`Msg::End`] and failing when the
/// writer went away without sending it.
pub(crate) struct ChannelStream {
    rx: mpsc::Receiver<Msg>,
    ended: bool,
}

impl Stream for ChannelStream {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match ready!(self.rx.poll_next_unpin(cx)) {
            Some(Msg::Data(chunk)) => Poll::Ready(Some(Ok(chunk))),
            Some(Msg::End) => {
                self.ended = true;
                Poll::Ready(None)
            }
            None => {
                self.ended = true;
                Poll::Ready(Some(Err(io::Error::other(writer::ABORTED))))
            }
        }
    }
}

/// A channel from a writer to its write's content: at most [`QUEUE`] chunks wait in it.
pub(crate) fn pipe() -> (mpsc::Sender<Msg>, ChannelStream) {
    // A futures channel holds `buffer + senders` messages; there is one sender.
    let (tx, rx) = mpsc::channel(QUEUE - 1);
    (tx, ChannelStream { rx, ended: false })
}

/// The write a writer drives.
pub(crate) type WriteFuture = BoxFuture<'static, Result<WriteResult>>;

/// A streaming write to one path, returned by [`AsyncStore::writer`](crate::AsyncStore::writer)
/// and [`AsyncStore::atomic_writer`](crate::AsyncStore::atomic_writer). This is an async
/// version of `remote_store_sync::Writer`: write to it with `tokio::io::AsyncWriteExt`
/// (or send [`Bytes`] through it as a [`Sink`]), then [`finish`](Self::finish) (or
/// `shutdown`, after which `finish` returns the result) to commit.
///
/// - **Nothing is committed before `finish` / `shutdown`.** [`abort`](Self::abort) fails
///   the write and waits until the backend has cleaned up: no object and no temp file is
///   left, and an atomic writer leaves the old content intact. Dropping an unfinished
///   writer does the same in the background: the write, if it had started, is handed to
///   the current tokio runtime to fail there (outside a runtime it is dropped, which the
///   cancellation rules of `AsyncStore` cover).
/// - **Memory stays bounded**: small writes are gathered into chunks of 256 KiB, and at
///   most two chunks wait for the backend (chunks sent as a `Sink` are kept as they are).
/// - **Errors** of the write surface on the next `write`, `flush` or `shutdown`, at the
///   latest on `finish`, with the store's context; every later call fails too.
/// - The writer drives the write itself while it is polled: a writer that is not being
///   written to, flushed or shut down makes no progress.
///
/// ```
/// # async fn demo(store: remote_store_async::AsyncStore) -> remote_store_core::Result<()> {
/// use tokio::io::AsyncWriteExt;
///
/// let mut w = store.writer("logs/today.csv")?;
/// for i in 0..1000 {
///     let line = format!("{i},ok\n");
///     w.write_all(line.as_bytes()).await.map_err(remote_store_core::Error::from_io)?;
/// }
/// let result = w.finish().await?;
/// assert!(result.size > 0);
/// # Ok(()) }
/// ```
pub struct AsyncWriter {
    tx: Option<mpsc::Sender<Msg>>,
    buf: BytesMut,
    /// A chunk handed over through the `Sink` side, sent before `buf`.
    staged: Option<Bytes>,
    write: Option<WriteFuture>,
    /// True once the write future was polled (so it may have begun I/O).
    started: bool,
    /// The write's outcome once it has ended, until `finish` takes it.
    outcome: Option<Result<WriteResult>>,
    /// After an error was reported: a copy for every later call.
    failed: Option<Error>,
    /// True once `End` was sent.
    ended: bool,
    path: String,
    op: Operation,
    plan: Arc<Plan>,
}

impl AsyncWriter {
    /// A writer feeding `tx`, the channel whose other end `write` consumes.
    pub(crate) fn new(
        plan: Arc<Plan>,
        path: &str,
        op: Operation,
        tx: mpsc::Sender<Msg>,
        write: WriteFuture,
    ) -> Self {
        AsyncWriter {
            tx: Some(tx),
            buf: BytesMut::new(),
            staged: None,
            write: Some(write),
            started: false,
            outcome: None,
            failed: None,
            ended: false,
            path: path.to_owned(),
            op,
            plan,
        }
    }

    /// Commits: sends what is buffered, ends the content and drives the write to its end.
    /// Returns its [`WriteResult`] (also after a successful `shutdown`).
    ///
    /// # Errors
    /// The write's error (`AlreadyExists` without `overwrite`, `InvalidPath`, the backend's
    /// failure), or the error an earlier call already reported.
    pub async fn finish(mut self) -> Result<WriteResult> {
        futures::future::poll_fn(|cx| self.poll_commit(cx)).await?;
        match self.outcome.take() {
            Some(outcome) => outcome,
            None => Err(self.own(writer::closed_writer(&self.path, self.op))),
        }
    }

    /// Gives up: the write fails, leaving no object and no temp file (an atomic writer
    /// keeps the old content). Returns once the backend has cleaned up.
    pub async fn abort(mut self) {
        // Closing the channel without `End` fails the write's content.
        self.tx = None;
        if let Some(write) = self.write.take()
            && self.started
        {
            let _ = write.await;
        }
    }

    /// An error of the writer itself, with the store's context like the write's own.
    fn own(&self, err: Error) -> Error {
        self.plan.stamp(self.op, err)
    }

    /// Records `err` for every later call and returns it.
    fn fail(&mut self, err: Error) -> Error {
        self.failed = Some(writer::failed_again(&err));
        self.tx = None;
        err
    }

    /// Polls the write; `Ready` once it has ended (its outcome is then recorded).
    fn poll_write_future(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(write) = self.write.as_mut() else {
            return Poll::Ready(());
        };
        self.started = true;
        let outcome = ready!(write.as_mut().poll(cx));
        self.write = None;
        self.outcome = Some(outcome);
        Poll::Ready(())
    }

    /// The error for a write that ended before its content did.
    fn ended_early(&mut self) -> Error {
        let err = match self.outcome.take() {
            Some(Err(e)) => e,
            _ => self.own(writer::ended_early(&self.path, self.op)),
        };
        self.fail(err)
    }

    /// The next message to send: the staged chunk, the buffer, or `End` when `end`.
    fn next_msg(&mut self, end: bool) -> Option<Msg> {
        if let Some(chunk) = self.staged.take() {
            Some(Msg::Data(chunk))
        } else if !self.buf.is_empty() {
            Some(Msg::Data(self.buf.split().freeze()))
        } else if end && !self.ended {
            self.ended = true;
            Some(Msg::End)
        } else {
            None
        }
    }

    fn has_next(&self, end: bool) -> bool {
        self.staged.is_some() || !self.buf.is_empty() || (end && !self.ended)
    }

    /// Hands everything buffered (and `End` when `end`) to the write. While the channel is
    /// full, drives the write, which takes chunks out of it; a write that ends meanwhile
    /// ends this with its error.
    fn poll_send(&mut self, cx: &mut Context<'_>, end: bool) -> Poll<Result<()>> {
        if let Some(e) = &self.failed {
            return Poll::Ready(Err(writer::failed_again(e)));
        }
        while self.has_next(end) {
            let Some(tx) = self.tx.as_mut() else {
                return Poll::Ready(Err(self.own(writer::closed_writer(&self.path, self.op))));
            };
            match tx.poll_ready(cx) {
                Poll::Ready(Ok(())) => {
                    let msg = self.next_msg(end).expect("checked by has_next");
                    let tx = self.tx.as_mut().expect("checked above");
                    if tx.start_send(msg).is_err() {
                        ready!(self.poll_write_future(cx));
                        return Poll::Ready(Err(self.ended_early()));
                    }
                    // Let the write take the chunk at once.
                    if self.poll_write_future(cx).is_ready() && !self.ended {
                        return Poll::Ready(Err(self.ended_early()));
                    }
                }
                // The write dropped its content: it has ended, or is about to.
                Poll::Ready(Err(_)) => {
                    ready!(self.poll_write_future(cx));
                    return Poll::Ready(Err(self.ended_early()));
                }
                // The channel is full: the write must take from it before we can go on.
                Poll::Pending => {
                    ready!(self.poll_write_future(cx));
                    return Poll::Ready(Err(self.ended_early()));
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Sends everything and `End`, then drives the write to its end.
    fn poll_commit(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if !self.ended || self.write.is_some() {
            ready!(self.poll_send(cx, true))?;
            self.tx = None;
            ready!(self.poll_write_future(cx));
        }
        match self.outcome.as_ref() {
            Some(Ok(_)) => Poll::Ready(Ok(())),
            Some(Err(_)) => Poll::Ready(Err(self.ended_early())),
            None => Poll::Ready(Err(match &self.failed {
                Some(e) => writer::failed_again(e),
                None => self.own(writer::closed_writer(&self.path, self.op)),
            })),
        }
    }
}

impl AsyncWrite for AsyncWriter {
    /// Buffers up to one chunk; a full chunk is handed to the write first.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.ended {
            let e = this.own(writer::closed_writer(&this.path, this.op));
            return Poll::Ready(Err(e.into_io()));
        }
        if this.buf.len() >= CHUNK || this.failed.is_some() {
            ready!(this.poll_send(cx, false)).map_err(Error::into_io)?;
        }
        let n = data.len().min(CHUNK - this.buf.len());
        this.buf.extend_from_slice(&data[..n]);
        Poll::Ready(Ok(n))
    }

    /// Hands the buffered bytes to the write. Nothing is committed before shutdown.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_send(cx, false).map_err(Error::into_io)
    }

    /// Commits (see [`AsyncWriter::finish`], which returns the result afterwards).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_commit(cx).map_err(Error::into_io)
    }
}

/// Chunks sent as they are (no copy); `close` commits.
impl Sink<Bytes> for AsyncWriter {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_send(cx, false)
    }

    fn start_send(self: Pin<&mut Self>, item: Bytes) -> Result<()> {
        let this = self.get_mut();
        if this.ended {
            return Err(this.own(writer::closed_writer(&this.path, this.op)));
        }
        if !item.is_empty() {
            this.staged = Some(item);
        }
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_send(cx, false)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_commit(cx)
    }
}

impl Drop for AsyncWriter {
    fn drop(&mut self) {
        // Closing the channel without `End` fails the write's content. A write that has
        // begun is left to fail on the runtime, so the backend cleans up as for any failed
        // write; one that never ran has done no I/O and is simply dropped.
        self.tx = None;
        if let Some(write) = self.write.take()
            && self.started
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            drop(rt.spawn(write));
        }
    }
}

impl fmt::Debug for AsyncWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncWriter")
            .field("path", &self.path)
            .field("operation", &self.op)
            .field("buffered", &self.buf.len())
            .field("ended", &self.ended)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use remote_store_core::{CapabilitySet, ErrorKind, RemotePath};
    use tokio::io::AsyncWriteExt;
    use tokio::sync::Notify;

    use super::*;

    fn plan() -> Arc<Plan> {
        Arc::new(Plan::new(RemotePath::ROOT, CapabilitySet::all(), "test"))
    }

    /// A writer whose write reads nothing until `go` is notified, then counts everything;
    /// `aborted` is set when its content failed.
    fn stalled(go: Arc<Notify>, aborted: Arc<AtomicBool>) -> AsyncWriter {
        let (tx, mut stream) = pipe();
        let write = Box::pin(async move {
            go.notified().await;
            let mut size = 0u64;
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(c) => size += c.len() as u64,
                    Err(e) => {
                        aborted.store(true, Ordering::SeqCst);
                        return Err(Error::from_io(e));
                    }
                }
            }
            Ok(WriteResult::basic(RemotePath::new("a.bin")?, size))
        });
        AsyncWriter::new(plan(), "a.bin", Operation::Write, tx, write)
    }

    #[tokio::test]
    async fn a_stalled_write_holds_at_most_the_queue_and_one_chunk() {
        let go = Arc::new(Notify::new());
        let mut w = stalled(go.clone(), Arc::default());
        let block = vec![7u8; 4096];
        let mut accepted = 0usize;
        // Write until the writer stops accepting (the write reads nothing yet).
        while let Ok(n) = tokio::time::timeout(Duration::from_millis(100), w.write(&block)).await {
            accepted += n.unwrap();
            assert!(accepted <= 20 << 20, "the writer never pushed back");
        }
        assert!(
            (CHUNK * QUEUE..=CHUNK * (QUEUE + 1)).contains(&accepted),
            "{accepted} bytes accepted while the write read nothing"
        );
        // Released, the write drains the queue while the writer goes on: no deadlock.
        go.notify_one();
        let rest = vec![1u8; 5 << 20];
        w.write_all(&rest).await.unwrap();
        let result = w.finish().await.unwrap();
        assert_eq!(result.size, (accepted + rest.len()) as u64);
    }

    #[tokio::test]
    async fn abort_fails_the_content_and_waits_for_the_write() {
        let go = Arc::new(Notify::new());
        let aborted = Arc::new(AtomicBool::new(false));
        let mut w = stalled(go.clone(), aborted.clone());
        // Enough to start the write (it is polled once the first chunk is queued).
        let _ =
            tokio::time::timeout(Duration::from_millis(100), w.write_all(&[0u8; CHUNK * 2])).await;
        go.notify_one();
        w.abort().await;
        assert!(
            aborted.load(Ordering::SeqCst),
            "the write did not see the abort"
        );
    }

    #[tokio::test]
    async fn a_dropped_started_writer_fails_its_write_in_the_background() {
        let go = Arc::new(Notify::new());
        let aborted = Arc::new(AtomicBool::new(false));
        let mut w = stalled(go.clone(), aborted.clone());
        w.write_all(&[0u8; CHUNK + 1]).await.unwrap();
        go.notify_one();
        drop(w);
        for _ in 0..100 {
            if aborted.load(Ordering::SeqCst) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the dropped writer's write never saw the abort");
    }

    #[tokio::test]
    async fn an_early_failure_surfaces_on_the_next_write_and_stays() {
        let (tx, _stream) = pipe();
        let write = Box::pin(async { Err(Error::already_exists("a.bin")) });
        let mut w = AsyncWriter::new(plan(), "a.bin", Operation::Write, tx, write);
        let e = w.write_all(&vec![0u8; CHUNK * 4]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        let again = w.write_all(b"x").await.unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
        let at_finish = w.finish().await.unwrap_err();
        assert_eq!(at_finish.kind(), ErrorKind::AlreadyExists);
        assert!(at_finish.to_string().contains("earlier"), "{at_finish}");
    }
}
