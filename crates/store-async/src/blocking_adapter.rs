//! [`BlockingAdapter`]: any [`AsyncBackend`](crate::AsyncBackend) as a blocking `Backend`.

/// Wraps an async backend as a blocking one (work in progress).
#[derive(Debug)]
pub struct BlockingAdapter<B>(std::sync::Arc<B>);
