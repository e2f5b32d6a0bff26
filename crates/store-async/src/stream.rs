//! [`ByteStream`] (what async reads return) and the listing stream types.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use futures::stream::{BoxStream, Stream, StreamExt};
use remote_store_core::{Entry, Error, FileInfo, FolderEntry, Result};
use tokio::io::{AsyncRead, ReadBuf};

/// A lazy listing of files; errors arrive as items.
pub type FileStream = BoxStream<'static, Result<FileInfo>>;
/// A lazy listing of folders; errors arrive as items.
pub type FolderStream = BoxStream<'static, Result<FolderEntry>>;
/// A lazy listing of files and folders; errors arrive as items.
pub type EntryStream = BoxStream<'static, Result<Entry>>;

/// The body of an async read: a [`Stream`] of [`Bytes`] chunks that is also an
/// [`AsyncRead`]. Dropping it cancels the underlying request.
///
/// ```
/// # futures::executor::block_on(async {
/// use futures::StreamExt;
/// use remote_store_async::ByteStream;
/// use tokio::io::AsyncReadExt;
///
/// let mut s = ByteStream::from_bytes("hello".into());
/// let mut text = String::new();
/// s.read_to_string(&mut text).await.unwrap();
/// assert_eq!(text, "hello");
/// # });
/// ```
pub struct ByteStream {
    inner: BoxStream<'static, Result<Bytes>>,
    pending: Bytes,
}

impl ByteStream {
    /// Wraps a stream of chunks.
    pub fn new(stream: impl Stream<Item = Result<Bytes>> + Send + 'static) -> Self {
        ByteStream {
            // Fused: callers (AsyncRead, the adapters) may poll again after the end.
            inner: stream.fuse().boxed(),
            pending: Bytes::new(),
        }
    }

    /// A stream over bytes already in memory.
    pub fn from_bytes(bytes: Bytes) -> Self {
        Self::new(futures::stream::iter(
            (!bytes.is_empty()).then_some(Ok(bytes)),
        ))
    }

    /// A stream that fails on its first poll (for errors found after the call returned).
    pub fn from_error(error: Error) -> Self {
        Self::new(futures::stream::iter([Err(error)]))
    }

    /// Collects the whole body.
    ///
    /// # Errors
    /// The first error of the stream.
    pub async fn collect_bytes(mut self) -> Result<Bytes> {
        let mut buf = BytesMut::new();
        while let Some(chunk) = self.next().await {
            buf.extend_from_slice(&chunk?);
        }
        Ok(buf.freeze())
    }

    /// At most `limit` bytes of this stream, after discarding the first `skip` bytes.
    pub fn slice(self, skip: u64, limit: u64) -> Self {
        let state = (self, skip, limit);
        ByteStream::new(futures::stream::unfold(
            state,
            |(mut s, mut skip, mut limit)| async move {
                loop {
                    if limit == 0 {
                        return None;
                    }
                    let mut chunk = match s.next().await? {
                        Ok(c) => c,
                        Err(e) => return Some((Err(e), (s, skip, 0))),
                    };
                    if skip >= chunk.len() as u64 {
                        skip -= chunk.len() as u64;
                        continue;
                    }
                    chunk.advance(skip as usize);
                    skip = 0;
                    chunk.truncate(
                        chunk
                            .len()
                            .min(usize::try_from(limit).unwrap_or(usize::MAX)),
                    );
                    limit -= chunk.len() as u64;
                    return Some((Ok(chunk), (s, skip, limit)));
                }
            },
        ))
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.pending.is_empty() {
            return Poll::Ready(Some(Ok(std::mem::take(&mut self.pending))));
        }
        loop {
            match ready!(self.inner.poll_next_unpin(cx)) {
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                other => return Poll::Ready(other),
            }
        }
    }
}

impl AsyncRead for ByteStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.pending.is_empty() {
            match ready!(self.inner.poll_next_unpin(cx)) {
                Some(Ok(chunk)) => self.pending = chunk,
                Some(Err(e)) => return Poll::Ready(Err(e.into_io())),
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = buf.remaining().min(self.pending.len());
        buf.put_slice(&self.pending.split_to(n));
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("buffered", &self.pending.len())
            .finish_non_exhaustive()
    }
}
