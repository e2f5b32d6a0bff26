//! [`AsyncSeekReader`]: an `AsyncRead + AsyncSeek` over ranged reads.

use std::fmt;
use std::io::{self, SeekFrom};
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures::future::BoxFuture;
use remote_store_core::plan::Plan;
use remote_store_core::{
    Capability, CapabilitySet, Error, ErrorKind, Operation, ReadOptions, Result,
};
use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};

use crate::ByteStream;

/// The ranged read of a seekable reader held to the version it opened (`if_match` of the
/// etag it saw), where the backend evaluates read conditions (`conditional_read`): each
/// seek opens a new read, and without the pin a replacement in between would hand back the
/// new version's bytes after the old one's. `None`: a plain `read_range` (no etag, or no
/// conditional reads; a shorter replacement is still caught by the size).
pub(crate) fn pinned_range(
    capabilities: CapabilitySet,
    etag: Option<&str>,
    range: Range<u64>,
) -> Option<ReadOptions> {
    let etag = etag.filter(|_| capabilities.supports(Capability::ConditionalRead))?;
    Some(ReadOptions::new().range(range).if_match(etag))
}

/// The error of a seekable reader's pinned read refused because the object was replaced.
pub(crate) fn changed_under_reader(e: Error, path: &str) -> Error {
    if e.kind() != ErrorKind::PreconditionFailed {
        return e;
    }
    Error::precondition_failed(
        path,
        "the file was replaced since the seekable reader opened it; open it again",
    )
    .with_source(e)
}

/// Opens a ranged read of the object (errors carry the store's context).
pub(crate) type OpenRange =
    Arc<dyn Fn(Range<u64>) -> BoxFuture<'static, Result<ByteStream>> + Send + Sync>;

enum State {
    /// No read open: the next `poll_read` opens one at the position.
    Idle,
    Opening(BoxFuture<'static, Result<ByteStream>>),
    Reading(ByteStream),
}

/// A seekable read of one object, returned by
/// [`AsyncStore::read_seekable`](crate::AsyncStore::read_seekable): `tokio::io::AsyncRead`
/// plus `tokio::io::AsyncSeek`, so readers that jump around a file (Parquet footers,
/// archives) work in the async half. The async twin of `remote_store_sync::SeekReader`.
///
/// The object's size is read once, when the reader is opened. Reading opens one ranged
/// read from the current position to the end and streams it; a seek to another position
/// drops that read, and the next read opens a new one there (native ranged requests where
/// the backend has `range_read`, else its read-and-skip). Seeking to the end is allowed
/// (reads then return 0 bytes); seeking before the start or past the end is an
/// `InvalidInput` error that leaves the position unchanged. An object that became shorter
/// since it was opened fails the read ("it changed since it was opened") instead of ending
/// early; where the backend has `conditional_read`, every read is held to the version the
/// reader opened (`if_match` of its etag), so a replacement fails it with
/// `PreconditionFailed` instead of mixing two versions' bytes.
///
/// ```
/// # async fn demo(store: remote_store_async::AsyncStore) -> remote_store_core::Result<()> {
/// use std::io::SeekFrom;
/// use tokio::io::{AsyncReadExt, AsyncSeekExt};
///
/// let mut r = store.read_seekable("data/table.parquet").await?;
/// let mut footer = [0u8; 8];
/// r.seek(SeekFrom::End(-8)).await.map_err(remote_store_core::Error::from_io)?;
/// r.read_exact(&mut footer).await.map_err(remote_store_core::Error::from_io)?;
/// # Ok(()) }
/// ```
pub struct AsyncSeekReader {
    open: OpenRange,
    size: u64,
    pos: u64,
    state: State,
    path: String,
    plan: Arc<Plan>,
}

impl AsyncSeekReader {
    pub(crate) fn new(open: OpenRange, size: u64, path: &str, plan: Arc<Plan>) -> Self {
        AsyncSeekReader {
            open,
            size,
            pos: 0,
            state: State::Idle,
            path: path.to_owned(),
            plan,
        }
    }

    /// The object's size when the reader was opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The current position.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// An error about this object, with the store's context, as an I/O error.
    fn io_error(&self, kind: ErrorKind, message: String) -> io::Error {
        let err = Error::new(kind)
            .with_path(self.path.as_str())
            .with_message(message);
        self.plan.stamp(Operation::ReadSeekable, err).into_io()
    }
}

impl AsyncRead for AsyncSeekReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pos >= this.size || buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            match &mut this.state {
                State::Idle => this.state = State::Opening((this.open)(this.pos..this.size)),
                State::Opening(open) => match ready!(open.as_mut().poll(cx)) {
                    Ok(body) => this.state = State::Reading(body),
                    Err(e) => {
                        this.state = State::Idle;
                        return Poll::Ready(Err(e.into_io()));
                    }
                },
                State::Reading(body) => {
                    let before = buf.filled().len();
                    if let Err(e) = ready!(Pin::new(body).poll_read(cx, buf)) {
                        this.state = State::Idle;
                        return Poll::Ready(Err(e));
                    }
                    let n = (buf.filled().len() - before) as u64;
                    if n == 0 {
                        this.state = State::Idle;
                        let message = format!(
                            "the object ended at byte {} of {}: it changed since it was opened",
                            this.pos, this.size
                        );
                        return Poll::Ready(Err(this.io_error(ErrorKind::Other, message)));
                    }
                    this.pos += n;
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

impl AsyncSeek for AsyncSeekReader {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        let target = match position {
            SeekFrom::Start(n) => i128::from(n),
            SeekFrom::End(d) => i128::from(this.size) + i128::from(d),
            SeekFrom::Current(d) => i128::from(this.pos) + i128::from(d),
        };
        if target < 0 {
            let message = format!("seek to {target}, before the start of the object");
            return Err(this.io_error(ErrorKind::InvalidArgument, message));
        }
        if target > i128::from(this.size) {
            let message = format!(
                "seek to {target}, past the end of the object ({} bytes)",
                this.size
            );
            return Err(this.io_error(ErrorKind::InvalidArgument, message));
        }
        let target = target as u64;
        if target != this.pos {
            // The open read (if any) is at the old position: drop it.
            this.state = State::Idle;
            this.pos = target;
        }
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(self.pos))
    }
}

impl fmt::Debug for AsyncSeekReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSeekReader")
            .field("path", &self.path)
            .field("size", &self.size)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}
