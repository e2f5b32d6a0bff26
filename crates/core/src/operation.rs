//! [`Operation`]: which store method an error (or, later, an event) belongs to.

use std::fmt;

/// A store operation, named as the method a caller invoked. Stores stamp it on every error
/// they return, so `Display` reads like `s3: write "reports/q3.csv": already exists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Opening a store over a backend (`Store::new`, `child`).
    Open,
    /// `exists`.
    Exists,
    /// `is_file`.
    IsFile,
    /// `is_folder`.
    IsFolder,
    /// `read` and reading from the stream it returned.
    Read,
    /// `read_bytes` (and `read_text`).
    ReadBytes,
    /// `read_range` and reading from the stream it returned.
    ReadRange,
    /// `read_seekable` and reading from the stream it returned.
    ReadSeekable,
    /// `write`, `write_with`, `write_text`.
    Write,
    /// `write_atomic`, `write_atomic_with`.
    WriteAtomic,
    /// `delete`, `delete_with`.
    Delete,
    /// `delete_folder`, `delete_folder_with`.
    DeleteFolder,
    /// `list_files`, `list_files_with`, and the listing they return.
    ListFiles,
    /// `list_folders` and the listing it returns.
    ListFolders,
    /// `iter_children` and the listing it returns.
    IterChildren,
    /// `glob` and the listing it returns.
    Glob,
    /// `get_file_info` (and `head`).
    GetFileInfo,
    /// `get_folder_info`.
    GetFolderInfo,
    /// `move_file`, `move_file_with`.
    Move,
    /// `copy_file`, `copy_file_with`.
    Copy,
    /// `ping`.
    Ping,
    /// `to_key`.
    ToKey,
    /// `native_path`.
    NativePath,
    /// `native`.
    Native,
    /// `close`.
    Close,
}

impl Operation {
    /// True for the operations that change the store: writes, deletes, moves and copies.
    pub fn is_mutation(self) -> bool {
        matches!(
            self,
            Operation::Write
                | Operation::WriteAtomic
                | Operation::Delete
                | Operation::DeleteFolder
                | Operation::Move
                | Operation::Copy
        )
    }

    /// The method name, as a stable lower-snake label (`"write_atomic"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Open => "open",
            Operation::Exists => "exists",
            Operation::IsFile => "is_file",
            Operation::IsFolder => "is_folder",
            Operation::Read => "read",
            Operation::ReadBytes => "read_bytes",
            Operation::ReadRange => "read_range",
            Operation::ReadSeekable => "read_seekable",
            Operation::Write => "write",
            Operation::WriteAtomic => "write_atomic",
            Operation::Delete => "delete",
            Operation::DeleteFolder => "delete_folder",
            Operation::ListFiles => "list_files",
            Operation::ListFolders => "list_folders",
            Operation::IterChildren => "iter_children",
            Operation::Glob => "glob",
            Operation::GetFileInfo => "get_file_info",
            Operation::GetFolderInfo => "get_folder_info",
            Operation::Move => "move_file",
            Operation::Copy => "copy_file",
            Operation::Ping => "ping",
            Operation::ToKey => "to_key",
            Operation::NativePath => "native_path",
            Operation::Native => "native",
            Operation::Close => "close",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
