//! [`CopyOptions`] and [`MoveOptions`].

/// Options for `copy_file_with`. The plain `copy_file` uses the defaults: an existing
/// destination is `AlreadyExists`.
///
/// ```
/// use remote_store_core::CopyOptions;
///
/// assert!(CopyOptions::new().overwrite(true).overwrite);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Replace an existing destination file (default false).
    pub overwrite: bool,
}

impl CopyOptions {
    /// Defaults: an existing destination is an error.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `overwrite`.
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }
}

/// Options for `move_file_with`. The plain `move_file` uses the defaults: an existing
/// destination is `AlreadyExists`.
///
/// ```
/// use remote_store_core::MoveOptions;
///
/// assert!(MoveOptions::new().overwrite(true).overwrite);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MoveOptions {
    /// Replace an existing destination file (default false).
    pub overwrite: bool,
}

impl MoveOptions {
    /// Defaults: an existing destination is an error.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `overwrite`.
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// The same choice as copy options, for backends that move by copy + delete.
    pub fn as_copy(&self) -> CopyOptions {
        CopyOptions::new().overwrite(self.overwrite)
    }
}
