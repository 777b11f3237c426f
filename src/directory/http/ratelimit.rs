//! Per-connector pacing: at most N requests per second, and a pause after the server says
//! "429 Too Many Requests" (honouring `Retry-After`, seconds or an HTTP date).
//!
//! A request that would have to wait past its deadline is not sent at all: the caller gets
//! the wait back and reports "rate limited", so a pop never blocks on a throttled CRM.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest pause a `Retry-After` may impose (a broken header must not silence a CRM for days).
const MAX_PAUSE: Duration = Duration::from_secs(3600);
/// Pause when a 429 carries no usable `Retry-After`.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

/// One connector's pacing state.
#[derive(Debug)]
pub struct RateLimit {
    interval: Option<Duration>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next_slot: Instant,
    paused_until: Option<Instant>,
}

impl RateLimit {
    /// At most `per_second` requests per second (`None`: no pacing, only 429 pauses).
    pub fn new(per_second: Option<f64>) -> Self {
        Self {
            interval: per_second
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(|r| Duration::from_secs_f64(1.0 / r)),
            state: Mutex::new(State {
                next_slot: Instant::now(),
                paused_until: None,
            }),
        }
    }

    /// Waits for this request's slot. `Err(wait)` if the slot is after `deadline` (nothing
    /// is reserved then).
    pub async fn acquire(&self, deadline: Instant) -> Result<(), Duration> {
        let slot = {
            let mut st = crate::sync::lock(&self.state);
            let now = Instant::now();
            let mut slot = st.next_slot.max(now);
            if let Some(until) = st.paused_until {
                if until > slot {
                    slot = until;
                } else if until <= now {
                    st.paused_until = None;
                }
            }
            if slot > deadline {
                return Err(slot - now);
            }
            st.next_slot = slot + self.interval.unwrap_or_default();
            slot
        };
        // A timer, even one already due, waits for the next tick of tokio's 1 ms wheel.
        if slot > Instant::now() {
            tokio::time::sleep_until(slot.into()).await;
        }
        Ok(())
    }

    /// Pauses every request for `wait` (after a 429).
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait.min(MAX_PAUSE);
        let mut st = crate::sync::lock(&self.state);
        st.paused_until = Some(st.paused_until.map_or(until, |u| u.max(until)));
    }
}

/// The wait a `Retry-After` value asks for: delta-seconds or an HTTP date.
pub fn retry_after(value: Option<&str>) -> Duration {
    let Some(v) = value.map(str::trim) else {
        return DEFAULT_PAUSE;
    };
    if let Ok(secs) = v.parse::<u64>() {
        return Duration::from_secs(secs).min(MAX_PAUSE);
    }
    chrono::DateTime::parse_from_rfc2822(v)
        .ok()
        .and_then(|t| {
            (t.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .ok()
        })
        .map_or(DEFAULT_PAUSE, |d| d.min(MAX_PAUSE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after(Some("7")), Duration::from_secs(7));
        assert_eq!(retry_after(None), DEFAULT_PAUSE);
        assert_eq!(retry_after(Some("soon")), DEFAULT_PAUSE);
        assert_eq!(retry_after(Some("999999")), MAX_PAUSE);
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let d = retry_after(Some(&later));
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
    }

    #[tokio::test]
    async fn requests_are_spaced_and_a_pause_past_the_deadline_is_refused() {
        let limit = RateLimit::new(Some(20.0));
        let start = Instant::now();
        for _ in 0..3 {
            limit.acquire(start + Duration::from_secs(5)).await.unwrap();
        }
        assert!(start.elapsed() >= Duration::from_millis(100));
        limit.pause(Duration::from_secs(10));
        let wait = limit
            .acquire(Instant::now() + Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(wait > Duration::from_secs(9), "{wait:?}");
    }
}
