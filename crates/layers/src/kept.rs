//! [`KeptPath`]: the key a stream keeps after its call returned (for a resumed read's
//! reopen, for messages and for the event of an observed stream), without an allocation
//! per stream for the usual short keys.

// Only the layers' streams keep keys: without a half there are none.
#![cfg_attr(not(any(feature = "sync", feature = "async")), allow(dead_code))]

use remote_store_core::{RemotePath, Result};

/// Keys up to this many bytes are kept inline (most keys are shorter).
const INLINE: usize = 62;

/// A copy of a key: inline when short, else on the heap.
pub(crate) enum KeptPath {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl KeptPath {
    #[inline]
    pub(crate) fn new(key: &str) -> Self {
        match u8::try_from(key.len()) {
            Ok(len) if key.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..key.len()].copy_from_slice(key.as_bytes());
                KeptPath::Inline { len, bytes }
            }
            _ => KeptPath::Heap(key.into()),
        }
    }

    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Always valid: the bytes are a whole `str`.
            KeptPath::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            KeptPath::Heap(key) => key,
        }
    }

    /// The key as a path again, for a call. A kept key is a normalised `RemotePath`, which
    /// parses back to itself.
    pub(crate) fn to_path(&self) -> Result<RemotePath> {
        RemotePath::new(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_inline_and_on_the_heap() {
        let long = "a/".repeat(40) + "f.bin";
        for key in ["", "r", "a/b/c.txt", "ünï/cødé.txt", &"x".repeat(62), &long] {
            let kept = KeptPath::new(key);
            assert_eq!(kept.as_str(), key);
            assert_eq!(matches!(kept, KeptPath::Inline { .. }), key.len() <= INLINE);
            assert_eq!(kept.to_path().unwrap(), RemotePath::new(key).unwrap());
        }
    }
}
