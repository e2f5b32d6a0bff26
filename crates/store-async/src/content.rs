//! [`AsyncContent`]: what an async write consumes.

use std::fmt;
use std::io;

use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, Stream, StreamExt};
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

/// The content of an async write: bytes in memory, or a stream of chunks read to its end.
/// This is an async version of `remote_store_sync::Content`.
///
/// ```
/// use remote_store_async::AsyncContent;
///
/// let c: AsyncContent = "hello".into();
/// assert_eq!(c.len_hint(), Some(5));
/// let streamed = AsyncContent::reader(&b"0123456789"[..]);
/// assert_eq!(streamed.len_hint(), None);
/// ```
pub enum AsyncContent<'a> {
    /// Content already in memory.
    Bytes(Bytes),
    /// Content pulled from a stream until it ends; an `Err` item fails the write.
    Stream(BoxStream<'a, io::Result<Bytes>>),
}

impl<'a> AsyncContent<'a> {
    /// Streams content from any `AsyncRead`.
    pub fn reader(reader: impl AsyncRead + Send + 'a) -> Self {
        AsyncContent::Stream(ReaderStream::with_capacity(reader, 256 * 1024).boxed())
    }

    /// Streams content from a stream of chunks; an `Err` chunk fails the write.
    pub fn chunks(chunks: impl Stream<Item = io::Result<Bytes>> + Send + 'a) -> Self {
        AsyncContent::Stream(chunks.boxed())
    }

    /// The length when it is known up front (in-memory content).
    pub fn len_hint(&self) -> Option<u64> {
        match self {
            AsyncContent::Bytes(b) => Some(b.len() as u64),
            AsyncContent::Stream(_) => None,
        }
    }

    /// The content as a stream of chunks.
    pub fn into_stream(self) -> BoxStream<'a, io::Result<Bytes>> {
        match self {
            AsyncContent::Bytes(b) => futures::stream::once(async move { Ok(b) }).boxed(),
            AsyncContent::Stream(s) => s,
        }
    }

    /// Collects everything into memory (only for backends that must, such as memory).
    ///
    /// # Errors
    /// The stream's error.
    pub async fn into_bytes(self) -> io::Result<Bytes> {
        match self {
            AsyncContent::Bytes(b) => Ok(b),
            AsyncContent::Stream(mut s) => {
                let mut buf = BytesMut::new();
                while let Some(chunk) = s.next().await {
                    buf.extend_from_slice(&chunk?);
                }
                Ok(buf.freeze())
            }
        }
    }
}

impl fmt::Debug for AsyncContent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsyncContent::Bytes(b) => write!(f, "AsyncContent::Bytes({} bytes)", b.len()),
            AsyncContent::Stream(_) => f.write_str("AsyncContent::Stream(..)"),
        }
    }
}

impl From<Bytes> for AsyncContent<'_> {
    fn from(b: Bytes) -> Self {
        AsyncContent::Bytes(b)
    }
}

impl From<Vec<u8>> for AsyncContent<'_> {
    fn from(v: Vec<u8>) -> Self {
        AsyncContent::Bytes(v.into())
    }
}

impl From<String> for AsyncContent<'_> {
    fn from(s: String) -> Self {
        AsyncContent::Bytes(s.into())
    }
}

impl From<&'static str> for AsyncContent<'_> {
    fn from(s: &'static str) -> Self {
        AsyncContent::Bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for AsyncContent<'_> {
    fn from(s: &'static [u8]) -> Self {
        AsyncContent::Bytes(Bytes::from_static(s))
    }
}

impl<const N: usize> From<&'static [u8; N]> for AsyncContent<'_> {
    fn from(s: &'static [u8; N]) -> Self {
        AsyncContent::Bytes(Bytes::from_static(s))
    }
}
