//! [`Features`]: what a backend fixture declares about itself beyond its capabilities.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use remote_store_async::AsyncStore;
use remote_store_core::Result;
use remote_store_sync::Store;

/// What a backend fixture declares about itself, beyond the [`CapabilitySet`] its store
/// reports.
///
/// Cases are selected by the store's declared capabilities and by these flags — never by
/// name. Start from [`Features::hierarchical`] (real folders: local, SFTP) or
/// [`Features::flat`] (folders are key prefixes: S3, Azure) and adjust with the builder
/// setters, which share their names with the fields.
///
/// A documented server deviation is declared with [`deviation`](Self::deviation): the case
/// still runs, and its failure is reported in a visible table instead of failing the run.
///
/// ```
/// use remote_store_conformance::Features;
///
/// let memory = Features::hierarchical().empty_folders_persist(false);
/// assert!(!memory.flat_namespace);
///
/// let s3 = Features::flat()
///     .large_listing(1100)
///     .deviation("race_create_exactly_one_wins", "the emulator ignores If-None-Match");
/// assert!(s3.terminal_close);
/// assert_eq!(s3.deviations().count(), 1);
///
/// let with_key = Features::flat().secret("wJalrXUtnFEMI/K7MDENG");
/// assert!(!format!("{with_key:?}").contains("wJalrXUtnFEMI"));
/// ```
///
/// [`CapabilitySet`]: remote_store_core::CapabilitySet
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Features {
    /// Folders are key prefixes (S3, Azure): a folder exists only while a key lies under it.
    pub flat_namespace: bool,
    /// Writes (and move/copy destinations) below a file are refused with `InvalidPath`.
    /// Hierarchical backends always do; flat ones only when configured to walk ancestors.
    pub checks_ancestor_files: bool,
    /// A folder survives the deletion of its last file (real directories: local, SFTP).
    /// False for prefix namespaces and for backends whose folders are implicit (memory).
    pub empty_folders_persist: bool,
    /// One store may be used from many threads or tasks at once (enables the concurrency
    /// and race cases).
    pub thread_safe: bool,
    /// `close()` is terminal: every later call fails with `BackendUnavailable("closed")`,
    /// checked before any path check (S3, Azure). Otherwise the store stays usable.
    pub terminal_close: bool,
    /// Reads stream: an async read of a large object yields its first chunk before the
    /// whole object has arrived (so the body comes in more than one chunk).
    pub streams_lazily: bool,
    /// Run the multi-part-sized write case (12 MiB, at least two parts on S3/Azure).
    pub big_writes: bool,
    /// How many files the big-listing case writes into one folder. Backends whose listings
    /// are paged by the server need more than one page (> 1000 on S3 and Azure).
    pub large_listing: usize,
    /// How long one case may take before it is reported as hung.
    pub case_timeout: Duration,
    deviations: BTreeMap<String, String>,
    secrets: Secrets,
    container: Container,
}

/// Builds a blocking store over a container that does not exist (or the error that
/// refused to build one).
pub(crate) type SyncMaker = dyn Fn() -> Result<Store> + Send + Sync;
/// Builds an async store over a container that does not exist (or the error that refused
/// to build one).
pub(crate) type AsyncMaker = dyn Fn() -> BoxFuture<'static, Result<AsyncStore>> + Send + Sync;

/// A hook of the fixture: a shared function, compared by identity and never printed.
pub(crate) struct Hook<T: ?Sized>(pub(crate) Arc<T>);

impl<T: ?Sized> Clone for Hook<T> {
    fn clone(&self) -> Self {
        Hook(Arc::clone(&self.0))
    }
}

impl<T: ?Sized> PartialEq for Hook<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T: ?Sized> Eq for Hook<T> {}

impl<T: ?Sized> fmt::Debug for Hook<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hook>")
    }
}

/// What the fixture declared about its container (bucket, blob container, root folder).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Container {
    /// The backend has no container that could be missing (memory), and why.
    pub(crate) none: Option<String>,
    /// The missing container's name, as the errors must show it.
    pub(crate) name: String,
    pub(crate) sync: Option<Hook<SyncMaker>>,
    pub(crate) asynchronous: Option<Hook<AsyncMaker>>,
}

/// Secret strings, never shown (not even by `Features`' own `Debug`).
#[derive(Clone, Default, PartialEq, Eq)]
struct Secrets(Vec<String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} redacted>", self.0.len())
    }
}

impl Features {
    /// A backend with real folders (local filesystem, SFTP): folders persist when emptied,
    /// writes below a file are refused, `close` is not terminal, reads stream, and the
    /// store is thread-safe. A backend with implicit folders (memory) also sets
    /// [`empty_folders_persist(false)`](Self::empty_folders_persist).
    pub fn hierarchical() -> Self {
        Features {
            flat_namespace: false,
            checks_ancestor_files: true,
            empty_folders_persist: true,
            thread_safe: true,
            terminal_close: false,
            streams_lazily: true,
            big_writes: true,
            large_listing: 1100,
            case_timeout: Duration::from_secs(60),
            deviations: BTreeMap::new(),
            secrets: Secrets::default(),
            container: Container::default(),
        }
    }

    /// A backend whose folders are key prefixes (S3, Azure): folders vanish with their last
    /// file, ancestors are not walked, `close` is terminal, reads stream, and the store is
    /// thread-safe. The big listing spans more than one 1000-key page.
    pub fn flat() -> Self {
        Features {
            flat_namespace: true,
            checks_ancestor_files: false,
            empty_folders_persist: false,
            terminal_close: true,
            ..Self::hierarchical()
        }
    }

    /// Sets [`flat_namespace`](Self::flat_namespace).
    pub fn flat_namespace(mut self, yes: bool) -> Self {
        self.flat_namespace = yes;
        self
    }

    /// Sets [`checks_ancestor_files`](Self::checks_ancestor_files).
    pub fn checks_ancestor_files(mut self, yes: bool) -> Self {
        self.checks_ancestor_files = yes;
        self
    }

    /// Sets [`empty_folders_persist`](Self::empty_folders_persist).
    pub fn empty_folders_persist(mut self, yes: bool) -> Self {
        self.empty_folders_persist = yes;
        self
    }

    /// Sets [`thread_safe`](Self::thread_safe).
    pub fn thread_safe(mut self, yes: bool) -> Self {
        self.thread_safe = yes;
        self
    }

    /// Sets [`terminal_close`](Self::terminal_close).
    pub fn terminal_close(mut self, yes: bool) -> Self {
        self.terminal_close = yes;
        self
    }

    /// Sets [`streams_lazily`](Self::streams_lazily).
    pub fn streams_lazily(mut self, yes: bool) -> Self {
        self.streams_lazily = yes;
        self
    }

    /// Sets [`big_writes`](Self::big_writes).
    pub fn big_writes(mut self, yes: bool) -> Self {
        self.big_writes = yes;
        self
    }

    /// Sets [`large_listing`](Self::large_listing).
    pub fn large_listing(mut self, files: usize) -> Self {
        self.large_listing = files;
        self
    }

    /// Sets [`case_timeout`](Self::case_timeout).
    pub fn case_timeout(mut self, timeout: Duration) -> Self {
        self.case_timeout = timeout;
        self
    }

    /// Declares a documented deviation of this fixture from the contract: the case named
    /// `case` still runs; if it fails, the failure is reported as a known deviation with
    /// `reason` instead of failing the run, and if it passes, the report says so. A name
    /// that is not a case of the suite fails the run (see [`case_names`]).
    ///
    /// [`case_names`]: crate::case_names
    pub fn deviation(mut self, case: impl Into<String>, reason: impl Into<String>) -> Self {
        self.deviations.insert(case.into(), reason.into());
        self
    }

    /// Declares a secret of the fixture (a password, an account key, a secret access key):
    /// the identity cases check that it never appears in the store's `Debug` output, in
    /// native paths, or in errors. `Features`' own `Debug` never shows it either.
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        let secret = secret.into();
        if !secret.is_empty() {
            self.secrets.0.push(secret);
        }
        self
    }

    /// Declares how to build a blocking store over a bucket, blob container or root folder
    /// named `name` that **does not exist**, for the missing-container case of the sync
    /// half: every operation on it must fail with `NotFound` marked
    /// [`is_container_not_found`](remote_store_core::Error::is_container_not_found), its
    /// message naming `name` — never `false`, an empty listing, or a write that creates the
    /// container. `make` may instead return the error with which the backend refuses to be
    /// built over a missing container (the local backend does); that error is checked the
    /// same way. Without this hook (or [`no_container`](Self::no_container)) the case is
    /// skipped, and the report says so.
    ///
    /// ```
    /// use remote_store_conformance::Features;
    /// use remote_store_memory::MemoryBackend;
    /// use remote_store_sync::Store;
    ///
    /// // A real fixture points its backend at a bucket that was never created.
    /// let f = Features::flat().missing_container_sync("no-such-bucket", || {
    ///     Store::new(MemoryBackend::new(), "")
    /// });
    /// assert_eq!(f.missing_container_name(), Some("no-such-bucket"));
    /// ```
    pub fn missing_container_sync<F>(mut self, name: impl Into<String>, make: F) -> Self
    where
        F: Fn() -> Result<Store> + Send + Sync + 'static,
    {
        self.container.name = name.into();
        self.container.sync = Some(Hook(Arc::new(make)));
        self
    }

    /// The async twin of [`missing_container_sync`](Self::missing_container_sync), for the
    /// missing-container case of the async half.
    pub fn missing_container_async<F, Fut>(mut self, name: impl Into<String>, make: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<AsyncStore>> + Send + 'static,
    {
        self.container.name = name.into();
        let boxed = move || -> BoxFuture<'static, Result<AsyncStore>> { Box::pin(make()) };
        self.container.asynchronous = Some(Hook(Arc::new(boxed)));
        self
    }

    /// Declares that the backend has no bucket, container or root folder that could be
    /// missing (the memory backend), and why: the missing-container cases are skipped with
    /// `reason`.
    pub fn no_container(mut self, reason: impl Into<String>) -> Self {
        self.container.none = Some(reason.into());
        self
    }

    /// The name of the missing container a hook was declared for.
    pub fn missing_container_name(&self) -> Option<&str> {
        (self.container.sync.is_some() || self.container.asynchronous.is_some())
            .then_some(self.container.name.as_str())
    }

    pub(crate) fn container(&self) -> &Container {
        &self.container
    }

    /// The declared secrets.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.secrets.0.iter().map(String::as_str)
    }

    /// The declared deviations, as `(case, reason)`.
    pub fn deviations(&self) -> impl Iterator<Item = (&str, &str)> {
        self.deviations
            .iter()
            .map(|(c, r)| (c.as_str(), r.as_str()))
    }

    /// The reason given for `case`, if it is a declared deviation.
    pub fn deviation_for(&self, case: &str) -> Option<&str> {
        self.deviations.get(case).map(String::as_str)
    }

    /// True when writes (and move/copy destinations) below a file must be refused.
    pub fn refuses_writes_under_files(&self) -> bool {
        !self.flat_namespace || self.checks_ancestor_files
    }
}

impl Default for Features {
    /// [`Features::hierarchical`].
    fn default() -> Self {
        Self::hierarchical()
    }
}
