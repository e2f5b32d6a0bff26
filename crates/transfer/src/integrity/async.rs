//! The async half of integrity: [`HashingStream`], `write_with_digest`, `digest`, `verify`.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::{ContentDigest, Result, WriteMode, WriteOptions, WriteResult};

use super::{ChecksumAlgorithm, Hasher, algorithm_of, same_digest};

/// A `Stream` adapter that hashes every chunk passing through it. This is an async version
/// of [`HashingReader`](crate::HashingReader).
///
/// It works over any stream of `Result<Bytes, E>` whose error type is anything (an
/// `io::Error` for [`AsyncContent`], the store's `Error` for a `ByteStream`).
///
/// ```
/// # futures::executor::block_on(async {
/// use bytes::Bytes;
/// use futures::StreamExt;
/// use remote_store_transfer::{ChecksumAlgorithm, HashingStream};
///
/// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from("ab")), Ok("c".into())]);
/// let mut s = HashingStream::new(chunks, ChecksumAlgorithm::Md5);
/// while let Some(chunk) = s.next().await { chunk.unwrap(); }
/// assert_eq!(s.digest().value, "900150983cd24fb0d6963f7d28e17f72");
/// # });
/// ```
#[derive(Debug)]
pub struct HashingStream<S> {
    inner: S,
    hasher: Hasher,
}

impl<S> HashingStream<S> {
    /// Hashes the chunks of `inner` with `algorithm`.
    pub fn new(inner: S, algorithm: ChecksumAlgorithm) -> Self {
        HashingStream {
            inner,
            hasher: Hasher::new(algorithm),
        }
    }

    /// The digest of the chunks seen so far.
    pub fn digest(&self) -> ContentDigest {
        self.hasher.digest()
    }

    /// How many bytes passed.
    pub fn bytes(&self) -> u64 {
        self.hasher.bytes()
    }

    /// The inner stream and the hasher.
    pub fn into_parts(self) -> (S, Hasher) {
        (self.inner, self.hasher)
    }
}

impl<S, E> Stream for HashingStream<S>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
{
    type Item = std::result::Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = ready!(self.inner.poll_next_unpin(cx));
        if let Some(Ok(chunk)) = &item {
            self.hasher.update(chunk);
        }
        Poll::Ready(item)
    }
}

/// Async version of `sync::write_with_digest`: writes `content` to `p` (default
/// [`WriteOptions`], a direct write) and returns the [`WriteResult`] with its digest set,
/// computed while the bytes stream.
///
/// # Errors
/// As `AsyncStore::write`.
///
/// # Cancel safety
/// As `AsyncStore::write`: dropped mid-way, the target may be left partial where the
/// backend writes in place; use `WriteMode::Atomic` with [`write_with_digest_with`] when
/// it must not.
pub async fn write_with_digest<'a>(
    store: &AsyncStore,
    p: impl AsRef<str>,
    content: impl Into<AsyncContent<'a>>,
    algorithm: ChecksumAlgorithm,
) -> Result<WriteResult> {
    write_with_digest_with(
        store,
        p,
        content,
        algorithm,
        WriteMode::Direct,
        WriteOptions::new(),
    )
    .await
}

/// Async version of `sync::write_with_digest_with`.
///
/// # Errors
/// As `AsyncStore::write_with` / `AsyncStore::write_atomic_with`.
///
/// # Cancel safety
/// As the store write it calls.
pub async fn write_with_digest_with<'a>(
    store: &AsyncStore,
    p: impl AsRef<str>,
    content: impl Into<AsyncContent<'a>>,
    algorithm: ChecksumAlgorithm,
    mode: WriteMode,
    opts: WriteOptions,
) -> Result<WriteResult> {
    let mut stream = HashingStream::new(content.into().into_stream(), algorithm);
    let body = AsyncContent::chunks(&mut stream);
    let result = match mode {
        WriteMode::Atomic => store.write_atomic_with(p, body, opts).await,
        _ => store.write_with(p, body, opts).await,
    }?;
    Ok(result.with_digest(Some(stream.digest())))
}

/// Async version of `sync::digest`.
///
/// # Errors
/// As `AsyncStore::read`.
///
/// # Cancel safety
/// Read-only: dropping it only stops the read.
pub async fn digest(
    store: &AsyncStore,
    p: impl AsRef<str>,
    algorithm: ChecksumAlgorithm,
) -> Result<ContentDigest> {
    let mut stream = HashingStream::new(store.read(p).await?, algorithm);
    while let Some(chunk) = stream.next().await {
        chunk?;
    }
    Ok(stream.digest())
}

/// Async version of `sync::verify`.
///
/// # Errors
/// `InvalidArgument` for an algorithm this crate does not implement or a composite digest
/// (`-N`, of a multipart upload's parts); as [`digest`].
///
/// # Cancel safety
/// Read-only: dropping it only stops the read.
pub async fn verify(
    store: &AsyncStore,
    p: impl AsRef<str>,
    expected: &ContentDigest,
) -> Result<bool> {
    let actual = digest(store, p, algorithm_of(expected)?).await?;
    Ok(same_digest(expected, &actual))
}
