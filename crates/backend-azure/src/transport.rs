//! The HTTP transport under the SDK pipeline: `reqwest` with our timeouts, and errors that
//! never carry the request URL (a SAS token lives in the query string).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Request bodies larger than this go to the connection in slices of this size, so that
/// taking a slice is a sign of progress on the wire.
const SLICE: usize = 64 * 1024;

use async_trait::async_trait;
use azure_core::error::{Error as AzError, ErrorKind as AzErrorKind};
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{AsyncRawResponse, Body, HttpClient, Method, Request};
use futures::TryStreamExt;
use remote_store_async::Progress;
use remote_store_core::{Error, Result};

/// `reqwest` behind the SDK's [`HttpClient`] trait.
#[derive(Debug)]
pub(crate) struct Transport {
    client: reqwest::Client,
    request_timeout: Duration,
    /// Bounds the requests waiting for their response headers at once, so a burst of
    /// concurrent calls does not open hundreds of connections at the same moment (a
    /// flood a single-process server such as Azurite answers with resets and dropped SYNs).
    /// Response bodies do not hold a permit: an unread stream never blocks other calls.
    in_flight: tokio::sync::Semaphore,
    /// Requests sent so far, retries included (observable in tests).
    sent: Arc<AtomicU64>,
}

impl Transport {
    pub(crate) fn new(
        connect_timeout: Duration,
        request_timeout: Duration,
        read_timeout: Duration,
        max_in_flight: usize,
        sent: Arc<AtomicU64>,
    ) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .read_timeout(read_timeout)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::invalid_argument("azure: cannot build the HTTP client")
                    .with_source(e.without_url())
            })?;
        Ok(Transport {
            client,
            request_timeout,
            in_flight: tokio::sync::Semaphore::new(max_in_flight.max(1)),
            sent,
        })
    }
}

#[async_trait]
impl HttpClient for Transport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let method = match request.method() {
            Method::Delete => reqwest::Method::DELETE,
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
            Method::Patch => reqwest::Method::PATCH,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            other => {
                return Err(AzError::with_message(
                    AzErrorKind::Other,
                    format!("unsupported HTTP method {other:?}"),
                ));
            }
        };
        let permit = self.in_flight.acquire().await.map_err(|_| {
            AzError::with_message(AzErrorKind::Other, "the HTTP client was shut down")
        })?;
        let mut builder = self.client.request(method, request.url().clone());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        // The clock of `request_timeout` starts now, when the request is sent (queueing
        // for the permit above does not count), and restarts whenever the connection
        // takes another slice of the body: it measures silence, not size.
        let progress = Arc::new(Progress::new());
        builder = match request.body().clone() {
            Body::Bytes(bytes) if bytes.len() <= SLICE => builder.body(bytes),
            Body::Bytes(bytes) => {
                let marker = Arc::clone(&progress);
                let slices = (0..bytes.len()).step_by(SLICE).map(move |at| {
                    marker.mark();
                    Ok::<_, std::io::Error>(bytes.slice(at..bytes.len().min(at + SLICE)))
                });
                builder.body(reqwest::Body::wrap_stream(futures::stream::iter(slices)))
            }
            Body::SeekableStream(stream) => {
                let marker = Arc::clone(&progress);
                builder.body(reqwest::Body::wrap_stream(
                    stream.inspect_ok(move |_| marker.mark()),
                ))
            }
        };
        let req = builder.build().map_err(|e| {
            AzError::with_error(
                AzErrorKind::Other,
                e.without_url(),
                "cannot build the request",
            )
        })?;
        self.sent.fetch_add(1, Ordering::Relaxed);
        let sent = tokio::select! {
            sent = self.client.execute(req) => Some(sent),
            () = progress.silent_for(self.request_timeout) => None,
        };
        drop(permit);
        let rsp = match sent {
            None => {
                return Err(AzError::with_message(
                    AzErrorKind::Io,
                    format!(
                        "no progress and no response within the request timeout ({:?})",
                        self.request_timeout
                    ),
                ));
            }
            Some(Err(e)) => {
                let kind = if e.is_connect() {
                    AzErrorKind::Connection
                } else {
                    AzErrorKind::Io
                };
                return Err(AzError::with_error(
                    kind,
                    e.without_url(),
                    "the request failed",
                ));
            }
            Some(Ok(rsp)) => rsp,
        };
        let status = rsp.status().as_u16().into();
        let mut headers = Headers::new();
        for (name, value) in rsp.headers() {
            if let Ok(value) = value.to_str() {
                headers.insert(
                    HeaderName::from(name.as_str().to_owned()),
                    HeaderValue::from(value.to_owned()),
                );
            }
        }
        let body = rsp.bytes_stream().map_err(|e| {
            AzError::with_error(AzErrorKind::Io, e.without_url(), "the response body failed")
        });
        Ok(AsyncRawResponse::new(status, headers, Box::pin(body)))
    }
}
