//! The HTTP transport under the SDK: the SDK's hyper client, wrapped so that a burst of
//! calls queues instead of timing out, and so that timeouts measure silence, not size.
//!
//! * **Bounded in flight.** At most `max_in_flight_requests` requests of one backend wait
//!   for their response head at once; more queue for a permit. The wait for a permit
//!   counts against no timeout: a request's clock starts when it is sent. Response bodies
//!   hold no permit, so an unread stream never blocks other calls.
//! * **`request_timeout` is an idle timeout.** The request fails when nothing moves for
//!   that long: no chunk of its body taken by the connection, and no response head. A slow
//!   but progressing upload of a large part never times out; a silent server does, after
//!   `request_timeout` (then the SDK retries, as `retry` says).
//! * **`read_timeout` bounds silence inside a response body**, between two chunks.
//!
//! The SDK's own per-attempt timeout is not used: it would count the queueing and the
//! whole upload against one fixed deadline.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use aws_sdk_s3::config::{RuntimeComponents, SharedHttpClient};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use remote_store_async::Progress;
use tokio::sync::Semaphore;
use tokio::time::Sleep;

/// Request bodies are handed to the connection in slices of at most this size, so that
/// taking a slice is a sign of progress on the wire (the connection takes the next one
/// only when its buffer has room).
const SLICE: usize = 64 * 1024;

/// The SDK's HTTP client with a bound on requests in flight and idle-based timeouts.
#[derive(Clone)]
pub(crate) struct Transport {
    inner: SharedHttpClient,
    shared: Arc<Shared>,
}

struct Shared {
    permits: Semaphore,
    request_timeout: Duration,
    read_timeout: Duration,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("max_in_flight", &self.shared.permits.available_permits())
            .field("request_timeout", &self.shared.request_timeout)
            .field("read_timeout", &self.shared.read_timeout)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Wraps `inner`.
    pub(crate) fn new(
        inner: SharedHttpClient,
        max_in_flight: usize,
        request_timeout: Duration,
        read_timeout: Duration,
    ) -> Self {
        Transport {
            inner,
            shared: Arc::new(Shared {
                permits: Semaphore::new(max_in_flight.max(1)),
                request_timeout,
                read_timeout,
            }),
        }
    }
}

impl HttpClient for Transport {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            inner: self.inner.http_connector(settings, components),
            shared: Arc::clone(&self.shared),
        })
    }
}

#[derive(Clone)]
struct Connector {
    inner: SharedHttpConnector,
    shared: Arc<Shared>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector").finish_non_exhaustive()
    }
}

impl HttpConnector for Connector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let this = self.clone();
        HttpConnectorFuture::new(async move {
            let permit = this.shared.permits.acquire().await.map_err(|_| {
                ConnectorError::other("the HTTP transport was shut down".into(), None)
            })?;
            // The clock starts now, when the request is sent.
            let progress = Arc::new(Progress::new());
            let body = request.take_body();
            *request.body_mut() = if body.bytes().is_some_and(<[u8]>::is_empty) {
                body
            } else {
                SdkBody::from_body_1_x(Sliced {
                    inner: body,
                    pending: Bytes::new(),
                    progress: Arc::clone(&progress),
                })
            };
            let sent = this.inner.call(request);
            let idle = this.shared.request_timeout;
            let response = tokio::select! {
                response = sent => response?,
                () = progress.silent_for(idle) => {
                    return Err(ConnectorError::timeout(
                        format!("no progress within the request timeout ({idle:?})").into(),
                    ));
                }
            };
            drop(permit);
            let read_timeout = this.shared.read_timeout;
            Ok(response.map(|body| {
                SdkBody::from_body_1_x(Watched {
                    inner: body,
                    read_timeout,
                    timer: None,
                })
            }))
        })
    }
}

/// A request body handed out in slices of at most [`SLICE`] bytes, marking progress
/// every time the connection takes one.
struct Sliced {
    inner: SdkBody,
    pending: Bytes,
    progress: Arc<Progress>,
}

impl Body for Sliced {
    type Data = Bytes;
    type Error = aws_smithy_types::body::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.pending.is_empty() {
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => this.pending = data,
                    // Trailers (checksums) pass through as they are.
                    Err(frame) => {
                        this.progress.mark();
                        return Poll::Ready(Some(Ok(frame)));
                    }
                },
                other => return Poll::Ready(other),
            }
        }
        let n = this.pending.len().min(SLICE);
        let slice = this.pending.split_to(n);
        this.progress.mark();
        Poll::Ready(Some(Ok(Frame::data(slice))))
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let inner = self.inner.size_hint();
        let pending = self.pending.len() as u64;
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower() + pending);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + pending);
        }
        hint
    }
}

/// A response body that fails when no chunk arrives for `read_timeout` while it is being
/// read (a caller that stops reading is not timed).
struct Watched {
    inner: SdkBody,
    read_timeout: Duration,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Body for Watched {
    type Data = Bytes;
    type Error = aws_smithy_types::body::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.timer = None;
            return Poll::Ready(frame);
        }
        let timeout = this.read_timeout;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(timer.as_mut().poll(cx));
        this.timer = None;
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("the response body stalled for the read timeout ({timeout:?})"),
        )
        .into())))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn bodies_are_sliced_and_mark_progress() {
        let progress = Arc::new(Progress::new());
        let data = Bytes::from(vec![7u8; SLICE * 2 + 10]);
        let body = Sliced {
            inner: SdkBody::from(data.clone()),
            pending: Bytes::new(),
            progress: Arc::clone(&progress),
        };
        assert_eq!(body.size_hint().exact(), Some(data.len() as u64));
        let mut body = std::pin::pin!(body);
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        while let Some(frame) = body.frame().await {
            let chunk = frame.unwrap().into_data().unwrap();
            sizes.push(chunk.len());
            all.extend_from_slice(&chunk);
        }
        assert_eq!(sizes, [SLICE, SLICE, 10]);
        assert_eq!(all, data);
    }
}
