//! [`Report`]: what one conformance cell ran, passed, skipped and failed.

use std::fmt;
use std::time::Duration;

/// How a declared deviation turned out in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviationOutcome {
    /// The case failed, as the deviation says it would; the message is the failure.
    Failed(String),
    /// The case passed: the deviation may be stale and should be reviewed.
    UnexpectedPass,
    /// The case did not run in this cell (skipped by capability or flag).
    NotRun(String),
}

/// One declared deviation and what happened to its case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Deviation {
    /// The case name.
    pub case: String,
    /// The reason the fixture gave.
    pub reason: String,
    /// What happened.
    pub outcome: DeviationOutcome,
}

/// The outcome of one conformance cell (one backend in one half, e.g. `"memory/sync"`).
///
/// `ran` counts every case that was started; each of them either passed, failed, or failed
/// as a declared deviation. Print it with `Display`, or call
/// [`assert_passed`](Self::assert_passed) from a test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The cell's name.
    pub cell: String,
    /// Cases started.
    pub ran: usize,
    /// Cases that passed (including deviations that unexpectedly passed).
    pub passed: usize,
    /// Cases not started, as `(case, why)`: a missing capability or a feature flag.
    pub skipped: Vec<(String, String)>,
    /// The declared deviations and their outcomes.
    pub deviations: Vec<Deviation>,
    /// Real failures, as `(case, message)`.
    pub failures: Vec<(String, String)>,
    /// Wall time of the whole cell.
    pub elapsed: Duration,
    /// The slowest cases that ran (at most [`Report::SLOWEST`]), slowest first, with the
    /// wall time of each (the factory call included): where a cell's time goes.
    pub slowest: Vec<(String, Duration)>,
}

impl Report {
    /// How many of the slowest cases [`Report::slowest`] keeps.
    pub const SLOWEST: usize = 5;

    pub(crate) fn new(cell: &str) -> Self {
        Report {
            cell: cell.to_owned(),
            ..Self::default()
        }
    }

    /// Keeps `case` among the [`SLOWEST`](Self::SLOWEST) cases if it took long enough.
    pub(crate) fn timed(&mut self, case: &str, took: Duration) {
        let at = self.slowest.partition_point(|(_, t)| *t >= took);
        if at < Self::SLOWEST {
            self.slowest.insert(at, (case.to_owned(), took));
            self.slowest.truncate(Self::SLOWEST);
        }
    }

    /// Deviations whose case failed as declared.
    pub fn known_deviations(&self) -> usize {
        self.deviations
            .iter()
            .filter(|d| matches!(d.outcome, DeviationOutcome::Failed(_)))
            .count()
    }

    /// True when no case failed (known deviations excepted).
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }

    /// The one-line summary:
    /// `conformance <cell>: N ran, N passed, N skipped, N known deviations`.
    pub fn summary(&self) -> String {
        format!(
            "conformance {}: {} ran, {} passed, {} skipped, {} known deviations",
            self.cell,
            self.ran,
            self.passed,
            self.skipped.len(),
            self.known_deviations()
        )
    }

    /// Prints the report (to stdout and stderr, so it shows with and without
    /// `--nocapture`), then panics listing every failure, or if fewer than `min_cases`
    /// cases ran.
    ///
    /// # Panics
    /// On any failure, or when `ran < min_cases`.
    #[track_caller]
    pub fn assert_passed(&self, min_cases: usize) {
        // Written to the stderr handle directly, not through `eprintln!`: the test harness
        // captures the print macros of passing tests, and the counts must always show.
        {
            use std::io::Write as _;
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{self}");
        }
        let mut problems = Vec::new();
        if self.ran < min_cases {
            problems.push(format!(
                "only {} cases ran, at least {min_cases} expected",
                self.ran
            ));
        }
        for (case, message) in &self.failures {
            problems.push(format!("{case}: {message}"));
        }
        if !problems.is_empty() {
            panic!(
                "conformance {} failed ({} problems):\n  {}",
                self.cell,
                problems.len(),
                problems.join("\n  ")
            );
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:.2?})", self.summary(), self.elapsed)?;
        if !self.slowest.is_empty() {
            let slowest: Vec<String> = self
                .slowest
                .iter()
                .map(|(case, took)| format!("{case} {took:.2?}"))
                .collect();
            write!(f, "\n  slowest: {}", slowest.join(", "))?;
        }
        if !self.skipped.is_empty() {
            write!(f, "\n  skipped ({}):", self.skipped.len())?;
            for (case, why) in &self.skipped {
                write!(f, "\n    {case}: {why}")?;
            }
        }
        if !self.deviations.is_empty() {
            write!(f, "\n  declared deviations ({}):", self.deviations.len())?;
            write!(f, "\n    | case | reason | outcome |")?;
            for d in &self.deviations {
                let outcome = match &d.outcome {
                    DeviationOutcome::Failed(m) => format!("known deviation: {m}"),
                    DeviationOutcome::UnexpectedPass => {
                        "UNEXPECTED PASS: review the deviation".to_owned()
                    }
                    DeviationOutcome::NotRun(why) => format!("not run: {why}"),
                };
                write!(
                    f,
                    "\n    | {} | {} | {} |",
                    d.case,
                    d.reason,
                    one_line(&outcome)
                )?;
            }
        }
        if !self.failures.is_empty() {
            write!(f, "\n  FAILURES ({}):", self.failures.len())?;
            for (case, message) in &self.failures {
                write!(f, "\n    {case}: {message}")?;
            }
        }
        Ok(())
    }
}

fn one_line(s: &str) -> String {
    s.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_assert() {
        let mut r = Report::new("x/sync");
        r.ran = 3;
        r.passed = 2;
        r.skipped.push(("a".into(), "needs glob".into()));
        r.deviations.push(Deviation {
            case: "b".into(),
            reason: "server bug".into(),
            outcome: DeviationOutcome::Failed("boom".into()),
        });
        assert_eq!(
            r.summary(),
            "conformance x/sync: 3 ran, 2 passed, 1 skipped, 1 known deviations"
        );
        assert!(r.to_string().contains("known deviation: boom"));
        for (case, ms) in [("p", 5), ("q", 50), ("r", 1), ("s", 9), ("t", 7), ("u", 3)] {
            r.timed(case, Duration::from_millis(ms));
        }
        let order: Vec<&str> = r.slowest.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(order, ["q", "s", "t", "p", "u"]);
        assert!(r.to_string().contains("slowest: q 50.00ms, s 9.00ms"));
        r.assert_passed(3);
        let too_few = std::panic::catch_unwind(|| r.assert_passed(4));
        assert!(too_few.is_err());
        r.failures.push(("c".into(), "expected NotFound".into()));
        let failed = std::panic::catch_unwind(|| r.assert_passed(0));
        assert!(failed.is_err());
    }
}
