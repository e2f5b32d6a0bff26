//! [`GlobPattern`]: store-relative glob patterns, compiled once.

use globset::{GlobBuilder, GlobMatcher};

use crate::RemotePath;
use crate::error::{Error, Result};

/// A compiled glob: `*` and `?` stay within a segment, `[...]` is a class, `**` spans any
/// number of segments (including none).
///
/// ```
/// use remote_store_core::{GlobPattern, RemotePath};
///
/// let g = GlobPattern::new("logs/**/*.gz").unwrap();
/// assert!(g.matches(&RemotePath::new("logs/2026/11/a.gz").unwrap()));
/// assert!(g.matches(&RemotePath::new("logs/a.gz").unwrap()));
/// assert!(!g.matches(&RemotePath::new("logs/a.txt").unwrap()));
/// assert_eq!(g.literal_prefix().as_str(), "logs");
/// ```
#[derive(Debug, Clone)]
pub struct GlobPattern {
    source: String,
    matcher: GlobMatcher,
    prefix: RemotePath,
}

impl GlobPattern {
    /// Compiles `pattern`, normalising its separators like a [`RemotePath`].
    ///
    /// # Errors
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) for a malformed pattern;
    /// [`InvalidPath`](crate::ErrorKind::InvalidPath) for a pattern with `..` or control
    /// characters.
    pub fn new(pattern: &str) -> Result<Self> {
        let normal = RemotePath::new(pattern)?;
        if normal.is_root() {
            return Err(Error::invalid_argument(
                "an empty glob pattern matches nothing",
            ));
        }
        let glob = GlobBuilder::new(normal.as_str())
            .literal_separator(true)
            .backslash_escape(false)
            .build()
            .map_err(|e| {
                Error::invalid_argument(format!("bad glob pattern {pattern:?}")).with_source(e)
            })?;
        let literal: Vec<&str> = normal
            .parts()
            .take_while(|s| !s.contains(['*', '?', '[', '{']))
            .collect();
        let literal_len = literal.len().min(normal.depth().saturating_sub(1));
        let prefix = RemotePath::new(&literal[..literal_len].join("/"))?;
        Ok(GlobPattern {
            source: normal.as_str().to_owned(),
            matcher: glob.compile_matcher(),
            prefix,
        })
    }

    /// The pattern as given (normalised).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The longest folder prefix without wildcards: listing it recursively finds every match.
    pub fn literal_prefix(&self) -> &RemotePath {
        &self.prefix
    }

    /// True when `path` matches the whole pattern.
    pub fn matches(&self, path: &RemotePath) -> bool {
        self.matcher.is_match(path.as_str())
    }

    /// True when a bare file name matches (used for `ListOptions::pattern`).
    pub fn matches_name(&self, name: &str) -> bool {
        self.matcher.is_match(name)
    }

    /// A copy of this pattern with `base` (a full key) prepended.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn rooted_at(&self, base: &RemotePath) -> Result<Self> {
        if base.is_root() {
            return Ok(self.clone());
        }
        let mut rooted = Self::new(&format!(
            "{}/{}",
            globset_escape(base.as_str()),
            self.source
        ))?;
        // The base is literal even where it holds glob characters (escaped above, which
        // the prefix scan of `new` cannot see through): listing starts below it, not at
        // the first segment with a `[`.
        rooted.prefix = base.join_path(&self.prefix);
        Ok(rooted)
    }
}

fn globset_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RemotePath {
        RemotePath::new(s).unwrap()
    }

    #[test]
    fn wildcards() {
        let star = GlobPattern::new("*.txt").unwrap();
        assert!(star.matches(&p("a.txt")));
        assert!(!star.matches(&p("d/a.txt")));
        let q = GlobPattern::new("a?.txt").unwrap();
        assert!(q.matches(&p("ab.txt")) && !q.matches(&p("abc.txt")));
        let deep = GlobPattern::new("**/x.bin").unwrap();
        assert!(deep.matches(&p("x.bin")) && deep.matches(&p("a/b/x.bin")));
        assert_eq!(deep.literal_prefix(), &RemotePath::ROOT);
        assert_eq!(
            GlobPattern::new("a/b/c.txt")
                .unwrap()
                .literal_prefix()
                .as_str(),
            "a/b"
        );
    }

    #[test]
    fn rooting_escapes_the_base() {
        let g = GlobPattern::new("*.txt")
            .unwrap()
            .rooted_at(&p("we[ird]/x"))
            .unwrap();
        assert!(g.matches(&p("we[ird]/x/a.txt")));
        assert!(!g.matches(&p("wei/x/a.txt")));
        // Listing starts below the literal base, not at the backend's root.
        assert_eq!(g.literal_prefix().as_str(), "we[ird]/x");
        let deeper = GlobPattern::new("d/*.txt")
            .unwrap()
            .rooted_at(&p("we[ird]"))
            .unwrap();
        assert_eq!(deeper.literal_prefix().as_str(), "we[ird]/d");
        assert!(deeper.matches(&p("we[ird]/d/a.txt")));
        let plain = GlobPattern::new("**/a.txt")
            .unwrap()
            .rooted_at(&p("b/c"))
            .unwrap();
        assert_eq!(plain.literal_prefix().as_str(), "b/c");
    }

    #[test]
    fn bad_patterns() {
        assert!(GlobPattern::new("[").is_err());
        assert!(GlobPattern::new("").is_err());
        assert!(GlobPattern::new("../*").is_err());
    }
}
