//! Layers for remote-store: wrappers that are themselves backends, for both halves.
//!
//! A layer wraps a backend and is one: [`Observe`], [`Retry`] and [`ConcurrencyLimit`]
//! each implement `remote_store_sync::Backend` when the backend they wrap does, and
//! `remote_store_async::AsyncBackend` when it does, so they stack in any order and a store
//! never knows they are there. What a layer decides — what an event carries, which errors
//! are retried and how long to wait, where a resumed read starts — is written once,
//! runtime-free, and both impls call it; the halves differ only in how they wait (a
//! condition variable or a thread sleep in the blocking half, tokio's semaphore and timer
//! in the async half).
//!
//! The layers use the public backend traits only. They never depend on a backend crate,
//! so a third-party backend gets them for free, and a backend already behind an
//! `Arc<dyn Backend>` (or `Box`) can be wrapped too: the store crates implement the traits
//! for `Arc<B>` and `Box<B>`.
//!
//! ```
//! # #[cfg(all(feature = "sync", feature = "tracing"))]
//! # fn main() -> remote_store_core::Result<()> {
//! use std::sync::Arc;
//! use remote_store_core::RetryPolicy;
//! use remote_store_layers::{ConcurrencyLimit, Observe, Retry, TracingObserver};
//! use remote_store_sync::{Backend, Store};
//! # fn any_backend() -> Arc<dyn Backend> { unimplemented!() }
//! # fn demo() -> remote_store_core::Result<()> {
//!
//! let backend: Arc<dyn Backend> = any_backend();
//! let layered = Observe::new(
//!     Retry::new(ConcurrencyLimit::new(backend, 16), RetryPolicy::new()),
//!     TracingObserver::new(),
//! );
//! let store = Store::new(layered, "reports")?;
//! # Ok(()) }
//! # Ok(()) }
//! # #[cfg(not(all(feature = "sync", feature = "tracing")))]
//! # fn main() {}
//! ```
//!
//! **Order.** Put [`Observe`] outermost to see one event per store call (with its retries
//! inside its duration), or inside [`Retry`] to see every attempt. Put
//! [`ConcurrencyLimit`] innermost so a retry waiting out its backoff holds no permit.
//!
//! ## Feature flags
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `sync` | yes | the layers as blocking `Backend`s |
//! | `async` | yes | the layers as `AsyncBackend`s (tokio) |
//! | `tracing` | no | [`TracingObserver`]: a span per operation |
//! | `metrics` | no | [`MetricsObserver`]: counters and a histogram via the `metrics` facade |

#![cfg_attr(docsrs, feature(doc_cfg))]

/// An `AsyncBackend` I/O method written out as `async_trait` expands it — a boxed future
/// borrowing `self` and the arguments — so that its body may return the inner backend's
/// future as it is instead of wrapping it in a future of its own. Each borrowed argument
/// names its lifetime: `fn exists<'p>(&self, path: &'p RemotePath) -> Result<bool> { .. }`.
#[cfg(feature = "async")]
macro_rules! async_method {
    (
        $(#[$m:meta])*
        fn $name:ident<$($l:lifetime),*>(&$self:ident $(, $arg:ident: $ty:ty)* $(,)?) -> $out:ty
        $body:block
    ) => {
        $(#[$m])*
        fn $name<'s, $($l,)* 'f>(&'s $self $(, $arg: $ty)*)
            -> futures::future::BoxFuture<'f, $out>
        where
            's: 'f,
            $($l: 'f,)*
            Self: 'f,
        $body
    };
}

pub mod correlation;
mod kept;
mod limit;
mod observe;
mod retry;

pub use limit::ConcurrencyLimit;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use observe::MetricsObserver;
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use observe::TracingObserver;
pub use observe::{Event, NoopObserver, Observe, Observer, Outcome, Scope, Start};
pub use remote_store_core::RetryPolicy;
pub use retry::Retry;

/// Compile-time checks: every layer is a backend of the kind it wraps, also over a shared
/// or boxed `dyn` backend and with a `dyn Observer`.
#[cfg(test)]
mod tests {
    #[cfg(feature = "sync")]
    #[test]
    fn layers_wrap_dyn_blocking_backends() {
        use std::sync::Arc;

        use remote_store_sync::Backend;

        use crate::{ConcurrencyLimit, Observe, Observer, Retry};

        fn backend<B: Backend>() {}
        backend::<Observe<Arc<dyn Backend>>>();
        backend::<Observe<Box<dyn Backend>, dyn Observer>>();
        backend::<Retry<Arc<dyn Backend>>>();
        backend::<ConcurrencyLimit<Box<dyn Backend>>>();
        backend::<Observe<Retry<ConcurrencyLimit<Arc<dyn Backend>>>>>();
    }

    #[cfg(feature = "async")]
    #[test]
    fn layers_wrap_dyn_async_backends() {
        use std::sync::Arc;

        use remote_store_async::AsyncBackend;

        use crate::{ConcurrencyLimit, Observe, Observer, Retry};

        fn backend<B: AsyncBackend>() {}
        backend::<Observe<Arc<dyn AsyncBackend>>>();
        backend::<Observe<Box<dyn AsyncBackend>, dyn Observer>>();
        backend::<Retry<Arc<dyn AsyncBackend>>>();
        backend::<ConcurrencyLimit<Box<dyn AsyncBackend>>>();
        backend::<Observe<Retry<ConcurrencyLimit<Arc<dyn AsyncBackend>>>>>();
    }
}
