//! The default timeouts and retries of every network backend, in one place.
//!
//! Every network backend (S3, Azure, SFTP) names these settings the same way and takes
//! its defaults from here, so a dead or stalled server fails in the same, bounded time
//! whichever backend talks to it:
//!
//! | setting | S3, Azure | SFTP | what it bounds |
//! |---|---|---|---|
//! | `connect_timeout` | [`CONNECT`] (5 s) | 15 s | opening a connection: TCP and TLS; for SFTP also the SSH handshake, login and SFTP start |
//! | `request_timeout` | [`REQUEST`] (8 s) | 30 s | S3, Azure: silence while a request is sent and its response awaited (no body bytes taken, no response yet) — never a total deadline, so a slow upload that keeps moving does not time out. SFTP: one SFTP request (at most one 32–256 KiB chunk) |
//! | `read_timeout` | [`READ`] (15 s) | — (`request_timeout` per chunk) | silence inside a response body, between two chunks, while the caller reads |
//! | `retry` ([`RetryPolicy`]) | [`retry()`]: [`MAX_ATTEMPTS`] (3) attempts, 100 ms initial backoff (Azure 200 ms), 5 s max, no deadline | [`RetryPolicy::never`] (1 attempt) | S3, Azure: attempts of one request, the first included, by the SDK's own retry (`docs/retries.md`). SFTP: attempts to (re)connect; requests are not repeated |
//! | `max_in_flight_requests` | [`MAX_IN_FLIGHT_REQUESTS`] (64) | `max_sessions` channels | requests awaiting a response at once; more queue, and the queueing counts against no timeout |
//!
//! With these, a server that accepts connections and never answers fails a call within
//! `3 × 8 s` plus backoff (100 + 200 ms; Azure 200 + 400 ms, plus at most 255 ms of SDK
//! jitter each) on S3 and Azure and 15 s on SFTP (under 30 s everywhere), and a
//! transfer that stalls fails within 45 s (S3, Azure: three silent attempts of an upload,
//! or one silent read) or 30 s (SFTP).
//! `docs/adr/0011-fail-fast-timeouts.md` says why and what it costs.

use std::time::Duration;

use crate::RetryPolicy;

/// Default `connect_timeout`.
pub const CONNECT: Duration = Duration::from_secs(5);
/// Default `request_timeout`.
pub const REQUEST: Duration = Duration::from_secs(8);
/// Default `read_timeout`.
pub const READ: Duration = Duration::from_secs(15);
/// Default `retry.max_attempts` of S3 and Azure: the first attempt and 2 retries.
pub const MAX_ATTEMPTS: u32 = 3;

/// The default `retry` of S3 and Azure ([`RetryPolicy::default`]: [`MAX_ATTEMPTS`]
/// attempts, 100 ms doubling up to 5 s, no deadline). Azure's config starts its backoff
/// at 200 ms instead (the Azure SDK's own default).
pub fn retry() -> RetryPolicy {
    RetryPolicy::new().max_attempts(MAX_ATTEMPTS)
}
/// Default `max_in_flight_requests`: requests of one backend awaiting their response at
/// once; more queue without their timeouts running.
pub const MAX_IN_FLIGHT_REQUESTS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_retry_is_three_attempts() {
        let policy = retry();
        assert_eq!(policy.max_attempts, MAX_ATTEMPTS);
        assert_eq!(MAX_ATTEMPTS, 3, "ADR 0011: 3 attempts × 8 s < 30 s");
        assert_eq!(policy.initial_backoff, Duration::from_millis(100));
        assert_eq!(policy.deadline, None);
        // Three silent attempts and their (un-jittered) waits stay under 30 s.
        let waits: Duration = (1..MAX_ATTEMPTS).map(|n| policy.backoff(n)).sum();
        assert!(REQUEST * MAX_ATTEMPTS + waits < Duration::from_secs(30));
    }
}
