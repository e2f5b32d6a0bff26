//! [`StoreUpload`]: object_store's `MultipartUpload` over one streamed atomic write.
//!
//! `put_multipart_opts` spawns one `AsyncStore::write_atomic_with` whose content is a
//! stream fed by the upload: each `put_part` queues its payload (in call order, which is
//! the order object_store defines) and returns a future that resolves once the writer has
//! taken all of the part's bytes. The writer holds at most the part it is writing, so the
//! memory in flight is what the caller keeps in unresolved `put_part` futures — object_store's
//! `WriteMultipart` bounds that with its `max_concurrency`.
//!
//! The queue itself is unbounded on purpose: `put_part` is a synchronous call that fixes
//! the part's position, so it cannot wait for room, and sending from the returned future
//! instead would order parts by when their futures are polled (object_store's
//! `multipart_out_of_order` awaits them 2, 3, 1). The bound is the acknowledgement: a part's
//! future stays pending until the writer has consumed it.
//!
//! `complete` ends the stream and waits for the write to commit. `abort` (and dropping the
//! upload without `complete`) fails the stream instead: the atomic write then never
//! commits and cleans up after itself, so nothing is left at the target or beside it.

use std::fmt;
use std::io;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{MultipartUpload, PutPayload, PutResult, Result, UploadPart};
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::{ErrorKind, WriteOptions, WriteResult};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::{generic, map};

/// What the upload sends its writer.
enum Msg {
    /// A part; the sender is told when the writer has taken all of its bytes.
    Part(PutPayload, oneshot::Sender<()>),
    /// `complete`: end the content here.
    Finish,
    /// `abort` or a dropped upload: fail the write.
    Abort,
}

/// The writer's side of the channel: the content stream's state.
struct Feed {
    rx: mpsc::UnboundedReceiver<Msg>,
    chunks: std::vec::IntoIter<Bytes>,
    ack: Option<oneshot::Sender<()>>,
    done: bool,
}

impl Feed {
    async fn next(&mut self) -> Option<io::Result<Bytes>> {
        if self.done {
            return None;
        }
        loop {
            if let Some(chunk) = self.chunks.next() {
                return Some(Ok(chunk));
            }
            if let Some(ack) = self.ack.take() {
                // The caller may have dropped its `put_part` future; nothing to tell then.
                let _ = ack.send(());
            }
            match self.rx.recv().await {
                Some(Msg::Part(payload, ack)) => {
                    self.chunks = payload
                        .into_iter()
                        .filter(|b| !b.is_empty())
                        .collect::<Vec<_>>()
                        .into_iter();
                    self.ack = Some(ack);
                }
                Some(Msg::Finish) => {
                    self.done = true;
                    return None;
                }
                Some(Msg::Abort) | None => {
                    self.done = true;
                    return Some(Err(io::Error::other("the multipart upload was aborted")));
                }
            }
        }
    }
}

/// A multipart upload in progress (see the [module docs](self)).
pub(crate) struct StoreUpload {
    location: Path,
    tx: Option<mpsc::UnboundedSender<Msg>>,
    task: Option<JoinHandle<remote_store_core::Result<WriteResult>>>,
    store: AsyncStore,
    /// How the write ended, once it has: `None` for success, else its error's kind and
    /// text (a part that could not be delivered reports it, so object_store's
    /// `WriteMultipart`, which stops at the first failed part, sees the real error).
    ended: watch::Receiver<Option<Option<(ErrorKind, String)>>>,
}

impl StoreUpload {
    /// Starts the streamed atomic write of `key` on the current tokio runtime.
    pub(crate) fn start(
        store: &AsyncStore,
        location: Path,
        key: String,
        opts: WriteOptions,
    ) -> Result<Self> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| generic(format!("a multipart upload needs a tokio runtime: {e}")))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let feed = Feed {
            rx,
            chunks: Vec::new().into_iter(),
            ack: None,
            done: false,
        };
        let content = futures::stream::unfold(feed, |mut feed| async move {
            feed.next().await.map(|item| (item, feed))
        });
        let write = store.write_atomic_with(key, AsyncContent::chunks(content.boxed()), opts);
        let (end, ended) = watch::channel(None);
        let write = async move {
            let result = write.await;
            let how = result.as_ref().err().map(|e| (e.kind(), e.to_string()));
            end.send_replace(Some(how));
            result
        };
        Ok(StoreUpload {
            location,
            tx: Some(tx),
            task: Some(runtime.spawn(write)),
            store: store.clone(),
            ended,
        })
    }

    fn finished(&self) -> object_store::Error {
        generic(format!(
            "the multipart upload to {} is finished or has failed (complete() reports why)",
            self.location
        ))
    }

    async fn join(&mut self) -> Option<remote_store_core::Result<WriteResult>> {
        let task = self.task.take()?;
        Some(task.await.unwrap_or_else(|e| {
            Err(remote_store_core::Error::other(e).with_path(self.location.to_string()))
        }))
    }
}

#[async_trait]
impl MultipartUpload for StoreUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let (ack, acked) = oneshot::channel();
        let sent = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send(Msg::Part(data, ack)).is_ok());
        let failed = self.finished();
        let mut ended = self.ended.clone();
        let location = self.location.clone();
        Box::pin(async move {
            if sent && acked.await.is_ok() {
                return Ok(());
            }
            // Not delivered: the write has ended (or is ending); its error, if it failed.
            match ended
                .wait_for(Option::is_some)
                .await
                .ok()
                .and_then(|how| how.clone())
            {
                Some(Some((kind, text))) => {
                    let e = remote_store_core::Error::new(kind).with_message(text);
                    Err(map(e, &location))
                }
                _ => Err(failed),
            }
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        let Some(tx) = self.tx.take() else {
            return Err(self.finished());
        };
        let _ = tx.send(Msg::Finish);
        drop(tx);
        match self.join().await {
            Some(Ok(result)) => Ok(crate::put_result(&self.store, result).await),
            Some(Err(e)) => Err(map(e, &self.location)),
            None => Err(self.finished()),
        }
    }

    async fn abort(&mut self) -> Result<()> {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Abort);
        }
        // The write fails on the aborted stream and removes what it staged; waiting for it
        // means nothing is left behind once `abort` returns.
        let _ = self.join().await;
        Ok(())
    }
}

impl Drop for StoreUpload {
    fn drop(&mut self) {
        // Dropped without `complete`: fail the write rather than commit a partial object.
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Abort);
        }
    }
}

impl fmt::Debug for StoreUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreUpload")
            .field("location", &self.location)
            .field("open", &self.tx.is_some())
            .finish_non_exhaustive()
    }
}
