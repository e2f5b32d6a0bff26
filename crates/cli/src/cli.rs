//! The command line: every flag and command, parsed by clap into one [`Cli`] value that
//! the commands read. No storage logic lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// rstore: look into, copy, check and clean any store remote-store reaches (local
/// folders, S3, Azure Blob, SFTP), named in a config file or given by URL.
///
/// A LOCATION is `NAME:path` (a store named in the config file), a URL (`s3://bucket/key`,
/// `az://account/container/key`, `sftp://user@host/path`, `file:///abs/path`), or a local
/// path.
#[derive(Debug, Parser)]
#[command(name = "rstore", version, max_term_width = 100)]
pub(crate) struct Cli {
    /// The config file naming stores (default: $REMOTE_STORE_CONFIG, else
    /// ~/.config/remote-store/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Only errors on stderr, and no summary lines.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Machine-readable JSON on stdout (listing and reporting commands).
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Progress bars on stderr (only when stderr is a terminal).
    #[arg(short = 'P', long, global = true)]
    pub(crate) progress: bool,

    /// Files transferred (or hashed, or compared) at once.
    #[arg(long, global = true, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) transfers: u16,

    /// Replace existing destination files (off: an existing destination is an error).
    #[arg(long, global = true)]
    pub(crate) overwrite: bool,

    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List a folder (files and subfolders) or a file.
    Ls(LsArgs),
    /// Show facts about a file (size, time, etag, digest, metadata) or a folder.
    Stat(LocationArg),
    /// Write files to stdout.
    Cat(LocationsArg),
    /// Upload a local file (or stdin, `-`) to a location.
    Put(PutArgs),
    /// Download a file to a local path (or stdout, `-` or no DST).
    Get(GetArgs),
    /// Copy a file, or a tree with -r, from any location to any location.
    Cp(CopyArgs),
    /// Move a file, or a tree with -r (copy, then delete the source).
    Mv(CopyArgs),
    /// Delete files, or folders with -r.
    Rm(RmArgs),
    /// Count the files and bytes under folders.
    Du(LocationsArg),
    /// Compare two trees (or files): size, then digest or content.
    Check(CheckArgs),
    /// Print a digest of each file (every file below a folder).
    Hashsum(HashsumArgs),
    /// Check that stores answer (the cheapest read-only request).
    Ping(LocationsArg),
    /// Make DST a copy of SRC: copy new and changed files, delete extra ones with --delete.
    Sync(SyncArgs),
    /// Inspect the config file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

impl Command {
    /// Whether the command writes files (and so stops cleanly on Ctrl-C instead of at
    /// once): `put`, `get` to a file, `cp`, `mv`, `sync`.
    pub(crate) fn writes(&self) -> bool {
        match self {
            Command::Put(_) | Command::Cp(_) | Command::Mv(_) | Command::Sync(_) => true,
            Command::Get(args) => args.dst.as_deref().is_some_and(|d| d != "-"),
            _ => false,
        }
    }
}

/// One location.
#[derive(Debug, Args)]
pub(crate) struct LocationArg {
    /// `NAME:path`, a URL, or a local path.
    #[arg(value_name = "LOCATION")]
    pub(crate) location: String,
}

/// One or more locations.
#[derive(Debug, Args)]
pub(crate) struct LocationsArg {
    /// `NAME:path`, URLs, or local paths.
    #[arg(value_name = "LOCATION", required = true)]
    pub(crate) locations: Vec<String>,
}

/// `ls`.
#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// Every file below, with its path relative to the location.
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Size and modification time too.
    #[arg(short, long)]
    pub(crate) long: bool,
    /// The folder or file (default: the current directory).
    #[arg(value_name = "LOCATION", default_value = ".")]
    pub(crate) location: String,
}

/// `put`.
#[derive(Debug, Args)]
pub(crate) struct PutArgs {
    /// A local file, or `-` for stdin.
    #[arg(value_name = "FILE")]
    pub(crate) src: String,
    /// Where to write it (an existing folder, or a path ending in `/`, receives the file
    /// under its own name).
    #[arg(value_name = "DST")]
    pub(crate) dst: String,
}

/// `get`.
#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// The file to download.
    #[arg(value_name = "SRC")]
    pub(crate) src: String,
    /// A local file or folder; `-` or nothing for stdout.
    #[arg(value_name = "DST")]
    pub(crate) dst: Option<String>,
}

/// `cp` and `mv`.
#[derive(Debug, Args)]
pub(crate) struct CopyArgs {
    /// A whole tree: every file below SRC goes to the same relative path below DST.
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// What to copy.
    #[arg(value_name = "SRC")]
    pub(crate) src: String,
    /// Where to (for a single file: an existing folder, or a path ending in `/`, receives it
    /// under its own name).
    #[arg(value_name = "DST")]
    pub(crate) dst: String,
}

/// `rm`.
#[derive(Debug, Args)]
pub(crate) struct RmArgs {
    /// Delete folders with everything below them.
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// A missing file or folder is not an error.
    #[arg(long)]
    pub(crate) missing_ok: bool,
    /// What to delete.
    #[arg(value_name = "LOCATION", required = true)]
    pub(crate) locations: Vec<String>,
}

/// `check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Compare sizes only, never content.
    #[arg(long)]
    pub(crate) size_only: bool,
    /// The digest used when content must be read to be compared.
    #[arg(long, value_enum, default_value_t = Algo::Sha256)]
    pub(crate) algo: Algo,
    /// The reference tree or file.
    #[arg(value_name = "SRC")]
    pub(crate) src: String,
    /// The copy to check.
    #[arg(value_name = "DST")]
    pub(crate) dst: String,
}

/// `hashsum`.
#[derive(Debug, Args)]
pub(crate) struct HashsumArgs {
    /// The digest.
    #[arg(long, value_enum, default_value_t = Algo::Sha256)]
    pub(crate) algo: Algo,
    /// Files, or folders (every file below).
    #[arg(value_name = "LOCATION", required = true)]
    pub(crate) locations: Vec<String>,
}

/// `sync`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Delete files at DST that are not at SRC.
    #[arg(long)]
    pub(crate) delete: bool,
    /// Print what would change; change nothing.
    #[arg(short = 'n', long)]
    pub(crate) dry_run: bool,
    /// Compare content digests of same-size files instead of modification times.
    #[arg(long)]
    pub(crate) checksum: bool,
    /// The tree to mirror.
    #[arg(value_name = "SRC")]
    pub(crate) src: String,
    /// The mirror.
    #[arg(value_name = "DST")]
    pub(crate) dst: String,
}

/// `config ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate the config file and ping every store it names.
    Check,
    /// Print the path of the config file in use.
    Path,
}

/// `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    /// bash
    Bash,
    /// zsh
    Zsh,
    /// fish
    Fish,
}

/// Digest algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Algo {
    /// SHA-256.
    Sha256,
    /// CRC-32C (Castagnoli), as S3 and gRPC use it.
    Crc32c,
    /// MD5 (the S3 ETag of a single-part upload).
    Md5,
}

impl Algo {
    /// The core algorithm it names.
    pub(crate) fn algorithm(self) -> remote_store::transfer::ChecksumAlgorithm {
        use remote_store::transfer::ChecksumAlgorithm;
        match self {
            Algo::Sha256 => ChecksumAlgorithm::Sha256,
            Algo::Crc32c => ChecksumAlgorithm::Crc32c,
            Algo::Md5 => ChecksumAlgorithm::Md5,
        }
    }

    /// The lower-case name, as `ContentDigest::algorithm` writes it.
    pub(crate) fn name(self) -> &'static str {
        self.algorithm().as_str()
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
