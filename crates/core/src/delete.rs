//! [`DeleteOptions`] and [`DeleteFolderOptions`].

/// Options for `delete_with`. The plain `delete` uses the defaults: a missing file is
/// `NotFound`.
///
/// ```
/// use remote_store_core::DeleteOptions;
///
/// let opts = DeleteOptions::new().missing_ok(true);
/// assert!(opts.missing_ok);
/// assert!(!DeleteOptions::default().missing_ok);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeleteOptions {
    /// Succeed when there is nothing to delete (default false: missing is `NotFound`). A
    /// folder at the path is still `InvalidPath`.
    pub missing_ok: bool,
}

impl DeleteOptions {
    /// Defaults: a missing file is an error.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `missing_ok`.
    pub fn missing_ok(mut self, missing_ok: bool) -> Self {
        self.missing_ok = missing_ok;
        self
    }
}

/// Options for `delete_folder_with`. The plain `delete_folder` uses the defaults: only an
/// empty folder is deleted, and a missing one is `NotFound`.
///
/// ```
/// use remote_store_core::DeleteFolderOptions;
///
/// let opts = DeleteFolderOptions::new().recursive(true).missing_ok(true);
/// assert!(opts.recursive && opts.missing_ok);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeleteFolderOptions {
    /// Remove the whole subtree (default false: a non-empty folder is `DirectoryNotEmpty`).
    pub recursive: bool,
    /// Succeed when the folder does not exist (default false: missing is `NotFound`). A file
    /// at the path is still `InvalidPath`.
    pub missing_ok: bool,
}

impl DeleteFolderOptions {
    /// Defaults: not recursive, a missing folder is an error.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `recursive`.
    pub fn recursive(mut self, recursive: bool) -> Self {
        self.recursive = recursive;
        self
    }

    /// Sets `missing_ok`.
    pub fn missing_ok(mut self, missing_ok: bool) -> Self {
        self.missing_ok = missing_ok;
        self
    }
}
