//! Bulk operations (`delete_many`): one outcome per item, in input order.
//!
//! A bulk call never stops at the first failure: it answers with one `Result` per input
//! item, at the item's position. These helpers keep that order when only some items reach
//! the next step (the store validates paths first, the retry layer retries only the failed
//! items, a backend checks some items before one bulk request).

use crate::{Error, RemotePath, Result};

/// The most keys a backend hands the service in one bulk delete request (S3
/// `DeleteObjects` takes at most 1,000). Callers chunking their own input use it too.
pub const MAX_DELETE_BATCH: usize = 1000;

/// How many single deletes the per-item fallback of `AsyncBackend::delete_many` keeps in
/// flight at once.
pub const DELETE_CONCURRENCY: usize = 16;

/// One outcome per path for a bulk call that failed as a whole (a closed backend, a runtime
/// gone): every item gets an error of the same kind, text and retryability, naming its own
/// path. The first item keeps the original error (and its source).
pub fn fan_out(error: Error, paths: &[RemotePath]) -> Vec<Result<()>> {
    let mut out: Vec<Result<()>> = paths
        .iter()
        .skip(1)
        .map(|p| Err(error.copy_for(p.as_str())))
        .collect();
    if let Some(first) = paths.first() {
        out.insert(0, Err(error.or_path(|| first.as_str().to_owned())));
    }
    out
}

/// The outcomes of a bulk call under construction: some items are settled, the others
/// (`picked`) go on to the next step, whose outcomes [`fill`](Self::fill) puts back in
/// place.
#[derive(Debug)]
pub struct Outcomes {
    slots: Vec<Option<Result<()>>>,
    picked: Vec<usize>,
}

impl Outcomes {
    /// Settles the items whose check failed and picks the others: returns the picked
    /// values, in input order.
    pub fn pick<T>(checked: impl IntoIterator<Item = Result<T>>) -> (Outcomes, Vec<T>) {
        let mut slots = Vec::new();
        let mut picked = Vec::new();
        let mut values = Vec::new();
        for (i, item) in checked.into_iter().enumerate() {
            match item {
                Ok(v) => {
                    slots.push(None);
                    picked.push(i);
                    values.push(v);
                }
                Err(e) => slots.push(Some(Err(e))),
            }
        }
        (Outcomes { slots, picked }, values)
    }

    /// How many items are still open.
    pub fn open(&self) -> usize {
        self.picked.len()
    }

    /// Puts the outcomes of the picked items (in the order [`pick`](Self::pick) returned
    /// them) in place, passing each through `map`. A missing outcome (a backend that
    /// answered fewer items than it was given) is an error for its item.
    pub fn fill(
        mut self,
        outcomes: Vec<Result<()>>,
        map: impl Fn(Result<()>) -> Result<()>,
    ) -> Vec<Result<()>> {
        let mut outcomes = outcomes.into_iter();
        for i in std::mem::take(&mut self.picked) {
            let outcome = outcomes.next().unwrap_or_else(|| {
                Err(Error::new(crate::ErrorKind::Other)
                    .with_message("the backend answered fewer items than it was given"))
            });
            self.slots[i] = Some(map(outcome));
        }
        self.finish()
    }

    /// Picks, among the open items, those whose outcome in `outcomes` satisfies `again`
    /// (they stay open; the others are settled). Returns the indices, into the previously
    /// open items, of those picked again.
    pub fn repick(
        &mut self,
        outcomes: Vec<Result<()>>,
        again: impl Fn(&Result<()>) -> bool,
    ) -> Vec<usize> {
        let mut still = Vec::new();
        let mut positions = Vec::new();
        let mut outcomes = outcomes.into_iter();
        for (pos, i) in std::mem::take(&mut self.picked).into_iter().enumerate() {
            let outcome = outcomes.next().unwrap_or_else(|| {
                Err(Error::new(crate::ErrorKind::Other)
                    .with_message("the backend answered fewer items than it was given"))
            });
            if again(&outcome) {
                still.push(i);
                positions.push(pos);
            }
            self.slots[i] = Some(outcome);
        }
        self.picked = still;
        positions
    }

    /// The outcomes in input order (an item never settled is an error).
    pub fn finish(self) -> Vec<Result<()>> {
        self.slots
            .into_iter()
            .map(|s| {
                s.unwrap_or_else(|| {
                    Err(Error::new(crate::ErrorKind::Other).with_message("no outcome recorded"))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn paths(names: &[&str]) -> Vec<RemotePath> {
        names.iter().map(|n| RemotePath::new(n).unwrap()).collect()
    }

    #[test]
    fn fan_out_names_each_item() {
        let out = fan_out(Error::unavailable("closed"), &paths(&["a", "b"]));
        assert_eq!(out.len(), 2);
        for (r, p) in out.iter().zip(["a", "b"]) {
            let e = r.as_ref().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BackendUnavailable);
            assert!(e.is_retryable());
            assert_eq!(e.path(), Some(p));
        }
        assert!(fan_out(Error::closed(), &[]).is_empty());
    }

    #[test]
    fn picked_outcomes_go_back_in_place() {
        let checked = vec![Ok(1), Err(Error::invalid_path("x", "bad")), Ok(3)];
        let (outcomes, values) = Outcomes::pick(checked);
        assert_eq!(values, vec![1, 3]);
        let out = outcomes.fill(vec![Ok(()), Err(Error::not_found("c"))], |r| r);
        assert!(out[0].is_ok());
        assert_eq!(out[1].as_ref().unwrap_err().kind(), ErrorKind::InvalidPath);
        assert_eq!(out[2].as_ref().unwrap_err().kind(), ErrorKind::NotFound);
    }

    #[test]
    fn repick_keeps_only_what_should_run_again() {
        let (mut outcomes, _) = Outcomes::pick(vec![Ok(()), Ok(()), Ok(())]);
        let again = outcomes.repick(
            vec![
                Err(Error::unavailable("x")),
                Ok(()),
                Err(Error::not_found("z")),
            ],
            |r| r.as_ref().is_err_and(Error::is_retryable),
        );
        assert_eq!(again, vec![0]);
        assert_eq!(outcomes.open(), 1);
        let out = outcomes.fill(vec![Ok(())], |r| r);
        assert!(out[0].is_ok() && out[1].is_ok());
        assert_eq!(out[2].as_ref().unwrap_err().kind(), ErrorKind::NotFound);
    }
}
