//! Streaming `GetObject` bodies: chunk by chunk as they arrive, with an idle timeout and a
//! length check, so a cut or stalled connection is an error and never a short success.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream as SdkBody;
use bytes::Bytes;
use futures::StreamExt;
use remote_store_async::ByteStream;
use remote_store_core::{Error, Result};

use crate::error;

/// State of one body being streamed.
struct Body {
    body: SdkBody,
    key: String,
    idle: Duration,
    received: u64,
    expected: Option<u64>,
}

/// Wraps a response body. `expected` is the response's `Content-Length`: ending before it
/// is `BackendUnavailable`. Each chunk must arrive within `idle`.
pub(crate) fn body_stream(
    body: SdkBody,
    key: String,
    idle: Duration,
    expected: Option<u64>,
) -> ByteStream {
    let state = Some(Body {
        body,
        key,
        idle,
        received: 0,
        expected,
    });
    let chunks = futures::stream::unfold(state, |state| async move {
        let mut s = state?;
        match next_chunk(&mut s).await {
            Ok(Some(chunk)) => Some((Ok(chunk), Some(s))),
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
        }
    });
    // Fused: readers may poll again after the end.
    ByteStream::new(chunks.fuse())
}

async fn next_chunk(s: &mut Body) -> Result<Option<Bytes>> {
    match tokio::time::timeout(s.idle, s.body.next()).await {
        Err(_elapsed) => Err(error::body_stalled(&s.key)),
        Ok(Some(Err(e))) => Err(error::from_body(e, &s.key)),
        Ok(Some(Ok(chunk))) => {
            s.received += chunk.len() as u64;
            Ok(Some(chunk))
        }
        Ok(None) => match s.expected {
            Some(expected) if s.received < expected => Err(error::finish(
                Error::unavailable(format!(
                    "the response body ended after {} of {expected} bytes",
                    s.received
                )),
                &s.key,
            )),
            _ => Ok(None),
        },
    }
}
