//! [`Content`]: what a blocking write consumes.

use std::fmt;
use std::io::{self, Read};

use bytes::Bytes;

/// The content of a blocking write: bytes in memory, or a stream read to its end.
///
/// Every common byte container converts into it, so `store.write(p, "text")`,
/// `store.write(p, vec)` and `store.write(p, Content::reader(file))` all work.
///
/// ```
/// use remote_store_sync::Content;
///
/// let c: Content = "hello".into();
/// assert_eq!(c.len_hint(), Some(5));
/// let streamed = Content::reader(std::io::Cursor::new(vec![0u8; 10]));
/// assert_eq!(streamed.len_hint(), None);
/// ```
pub enum Content<'a> {
    /// Content already in memory.
    Bytes(Bytes),
    /// Content pulled from a reader until it returns 0.
    Reader(Box<dyn Read + Send + 'a>),
}

impl<'a> Content<'a> {
    /// Streams content from any reader.
    pub fn reader(reader: impl Read + Send + 'a) -> Self {
        Content::Reader(Box::new(reader))
    }

    /// Streams content from an iterator of chunks; an `Err` chunk fails the write.
    pub fn chunks<I>(chunks: I) -> Self
    where
        I: IntoIterator<Item = io::Result<Bytes>>,
        I::IntoIter: Send + 'a,
    {
        Content::Reader(Box::new(ChunkReader {
            chunks: chunks.into_iter(),
            current: Bytes::new(),
        }))
    }

    /// The length when it is known up front (in-memory content).
    pub fn len_hint(&self) -> Option<u64> {
        match self {
            Content::Bytes(b) => Some(b.len() as u64),
            Content::Reader(_) => None,
        }
    }

    /// The content as a reader (in-memory content is read from memory).
    pub fn into_reader(self) -> Box<dyn Read + Send + 'a> {
        match self {
            Content::Bytes(b) => Box::new(io::Cursor::new(b)),
            Content::Reader(r) => r,
        }
    }

    /// Reads everything into memory (only for backends that must, such as memory).
    ///
    /// # Errors
    /// The reader's error.
    pub fn into_bytes(self) -> io::Result<Bytes> {
        match self {
            Content::Bytes(b) => Ok(b),
            Content::Reader(mut r) => {
                let mut buf = Vec::new();
                r.read_to_end(&mut buf)?;
                Ok(buf.into())
            }
        }
    }
}

impl fmt::Debug for Content<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Content::Bytes(b) => write!(f, "Content::Bytes({} bytes)", b.len()),
            Content::Reader(_) => f.write_str("Content::Reader(..)"),
        }
    }
}

struct ChunkReader<I> {
    chunks: I,
    current: Bytes,
}

impl<I: Iterator<Item = io::Result<Bytes>>> Read for ChunkReader<I> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.next() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

impl From<Bytes> for Content<'_> {
    fn from(b: Bytes) -> Self {
        Content::Bytes(b)
    }
}

impl From<Vec<u8>> for Content<'_> {
    fn from(v: Vec<u8>) -> Self {
        Content::Bytes(v.into())
    }
}

impl From<String> for Content<'_> {
    fn from(s: String) -> Self {
        Content::Bytes(s.into())
    }
}

impl From<&'static str> for Content<'_> {
    fn from(s: &'static str) -> Self {
        Content::Bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Content<'_> {
    fn from(s: &'static [u8]) -> Self {
        Content::Bytes(Bytes::from_static(s))
    }
}

impl<const N: usize> From<&'static [u8; N]> for Content<'_> {
    fn from(s: &'static [u8; N]) -> Self {
        Content::Bytes(Bytes::from_static(s))
    }
}
