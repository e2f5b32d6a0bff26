//! [`ListOptions`] and the depth/pattern filter both stores apply.

use crate::error::Result;
use crate::glob::GlobPattern;
use crate::{FileInfo, RemotePath};

/// Options for `list_files_with`.
///
/// `max_depth` overrides `recursive`: `Some(0)` lists direct children only, `Some(n)` goes
/// `n` folders deep (inclusive). `pattern` is a glob on the file *name*, applied after depth.
///
/// ```
/// use remote_store_core::ListOptions;
///
/// let opts = ListOptions::new().max_depth(1).pattern("*.csv");
/// assert!(opts.is_recursive());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// List the whole subtree (ignored when `max_depth` is set).
    pub recursive: bool,
    /// How many folder levels below the listed folder to descend.
    pub max_depth: Option<u32>,
    /// A glob matched against each file's name.
    pub pattern: Option<String>,
    /// Only files whose key sorts strictly after this one (byte-wise), as S3's
    /// `StartAfter`. Relative to the store, like every path a store takes.
    pub start_after: Option<String>,
}

impl ListOptions {
    /// Direct children, no pattern.
    pub fn new() -> Self {
        Self::default()
    }

    /// The whole subtree: `ListOptions::new().recursive(true)`.
    pub fn subtree() -> Self {
        Self::new().recursive(true)
    }

    /// Sets `recursive`.
    pub fn recursive(mut self, recursive: bool) -> Self {
        self.recursive = recursive;
        self
    }

    /// Sets `max_depth`.
    pub fn max_depth(mut self, depth: u32) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// Sets the name pattern.
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    /// Lists only files whose key (relative to the store, compared byte-wise as UTF-8)
    /// sorts strictly after `key` — an offset to resume a listing from, like S3's
    /// `StartAfter`. The key need not exist. Native where the backend declares
    /// `list_start_after` (it then lists less); elsewhere the store filters the listing.
    /// Listings stay in the backend's order either way: this is a filter, not a sort.
    ///
    /// ```
    /// use remote_store_core::ListOptions;
    ///
    /// let opts = ListOptions::subtree().start_after("logs/2024-06-30.txt");
    /// assert_eq!(opts.start_after.as_deref(), Some("logs/2024-06-30.txt"));
    /// ```
    pub fn start_after(mut self, key: impl Into<String>) -> Self {
        self.start_after = Some(key.into());
        self
    }

    /// Whether the backend must be asked for a recursive listing.
    pub fn is_recursive(&self) -> bool {
        match self.max_depth {
            Some(d) => d > 0,
            None => self.recursive,
        }
    }

    /// Compiles the options into a filter for files listed under `folder` (a full key).
    ///
    /// # Errors
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) for a malformed pattern.
    pub(crate) fn filter(&self, folder: &RemotePath) -> Result<ListFilter> {
        let pattern = self.pattern.as_deref().map(GlobPattern::new).transpose()?;
        Ok(ListFilter {
            base_depth: folder.depth(),
            max_depth: self.max_depth,
            pattern,
            start_after: self.start_after.clone(),
        })
    }
}

/// A compiled [`ListOptions`] filter: keeps files within the depth bound whose name matches.
///
/// Store internals (reached through the hidden `plan` module), not part of the API.
#[derive(Debug, Clone)]
pub struct ListFilter {
    base_depth: usize,
    max_depth: Option<u32>,
    pattern: Option<GlobPattern>,
    start_after: Option<String>,
}

impl ListFilter {
    /// True when `file` (whose path is a full key) passes the filter.
    pub fn accepts(&self, file: &FileInfo) -> bool {
        let depth_ok = self.max_depth.is_none_or(|max| {
            file.path.depth().saturating_sub(self.base_depth + 1) <= max as usize
        });
        depth_ok
            && self
                .start_after
                .as_deref()
                .is_none_or(|after| file.path.as_str() > after)
            && self
                .pattern
                .as_ref()
                .is_none_or(|p| p.matches_name(&file.name))
    }
}
