//! Streams handed from the runtime to a blocking caller: one pump task per stream, feeding
//! a bounded channel, cancelled when the adapter closes.

use std::collections::VecDeque;
use std::io::{self, Read};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use remote_store_core::{Error, Result};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::coop::unconstrained;
use tokio_util::sync::CancellationToken;

use crate::ByteStream;
use crate::blocking_runtime::{Epoch, closed};

/// Listing items handed over per batch.
const LIST_BATCH: usize = 256;
/// Listing batches the pump may have ready ahead of the caller.
const LIST_AHEAD: usize = 2;
/// Body chunks the pump may have ready ahead of the caller: one, fetched while the caller
/// consumes the previous one.
const READ_AHEAD: usize = 1;

/// What a pump sends: items, then `End`. A channel that closes without `End` means the
/// pump was stopped (cancelled by `close`, or its task panicked).
enum Pumped<T> {
    Item(T),
    End,
}

/// Waits for `fut` on the caller's thread without a runtime (never `Handle::block_on`).
/// Unconstrained: inside a runtime, tokio's cooperative budget of the caller's task would
/// otherwise run out after 128 receives and make every later poll spin on `Pending`.
pub(crate) fn wait<F: Future>(fut: F) -> F::Output {
    futures::executor::block_on(unconstrained(fut))
}

/// The caller's end of a pump.
pub(crate) struct PumpRx<T> {
    /// `None` once the stream ended or failed.
    rx: Option<mpsc::Receiver<Pumped<T>>>,
    /// True once the end or an error was handed out: only `None` follows.
    finished: bool,
    closed: CancellationToken,
}

impl<T: Send + 'static> PumpRx<T> {
    /// Drives `stream` on `handle` in one task, at most `depth` items ahead of the caller,
    /// until the stream ends, the caller drops the receiver or `epoch`'s streams are
    /// cancelled.
    fn spawn<S>(handle: &Handle, epoch: &Epoch, stream: S, depth: usize) -> Self
    where
        S: Stream<Item = T> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(depth);
        let token = epoch.streams.clone();
        handle.spawn(async move {
            let pump = async move {
                let mut stream = std::pin::pin!(stream);
                while let Some(item) = stream.next().await {
                    if tx.send(Pumped::Item(item)).await.is_err() {
                        return; // the caller dropped the stream
                    }
                }
                let _ = tx.send(Pumped::End).await;
            };
            token.run_until_cancelled(pump).await;
        });
        PumpRx {
            rx: Some(rx),
            finished: false,
            closed: epoch.streams.clone(),
        }
    }

    /// True once the adapter was closed after this stream was opened.
    fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// The next item, blocking; `None` at the end. A close, or a pump that stopped before
    /// the end, is reported once as an error, and the stream then ends.
    fn next(&mut self) -> Option<Result<T>> {
        if self.finished {
            return None;
        }
        if self.is_closed() {
            return self.fail(closed());
        }
        let Some(rx) = self.rx.as_mut() else {
            self.finished = true;
            return None;
        };
        match wait(rx.recv()) {
            Some(Pumped::Item(item)) => Some(Ok(item)),
            Some(Pumped::End) => {
                self.rx = None;
                self.finished = true;
                None
            }
            None if self.is_closed() => self.fail(closed()),
            None => self.fail(Error::unavailable(
                "the stream stopped before its end: its task on the adapter's runtime \
                 panicked or the runtime shut down; start it again",
            )),
        }
    }

    fn fail(&mut self, err: Error) -> Option<Result<T>> {
        self.rx = None;
        self.finished = true;
        Some(Err(err))
    }
}

/// A blocking listing: batches of up to [`LIST_BATCH`] items from one pump.
pub(crate) struct BatchIter<T> {
    pump: PumpRx<Vec<Result<T>>>,
    buffered: VecDeque<Result<T>>,
}

impl<T: Send + 'static> BatchIter<T> {
    /// Pumps `stream` on `handle`, batching what is ready.
    pub(crate) fn spawn<S>(handle: &Handle, epoch: &Epoch, stream: S) -> Self
    where
        S: Stream<Item = Result<T>> + Send + 'static,
    {
        let batches = stream.ready_chunks(LIST_BATCH);
        BatchIter {
            pump: PumpRx::spawn(handle, epoch, batches, LIST_AHEAD),
            buffered: VecDeque::new(),
        }
    }
}

impl<T: Send + 'static> Iterator for BatchIter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.pump.is_closed() {
            // What was buffered before the close is not handed out after it.
            self.buffered.clear();
        }
        while self.buffered.is_empty() {
            self.buffered = match self.pump.next()? {
                Ok(batch) => batch.into(),
                Err(e) => return Some(Err(e)),
            };
        }
        self.buffered.pop_front()
    }
}

/// A blocking `Read` over an async body, fed by one pump.
pub(crate) struct BlockingReader {
    pump: PumpRx<Result<Bytes>>,
    current: Bytes,
}

impl BlockingReader {
    /// Pumps `body` on `handle`, one chunk ahead of the caller.
    pub(crate) fn spawn(handle: &Handle, epoch: &Epoch, body: ByteStream) -> Self {
        BlockingReader {
            pump: PumpRx::spawn(handle, epoch, body, READ_AHEAD),
            current: Bytes::new(),
        }
    }
}

impl Read for BlockingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pump.is_closed() {
            // Every read after a close fails: an `Ok(0)` would look like the end.
            self.current = Bytes::new();
            return Err(closed().into_io());
        }
        while self.current.is_empty() {
            match self.pump.next() {
                None => return Ok(0),
                Some(Ok(Ok(chunk))) => self.current = chunk,
                Some(Ok(Err(e)) | Err(e)) => return Err(e.into_io()),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
