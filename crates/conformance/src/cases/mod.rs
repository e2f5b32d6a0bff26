//! The case catalogue.
//!
//! Each case is written once, in a [`cases!`] block, and expanded into two modules: a
//! `sync_half` over `Store` and an `async_half` over `AsyncStore`. The two stores have the
//! same method names and argument shapes; inside a case body `aw!(expr)` is `expr` in the
//! sync half and `expr.await` in the async half, and helpers with the same names live in
//! [`support::blocking`] and [`support::nonblocking`]. Cases that only make sense in one
//! half (`read_seekable`, thread/task concurrency, cancellation) are written by hand in
//! [`sync_only`] and [`async_only`].

use futures::future::BoxFuture;
use remote_store_async::AsyncStore;
use remote_store_core::{Capability, CapabilitySet};
use remote_store_sync::Store;

use crate::Features;

/// `expr` (sync half).
macro_rules! aw_sync {
    ($e:expr) => {
        $e
    };
}

/// `expr.await` (async half).
macro_rules! aw_async {
    ($e:expr) => {
        $e.await
    };
}

pub(crate) use {aw_async, aw_sync};

/// Expands cases (and maybe-async helpers) into a `sync_half` and an `async_half` module,
/// each with a `CASES` table.
///
/// ```text
/// cases! {
///     helpers {
///         fn setup(s: &S) { aw!(put(s, "a.txt", "x")); }
///     }
///     /// Doc.
///     fn case_name(s, f) [Read, Write] without [Glob] if (f.flat_namespace) {
///         aw!(setup(&s));
///     }
/// }
/// ```
///
/// `[..]` lists the capabilities the case needs, `without [..]` those it needs absent, and
/// `if (..)` a predicate over the fixture's [`Features`] (bound to the second name).
macro_rules! cases {
    (
        $(helpers {
            $(
                $(#[$hm:meta])*
                fn $hname:ident ( $($hp:ident : $ht:ty),* $(,)? ) $(-> $hret:ty)? $hbody:block
            )*
        })?
        $(
            $(#[doc = $doc:literal])*
            fn $name:ident ( $s:ident , $f:ident ) [ $($cap:ident),* $(,)? ]
            $( without [ $($nocap:ident),* $(,)? ] )?
            $( if ( $cond:expr ) )?
            $body:block
        )*
    ) => {
        /// The cases of this area over `Store`.
        pub(crate) mod sync_half {
            #![allow(unused_imports, clippy::redundant_clone)]
            use super::*;
            use $crate::cases::aw_sync as aw;
            use $crate::cases::support::*;
            use $crate::cases::support::blocking::*;

            $($(
                $(#[$hm])*
                #[allow(dead_code)]
                pub(crate) fn $hname($($hp: $ht),*) $(-> $hret)? $hbody
            )*)?

            $(
                $(#[doc = $doc])*
                #[allow(unused_variables)]
                fn $name($s: S, $f: &$crate::Features) $body
            )*

            pub(crate) const CASES: &[$crate::cases::SyncCase] = &[$(
                $crate::cases::CaseDef {
                    name: stringify!($name),
                    requires: &[$(remote_store_core::Capability::$cap),*],
                    lacks: &[$($(remote_store_core::Capability::$nocap),*)?],
                    when: {
                        #[allow(unused_variables)]
                        fn when($f: &$crate::Features) -> bool { true $(&& ($cond))? }
                        when
                    },
                    when_text: concat!("" $(, stringify!($cond))?),
                    run: $name,
                }
            ),*];
        }

        /// The cases of this area over `AsyncStore`.
        pub(crate) mod async_half {
            #![allow(unused_imports, clippy::redundant_clone)]
            use super::*;
            use $crate::cases::aw_async as aw;
            use $crate::cases::support::*;
            use $crate::cases::support::nonblocking::*;

            $($(
                $(#[$hm])*
                #[allow(dead_code)]
                pub(crate) async fn $hname($($hp: $ht),*) $(-> $hret)? $hbody
            )*)?

            $(
                $(#[doc = $doc])*
                #[allow(unused_variables)]
                fn $name($s: S, $f: $crate::Features) -> futures::future::BoxFuture<'static, ()> {
                    Box::pin(async move $body)
                }
            )*

            pub(crate) const CASES: &[$crate::cases::AsyncCase] = &[$(
                $crate::cases::CaseDef {
                    name: stringify!($name),
                    requires: &[$(remote_store_core::Capability::$cap),*],
                    lacks: &[$($(remote_store_core::Capability::$nocap),*)?],
                    when: {
                        #[allow(unused_variables)]
                        fn when($f: &$crate::Features) -> bool { true $(&& ($cond))? }
                        when
                    },
                    when_text: concat!("" $(, stringify!($cond))?),
                    run: $name,
                }
            ),*];
        }
    };
}

mod async_only;
mod atomic;
mod capability;
mod conditional;
mod container;
mod delete;
mod digest;
mod glob;
mod identity;
mod info;
mod lifecycle;
mod listing;
mod metadata;
mod paths;
mod probes;
mod read;
mod root;
pub(crate) mod support;
mod sync_only;
mod transfer;
mod write;
mod writer;

/// One case: its name, what it needs, and how to run it.
pub(crate) struct CaseDef<R> {
    pub(crate) name: &'static str,
    pub(crate) requires: &'static [Capability],
    pub(crate) lacks: &'static [Capability],
    pub(crate) when: fn(&Features) -> bool,
    pub(crate) when_text: &'static str,
    pub(crate) run: R,
}

/// A case over `Store`; it runs on its own thread.
pub(crate) type SyncCase = CaseDef<fn(Store, &Features)>;
/// A case over `AsyncStore`.
pub(crate) type AsyncCase = CaseDef<fn(AsyncStore, Features) -> BoxFuture<'static, ()>>;

impl<R> CaseDef<R> {
    /// Why this case does not apply to a store with `caps` and `features`, if it does not.
    pub(crate) fn skip_reason(&self, caps: CapabilitySet, features: &Features) -> Option<String> {
        let missing: Vec<&str> = self
            .requires
            .iter()
            .filter(|c| !caps.supports(**c))
            .map(|c| c.as_str())
            .collect();
        if !missing.is_empty() {
            return Some(format!("needs {}", missing.join(", ")));
        }
        let present: Vec<&str> = self
            .lacks
            .iter()
            .filter(|c| caps.supports(**c))
            .map(|c| c.as_str())
            .collect();
        if !present.is_empty() {
            return Some(format!("only for backends without {}", present.join(", ")));
        }
        if self.name == container::CASE
            && let Some(why) = &features.container().none
        {
            return Some(format!("the backend has no container: {why}"));
        }
        if !(self.when)(features) {
            return Some(format!("features: needs {}", self.when_text));
        }
        None
    }
}

macro_rules! tables {
    ($half:ident, $extra:path; $($area:ident),*) => {{
        let mut all: Vec<&'static CaseDef<_>> = Vec::new();
        $(all.extend($area::$half::CASES.iter());)*
        all.extend($extra.iter());
        all
    }};
}

/// Every case of the sync half, in catalogue order.
pub(crate) fn sync_cases() -> Vec<&'static SyncCase> {
    tables!(sync_half, sync_only::CASES;
        identity, probes, root, paths, read, write, atomic, delete, listing, glob, info,
        transfer, metadata, digest, lifecycle, capability, container, writer,
        conditional)
}

/// Every case of the async half, in catalogue order.
pub(crate) fn async_cases() -> Vec<&'static AsyncCase> {
    tables!(async_half, async_only::CASES;
        identity, probes, root, paths, read, write, atomic, delete, listing, glob, info,
        transfer, metadata, digest, lifecycle, capability, container, writer,
        conditional)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn names_are_unique_per_half() {
        let sync: Vec<_> = sync_cases().iter().map(|c| c.name).collect();
        let unique: BTreeSet<_> = sync.iter().collect();
        assert_eq!(unique.len(), sync.len(), "duplicate sync case names");
        let asyn: Vec<_> = async_cases().iter().map(|c| c.name).collect();
        let unique: BTreeSet<_> = asyn.iter().collect();
        assert_eq!(unique.len(), asyn.len(), "duplicate async case names");
    }

    #[test]
    fn skip_reasons() {
        let case = &sync_cases()
            .into_iter()
            .find(|c| c.name == "read_bytes_returns_content")
            .unwrap();
        let none = CapabilitySet::EMPTY;
        assert!(case.skip_reason(none, &Features::hierarchical()).is_some());
        assert!(
            case.skip_reason(CapabilitySet::all(), &Features::hierarchical())
                .is_none()
        );
    }
}
