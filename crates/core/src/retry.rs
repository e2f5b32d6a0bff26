//! [`RetryPolicy`]: the one retry vocabulary of every layer and backend config.

use std::time::Duration;

use crate::error::{Error, Result};

/// How often and how patiently to retry an operation that failed with a retryable error
/// ([`Error::is_retryable`]).
///
/// The delay before retry `n` (counting from 1) is `initial_backoff * 2^(n-1)`, capped at
/// `max_backoff`; `jitter` is the fraction of each delay that is randomised (0: exact
/// delays, 1: anywhere between zero and the delay), so many clients failing at once do not
/// retry in step. `deadline`, when set, bounds the whole operation, waits included: a
/// retry whose delay would end past it is not attempted. (The `Retry` layer counts it
/// from an operation's first failure, so a call that never fails reads no clock.)
///
/// The policy is data and pure arithmetic: it performs no I/O and knows no runtime, so the
/// blocking and the async retry layers (and backend configs) share it. With the `serde`
/// feature it reads and writes the duration syntax of [`crate::duration`]:
///
/// ```
/// use std::time::Duration;
/// use remote_store_core::RetryPolicy;
///
/// let policy = RetryPolicy::new()
///     .max_attempts(4)
///     .initial_backoff(Duration::from_millis(100))
///     .max_backoff(Duration::from_secs(1))
///     .jitter(0.0);
/// // Retries 1, 2 and 3 wait 100 ms, 200 ms and 400 ms; there is no fourth retry.
/// assert_eq!(policy.delay(1, Duration::ZERO, 0.5), Some(Duration::from_millis(100)));
/// assert_eq!(policy.delay(3, Duration::ZERO, 0.5), Some(Duration::from_millis(400)));
/// assert_eq!(policy.delay(4, Duration::ZERO, 0.5), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included: `1` never retries. Default 3.
    pub max_attempts: u32,
    /// The delay before the first retry. Default 100 ms.
    #[cfg_attr(feature = "serde", serde(with = "crate::duration"))]
    pub initial_backoff: Duration,
    /// The longest delay between two attempts. Default 5 s.
    #[cfg_attr(feature = "serde", serde(with = "crate::duration"))]
    pub max_backoff: Duration,
    /// The randomised fraction of each delay, in `0.0..=1.0`. Default 0.5.
    pub jitter: f64,
    /// The time budget of the whole operation, waits included; `None` for no bound.
    /// Default `None`.
    #[cfg_attr(
        feature = "serde",
        serde(with = "optional_duration", skip_serializing_if = "Option::is_none")
    )]
    pub deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            jitter: 0.5,
            deadline: None,
        }
    }
}

impl RetryPolicy {
    /// The defaults: 3 attempts, 100 ms doubling up to 5 s, half of each delay randomised,
    /// no deadline.
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries (one attempt).
    pub fn never() -> Self {
        Self::default().max_attempts(1)
    }

    /// Sets the number of attempts, the first included (`0` is read as `1`).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the delay before the first retry.
    pub fn initial_backoff(mut self, delay: Duration) -> Self {
        self.initial_backoff = delay;
        self
    }

    /// Sets the longest delay between attempts.
    pub fn max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// Sets the randomised fraction of each delay (clamped to `0.0..=1.0`).
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self
    }

    /// Sets the time budget of the whole operation.
    pub fn deadline(mut self, budget: Option<Duration>) -> Self {
        self.deadline = budget;
        self
    }

    /// Checks the values a config file may have got wrong.
    ///
    /// # Errors
    /// `InvalidArgument` naming the field: `max_attempts` of 0, a `jitter` outside
    /// `0.0..=1.0`, or an `initial_backoff` longer than `max_backoff`.
    pub fn validate(&self) -> Result<()> {
        if self.max_attempts == 0 {
            return Err(Error::invalid_argument(
                "retry max_attempts must be at least 1 (1 never retries)",
            ));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(Error::invalid_argument(format!(
                "retry jitter must be between 0.0 and 1.0, not {}",
                self.jitter
            )));
        }
        if self.initial_backoff > self.max_backoff {
            return Err(Error::invalid_argument(format!(
                "retry initial_backoff ({}) is longer than max_backoff ({})",
                crate::duration::format(self.initial_backoff),
                crate::duration::format(self.max_backoff)
            )));
        }
        Ok(())
    }

    /// The delay before retry number `retry` (1 for the first retry) without jitter:
    /// `initial_backoff * 2^(retry-1)`, capped at `max_backoff`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(32);
        self.initial_backoff
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// Whether to make retry number `retry` (1 for the first retry) after `elapsed` time
    /// in the operation, and how long to wait first. `random` is a number in `0.0..1.0`
    /// the caller draws (the policy has no random source of its own).
    ///
    /// `None` when the attempts are used up or the wait would end past the deadline.
    pub fn delay(&self, retry: u32, elapsed: Duration, random: f64) -> Option<Duration> {
        if retry == 0 || retry >= self.max_attempts {
            return None;
        }
        let full = self.backoff(retry);
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // `jitter` is a public field: one set past `validate` (above 1, negative, NaN) must
        // not make the multiplier negative, which would panic mid-request.
        let jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let wait = full.mul_f64(1.0 - jitter * random);
        match self.deadline {
            Some(budget) if elapsed.saturating_add(wait) >= budget => None,
            _ => Some(wait),
        }
    }
}

/// `Option<Duration>` in the [`crate::duration`] syntax.
#[cfg(feature = "serde")]
mod optional_duration {
    use std::time::Duration;

    use serde::Deserialize;

    pub(super) fn serialize<S: serde::Serializer>(
        d: &Option<Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => crate::duration::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        #[derive(serde::Deserialize)]
        struct Wrapped(#[serde(with = "crate::duration")] Duration);
        Option::<Wrapped>::deserialize(d).map(|w| w.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn delays_double_up_to_the_cap_and_stop_at_max_attempts() {
        let p = RetryPolicy::new()
            .max_attempts(6)
            .initial_backoff(100 * MS)
            .max_backoff(350 * MS)
            .jitter(0.0);
        let delays: Vec<_> = (1..=6).map(|n| p.delay(n, Duration::ZERO, 0.9)).collect();
        assert_eq!(
            delays,
            [
                Some(100 * MS),
                Some(200 * MS),
                Some(350 * MS),
                Some(350 * MS),
                Some(350 * MS),
                None
            ]
        );
        assert_eq!(RetryPolicy::never().delay(1, Duration::ZERO, 0.0), None);
        assert_eq!(p.backoff(200), 350 * MS, "no overflow on many retries");
    }

    #[test]
    fn jitter_shortens_within_its_fraction() {
        let p = RetryPolicy::new().initial_backoff(100 * MS).jitter(0.5);
        assert_eq!(p.delay(1, Duration::ZERO, 0.0), Some(100 * MS));
        assert_eq!(p.delay(1, Duration::ZERO, 1.0), Some(50 * MS));
        assert_eq!(p.delay(1, Duration::ZERO, 0.5), Some(75 * MS));
        assert_eq!(RetryPolicy::new().jitter(7.0).jitter, 1.0);
    }

    #[test]
    fn the_deadline_bounds_the_waits() {
        let p = RetryPolicy::new()
            .max_attempts(10)
            .initial_backoff(100 * MS)
            .jitter(0.0)
            .deadline(Some(Duration::from_secs(1)));
        assert_eq!(p.delay(1, 800 * MS, 0.0), Some(100 * MS));
        assert_eq!(p.delay(1, 950 * MS, 0.0), None);
    }

    #[test]
    fn validate_names_the_field() {
        assert!(RetryPolicy::new().validate().is_ok());
        let mut p = RetryPolicy::new();
        p.max_attempts = 0;
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("max_attempts")
        );
        let p = RetryPolicy::new()
            .initial_backoff(Duration::from_secs(10))
            .max_backoff(Duration::from_secs(1));
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("initial_backoff")
        );
        let mut p = RetryPolicy::new();
        p.jitter = 2.0;
        assert!(p.validate().unwrap_err().to_string().contains("jitter"));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_the_duration_syntax() {
        let p: RetryPolicy = serde_json::from_str(
            r#"{"max_attempts": 5, "initial_backoff": "250ms", "max_backoff": 10, "deadline": "2m"}"#,
        )
        .unwrap();
        assert_eq!(p.max_attempts, 5);
        assert_eq!(p.initial_backoff, 250 * MS);
        assert_eq!(p.max_backoff, Duration::from_secs(10));
        assert_eq!(p.deadline, Some(Duration::from_secs(120)));
        assert_eq!(p.jitter, 0.5, "unset fields keep their default");
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""initial_backoff":"250ms""#), "{json}");
        assert!(json.contains(r#""deadline":"2m""#), "{json}");
        let back: RetryPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        let err = serde_json::from_str::<RetryPolicy>(r#"{"max_attempt": 5}"#).unwrap_err();
        assert!(err.to_string().contains("max_attempt"), "{err}");
        assert!(serde_json::from_str::<RetryPolicy>(r#"{"deadline": "soon"}"#).is_err());
    }
    #[test]
    fn an_unvalidated_jitter_never_panics() {
        for jitter in [1.5, -2.0, f64::NAN, f64::INFINITY] {
            let policy = RetryPolicy {
                jitter,
                ..RetryPolicy::default()
            };
            for random in [0.0, 0.5, 0.999] {
                let wait = policy
                    .delay(1, Duration::ZERO, random)
                    .expect("a first retry");
                assert!(wait <= policy.backoff(1), "{jitter} {random}: {wait:?}");
            }
        }
    }
}
