//! Pipelined transfers: several read or write requests in flight on one channel, so a
//! transfer is not one round trip per chunk.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{FuturesOrdered, FuturesUnordered, StreamExt};
use remote_store_async::{AsyncContent, ByteStream};
use remote_store_core::Error;
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::StatusCode;

use crate::connection::{HandlePermit, Lease};
use crate::error::{map_sftp, status_of};

/// Bytes asked for by one read request.
pub(crate) const READ_CHUNK: u32 = 128 * 1024;
/// Read requests kept in flight by a read stream.
pub(crate) const READ_AHEAD: usize = 16;
/// Bytes sent by one write request (OpenSSH accepts up to 255 KiB).
pub(crate) const WRITE_CHUNK: usize = 128 * 1024;
/// Write requests kept in flight by an upload.
pub(crate) const WRITE_AHEAD: usize = 16;

type ReadReply = (u64, u32, Result<Vec<u8>, SftpError>);

/// An open remote file being read from `next` to `end` with up to [`READ_AHEAD`] requests
/// in flight. Dropping it cancels the outstanding requests and closes the handle.
struct Download {
    lease: Arc<Lease>,
    handle: String,
    permit: Option<HandlePermit>,
    key: String,
    next: u64,
    end: u64,
    in_flight: FuturesOrdered<BoxFuture<'static, ReadReply>>,
    ready: VecDeque<Bytes>,
    finished: bool,
}

impl Download {
    fn request(&self, offset: u64, len: u32) -> BoxFuture<'static, ReadReply> {
        let lease = self.lease.clone();
        let handle = self.handle.clone();
        Box::pin(async move {
            let raw = lease.raw().clone();
            let reply = lease.run(raw.read(handle, offset, len)).await;
            (offset, len, reply.map(|d| d.data))
        })
    }

    fn fill(&mut self) {
        while self.in_flight.len() < READ_AHEAD && self.next < self.end {
            let len = (self.end - self.next).min(u64::from(READ_CHUNK)) as u32;
            let request = self.request(self.next, len);
            self.in_flight.push_back(request);
            self.next += u64::from(len);
        }
    }

    /// The next chunk, `None` at the end.
    async fn next_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        if let Some(chunk) = self.ready.pop_front() {
            return Some(Ok(chunk));
        }
        if self.finished {
            return None;
        }
        self.fill();
        match self.in_flight.next().await {
            None => {
                self.finish();
                None
            }
            Some((offset, len, Ok(data))) => {
                let got = data.len() as u64;
                if got == 0 {
                    // The file shrank since it was opened: stop at its new end.
                    self.finish();
                    return None;
                }
                if got < u64::from(len) {
                    // A short read: ask for the rest before anything queued after it.
                    let rest = self.request(offset + got, len - got as u32);
                    self.in_flight.push_front(rest);
                }
                Some(Ok(Bytes::from(data)))
            }
            Some((_, _, Err(e))) if status_of(&e) == Some(StatusCode::Eof) => {
                self.finish();
                None
            }
            Some((_, _, Err(e))) => {
                self.finish();
                Some(Err(map_sftp(e, &self.key)))
            }
        }
    }

    fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.in_flight = FuturesOrdered::new();
            close_later(
                &self.lease,
                std::mem::take(&mut self.handle),
                self.permit.take(),
            );
        }
    }
}

impl Drop for Download {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Closes `handle` in the background (nobody waits for the server's answer); `permit` is
/// released once the close is done.
pub(crate) fn close_later(lease: &Arc<Lease>, handle: String, permit: Option<HandlePermit>) {
    if handle.is_empty() {
        return;
    }
    let owner = lease.clone();
    lease.spawn_cleanup(async move {
        let raw = owner.raw().clone();
        let _ = owner.run(raw.close(handle)).await;
        drop(permit);
    });
}

/// A stream over `start..end` of an open file; `first` is the reply to a read at `start`
/// that the caller already made.
pub(crate) fn download(
    lease: Arc<Lease>,
    handle: String,
    permit: HandlePermit,
    key: String,
    start: u64,
    end: u64,
    first: Vec<u8>,
) -> ByteStream {
    let mut state = Download {
        lease,
        handle,
        permit: Some(permit),
        key,
        next: start,
        end,
        in_flight: FuturesOrdered::new(),
        ready: VecDeque::new(),
        finished: false,
    };
    if start >= end {
        state.finish();
    } else if first.is_empty() {
        // EOF at `start`: nothing to read.
        state.finish();
    } else {
        state.next = start + first.len() as u64;
        state.ready.push_back(Bytes::from(first));
        if state.next >= end {
            state.finish();
        }
    }
    // Fused: readers may poll again after the end.
    ByteStream::new(
        futures::stream::unfold(state, |mut state| async move {
            let item = state.next_chunk().await?;
            Some((item, state))
        })
        .fuse(),
    )
}

/// An open handle that is closed when dropped (in the background) unless closed first.
pub(crate) struct OpenHandle {
    lease: Arc<Lease>,
    handle: String,
    permit: Option<HandlePermit>,
}

impl OpenHandle {
    pub(crate) fn new(lease: Arc<Lease>, handle: String, permit: HandlePermit) -> Self {
        OpenHandle {
            lease,
            handle,
            permit: Some(permit),
        }
    }

    /// The handle.
    pub(crate) fn handle(&self) -> &str {
        &self.handle
    }

    /// Closes the handle and waits for the server's answer.
    pub(crate) async fn close(mut self) -> Result<(), SftpError> {
        let handle = std::mem::take(&mut self.handle);
        let raw = self.lease.raw().clone();
        let result = self.lease.run(raw.close(handle)).await.map(drop);
        drop(self.permit.take());
        result
    }
}

impl Drop for OpenHandle {
    fn drop(&mut self) {
        close_later(
            &self.lease,
            std::mem::take(&mut self.handle),
            self.permit.take(),
        );
    }
}

/// Why an upload stopped.
#[derive(Debug)]
pub(crate) enum UploadError {
    /// The caller's content failed.
    Source(io::Error),
    /// The server or the connection failed.
    Sftp(SftpError),
}

/// Writes all of `content` to the open `handle` from offset 0, with up to [`WRITE_AHEAD`]
/// requests of [`WRITE_CHUNK`] bytes in flight. Returns the byte count.
pub(crate) async fn upload(
    lease: &Lease,
    handle: &str,
    content: AsyncContent<'_>,
) -> Result<u64, UploadError> {
    let raw = lease.raw().clone();
    let write = |offset: u64, data: Vec<u8>| {
        let raw = raw.clone();
        async move { lease.run(raw.write(handle, offset, data)).await }
    };
    if let AsyncContent::Bytes(bytes) = &content
        && bytes.len() <= WRITE_CHUNK
    {
        if !bytes.is_empty() {
            write(0, bytes.to_vec()).await.map_err(UploadError::Sftp)?;
        }
        return Ok(bytes.len() as u64);
    }

    // Source chunks wait here (without copying) until a request's worth has arrived.
    let mut source = content.into_stream();
    let mut queue: VecDeque<Bytes> = VecDeque::new();
    let mut queued = 0usize;
    let mut offset = 0u64;
    let mut source_done = false;
    let mut in_flight = FuturesUnordered::new();
    loop {
        while in_flight.len() < WRITE_AHEAD
            && (queued >= WRITE_CHUNK || (source_done && queued > 0))
        {
            let data = take(&mut queue, WRITE_CHUNK);
            queued -= data.len();
            let n = data.len() as u64;
            in_flight.push(write(offset, data));
            offset += n;
        }
        if source_done && queued == 0 && in_flight.is_empty() {
            return Ok(offset);
        }
        let want_source = !source_done && queued < WRITE_CHUNK;
        tokio::select! {
            biased;
            Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                done.map_err(UploadError::Sftp)?;
            }
            item = source.next(), if want_source => match item {
                None => source_done = true,
                Some(Ok(bytes)) => {
                    queued += bytes.len();
                    queue.push_back(bytes);
                }
                Some(Err(e)) => return Err(UploadError::Source(e)),
            },
        }
    }
}

/// Up to `max` bytes from the front of `queue`, as one request body.
fn take(queue: &mut VecDeque<Bytes>, max: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(max);
    while out.len() < max {
        let Some(front) = queue.front_mut() else {
            break;
        };
        let n = front.len().min(max - out.len());
        out.extend_from_slice(&front.split_to(n));
        if front.is_empty() {
            queue.pop_front();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_coalesces_and_splits() {
        let mut q: VecDeque<Bytes> = ["ab", "cde", "fghij"]
            .into_iter()
            .map(|s| Bytes::from_static(s.as_bytes()))
            .collect();
        assert_eq!(take(&mut q, 4), b"abcd");
        assert_eq!(take(&mut q, 2), b"ef");
        assert_eq!(take(&mut q, 10), b"ghij");
        assert!(q.is_empty());
        assert!(take(&mut q, 3).is_empty());
    }
}
