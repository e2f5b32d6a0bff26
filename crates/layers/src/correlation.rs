//! A correlation id the caller sets for a scope; [`Observe`](crate::Observe) stamps it on
//! every event started inside that scope (and the tracing observer on every span).
//!
//! - Blocking code: [`with_id`] sets it for the current thread while a closure runs.
//! - Async code: [`with_id_async`] sets it for one future, wherever tokio polls it (a
//!   task-local); an id set with [`with_id`] around a `block_on` is seen too.
//!
//! The id is read when an operation starts, on the thread or in the task that calls the
//! layer. An operation an adapter moves to another thread (`SyncBackendAdapter` runs the
//! blocking backend on tokio's blocking pool) sees no id there, so put the `Observe` layer
//! on the side of the adapter where the id is set.
//!
//! ```
//! use remote_store_layers::correlation;
//!
//! assert_eq!(correlation::current(), None);
//! correlation::with_id("req-42", || {
//!     assert_eq!(correlation::current().as_deref(), Some("req-42"));
//! });
//! assert_eq!(correlation::current(), None);
//! ```

use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    static THREAD_ID: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

#[cfg(feature = "async")]
tokio::task_local! {
    static TASK_ID: Arc<str>;
}

/// Runs `f` with `id` as the current thread's correlation id, restoring the previous one
/// afterwards (also when `f` panics).
pub fn with_id<R>(id: impl Into<Arc<str>>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<str>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            THREAD_ID.with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = THREAD_ID.with(|c| c.borrow_mut().replace(id.into()));
    let _restore = Restore(previous);
    f()
}

/// Runs `fut` with `id` as its correlation id (a tokio task-local, seen wherever the future
/// is polled). This is an async version of [`with_id`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use remote_store_layers::correlation;
///
/// correlation::with_id_async("job-7", async {
///     assert_eq!(correlation::current().as_deref(), Some("job-7"));
/// })
/// .await;
/// # }
/// ```
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub async fn with_id_async<F: Future>(id: impl Into<Arc<str>>, fut: F) -> F::Output {
    TASK_ID.scope(id.into(), fut).await
}

/// The correlation id in force here: the current future's ([`with_id_async`]) if it has
/// one, else the current thread's ([`with_id`]).
pub fn current() -> Option<Arc<str>> {
    #[cfg(feature = "async")]
    if let Ok(id) = TASK_ID.try_with(Arc::clone) {
        return Some(id);
    }
    THREAD_ID.with(|c| c.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_and_restore() {
        with_id("outer", || {
            with_id("inner", || assert_eq!(current().as_deref(), Some("inner")));
            assert_eq!(current().as_deref(), Some("outer"));
            let caught = std::panic::catch_unwind(|| with_id("boom", || panic!("x")));
            assert!(caught.is_err());
            assert_eq!(current().as_deref(), Some("outer"));
        });
        assert_eq!(current(), None);
    }

    #[test]
    fn other_threads_do_not_see_it() {
        with_id("mine", || {
            let seen = std::thread::spawn(current).join().unwrap();
            assert_eq!(seen, None);
        });
    }
}
