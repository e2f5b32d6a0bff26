//! [`run_sync`] and [`run_async`]: run every applicable case, each on a fresh store, with a
//! panic guard and a timeout per case.

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Once, mpsc};
use std::thread;
use std::time::Instant;

use futures::FutureExt;
use remote_store_async::AsyncStore;
use remote_store_core::CapabilitySet;
use remote_store_sync::Store;

use crate::Features;
use crate::cases::{self, CaseDef};
use crate::report::{Deviation, DeviationOutcome, Report};

/// Runs every case that applies to the stores `factory` makes, over the blocking `Store`.
///
/// `factory` is called once to learn the backend's capabilities and then once per case:
/// each call must return a **fresh, isolated** store (its own temp dir, prefix or
/// container) that owns its backend. Cases are skipped only by the store's declared
/// capabilities and by `features`; each runs on its own thread, with panics caught and a
/// timeout of [`Features::case_timeout`], so one failing or hanging case does not stop
/// the others. `cell` names the run in the report, e.g. `"s3-moto/sync"`.
///
/// # Panics
/// Only if a case thread cannot be spawned.
pub fn run_sync<F>(cell: &str, features: Features, factory: F) -> Report
where
    F: Fn() -> Store + Send + Sync,
{
    install_panic_hook();
    let started = Instant::now();
    let mut run = Run::new(cell, &features);
    let caps = match guarded(|| factory().capabilities()) {
        Ok(caps) => caps,
        Err(message) => return run.factory_failed(message, started),
    };
    for case in cases::sync_cases() {
        if !run.applies(case, caps) {
            continue;
        }
        let began = Instant::now();
        let store = match guarded(&factory) {
            Ok(store) => store,
            Err(message) => {
                run.record(case.name, Err(format!("the factory panicked: {message}")));
                continue;
            }
        };
        let outcome = run_sync_case(cell, case, store, &features);
        run.report.timed(case.name, began.elapsed());
        run.record(case.name, outcome);
    }
    run.finish(started)
}

/// Runs every case that applies to the stores `factory` makes, over `AsyncStore`.
///
/// The async twin of [`run_sync`]: the same catalogue, the same rules. It must be awaited
/// inside a tokio runtime with its time driver enabled (`#[tokio::test]` is fine; the
/// concurrency cases run faster on a multi-thread runtime). `factory` returns a future
/// that resolves to a fresh, isolated store owning its backend.
pub async fn run_async<F, Fut>(cell: &str, features: Features, factory: F) -> Report
where
    F: Fn() -> Fut,
    Fut: Future<Output = AsyncStore>,
{
    install_panic_hook();
    let started = Instant::now();
    let mut run = Run::new(cell, &features);
    let caps = match guarded_async(async { factory().await.capabilities() }).await {
        Ok(caps) => caps,
        Err(message) => return run.factory_failed(message, started),
    };
    for case in cases::async_cases() {
        if !run.applies(case, caps) {
            continue;
        }
        let began = Instant::now();
        let fresh = tokio::time::timeout(features.case_timeout, guarded_async(factory())).await;
        let store = match fresh {
            Ok(Ok(store)) => store,
            Ok(Err(message)) => {
                run.record(case.name, Err(format!("the factory panicked: {message}")));
                continue;
            }
            Err(_) => {
                run.record(case.name, Err("the factory timed out".to_owned()));
                continue;
            }
        };
        let body = guarded_async((case.run)(store, features.clone()));
        let outcome = match tokio::time::timeout(features.case_timeout, body).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "timed out after {:?} (a hang or deadlock)",
                features.case_timeout
            )),
        };
        run.report.timed(case.name, began.elapsed());
        run.record(case.name, outcome);
    }
    run.finish(started)
}

/// The names of every case in the catalogue (both halves), for declaring deviations.
pub fn case_names() -> Vec<&'static str> {
    let mut names: BTreeSet<&'static str> = cases::sync_cases().iter().map(|c| c.name).collect();
    names.extend(cases::async_cases().iter().map(|c| c.name));
    names.into_iter().collect()
}

fn run_sync_case(
    cell: &str,
    case: &cases::SyncCase,
    store: Store,
    features: &Features,
) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    let features_for_case = features.clone();
    let body = case.run;
    let spawned = thread::Builder::new()
        .name(format!("conformance {cell} {}", case.name))
        .spawn(move || {
            let outcome = guarded(move || body(store, &features_for_case));
            // The runner may have given up waiting (timeout); nothing to do then.
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Err(format!("could not spawn the case thread: {e}"));
    }
    match rx.recv_timeout(features.case_timeout) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "timed out after {:?} (a hang or deadlock; its thread is abandoned)",
            features.case_timeout
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err("the case thread ended without a result".to_owned())
        }
    }
}

/// Bookkeeping of one cell.
struct Run {
    report: Report,
    features: Features,
    seen: BTreeSet<&'static str>,
}

impl Run {
    fn new(cell: &str, features: &Features) -> Self {
        Run {
            report: Report::new(cell),
            features: features.clone(),
            seen: BTreeSet::new(),
        }
    }

    /// Records a skip and returns false when `case` does not apply.
    fn applies<R>(&mut self, case: &CaseDef<R>, caps: CapabilitySet) -> bool {
        self.seen.insert(case.name);
        match case.skip_reason(caps, &self.features) {
            None => true,
            Some(why) => {
                if let Some(reason) = self.features.deviation_for(case.name) {
                    self.report.deviations.push(Deviation {
                        case: case.name.to_owned(),
                        reason: reason.to_owned(),
                        outcome: DeviationOutcome::NotRun(why.clone()),
                    });
                }
                self.report.skipped.push((case.name.to_owned(), why));
                false
            }
        }
    }

    fn record(&mut self, case: &'static str, outcome: Result<(), String>) {
        self.report.ran += 1;
        let deviation = self.features.deviation_for(case).map(str::to_owned);
        match (outcome, deviation) {
            (Ok(()), None) => self.report.passed += 1,
            (Ok(()), Some(reason)) => {
                self.report.passed += 1;
                self.report.deviations.push(Deviation {
                    case: case.to_owned(),
                    reason,
                    outcome: DeviationOutcome::UnexpectedPass,
                });
            }
            (Err(message), None) => self.report.failures.push((case.to_owned(), message)),
            (Err(message), Some(reason)) => self.report.deviations.push(Deviation {
                case: case.to_owned(),
                reason,
                outcome: DeviationOutcome::Failed(message),
            }),
        }
    }

    fn factory_failed(mut self, message: String, started: Instant) -> Report {
        self.report.failures.push((
            "<factory>".to_owned(),
            format!("the factory panicked before any case ran: {message}"),
        ));
        self.report.elapsed = started.elapsed();
        self.report
    }

    fn finish(mut self, started: Instant) -> Report {
        let known: BTreeSet<&str> = case_names().into_iter().collect();
        for (case, reason) in self.features.deviations() {
            if !known.contains(case) {
                self.report.failures.push((
                    case.to_owned(),
                    "a deviation names a case the suite does not have (see case_names())"
                        .to_owned(),
                ));
            } else if !self.seen.contains(case) {
                self.report.deviations.push(Deviation {
                    case: case.to_owned(),
                    reason: reason.to_owned(),
                    outcome: DeviationOutcome::NotRun("not a case of this half".to_owned()),
                });
            }
        }
        self.report.elapsed = started.elapsed();
        self.report
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Chains a hook that remembers where the last panic on this thread happened, so a failure
/// message can say which line of which case failed. The previous hook still runs.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let at = info.location().map(ToString::to_string);
            LAST_PANIC.with(|l| *l.borrow_mut() = at);
            previous(info);
        }));
    });
}

fn describe(payload: Box<dyn Any + Send>) -> String {
    let message = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    };
    match LAST_PANIC.with(|l| l.borrow_mut().take()) {
        Some(at) => format!("{message} (at {at})"),
        None => message,
    }
}

fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    LAST_PANIC.with(|l| l.borrow_mut().take());
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(describe)
}

async fn guarded_async<T>(fut: impl Future<Output = T>) -> Result<T, String> {
    LAST_PANIC.with(|l| l.borrow_mut().take());
    AssertUnwindSafe(fut).catch_unwind().await.map_err(describe)
}
