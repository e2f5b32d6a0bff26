//! Idle timeouts for network backends: a request fails when it stops making progress, not
//! when a fixed deadline passes. Shared by the S3 and Azure transports; not part of the API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// When a request last made progress (a chunk of its body taken by the connection, say),
/// measured from when it was sent.
#[derive(Debug)]
pub struct Progress {
    sent: Instant,
    last_ms: AtomicU64,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// A clock that starts now, when the request is sent.
    pub fn new() -> Self {
        Progress {
            sent: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    /// Records progress now.
    pub fn mark(&self) {
        let ms = u64::try_from(self.sent.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once no progress was recorded for `idle`.
    pub async fn silent_for(&self, idle: Duration) {
        loop {
            let last = self.last_ms.load(Ordering::Relaxed);
            tokio::time::sleep_until(self.sent + Duration::from_millis(last) + idle).await;
            if self.last_ms.load(Ordering::Relaxed) == last {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn silence_is_measured_from_the_last_progress() {
        let progress = Arc::new(Progress::new());
        let marker = Arc::clone(&progress);
        let started = Instant::now();
        tokio::spawn(async move {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                marker.mark();
            }
        });
        progress.silent_for(Duration::from_secs(2)).await;
        // Progress at 1..=5 s, then 2 s of silence.
        assert_eq!(started.elapsed().as_secs(), 7);
    }
}
