//! Rate limits on sign-in and the public link pages, as pure counting rules. The
//! counters themselves are stored (several servers share them); these functions say
//! what one more attempt does to a counter.

use chrono::{DateTime, Duration, Utc};

/// One counter: attempts since `window_start`, and a lock, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub window_start: DateTime<Utc>,
    pub hits: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

/// At most `max` attempts per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub max: i64,
    pub window: Duration,
}

/// Refused until this instant (becomes `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub until: DateTime<Utc>,
}

impl Refused {
    /// Whole seconds to wait, at least one.
    pub fn retry_after_secs(&self, now: DateTime<Utc>) -> i64 {
        ((self.until - now).num_milliseconds() + 999).div_euclid(1000).max(1)
    }
}

impl Counter {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self { window_start: now, hits: 0, locked_until: None }
    }

    fn locked(&self, now: DateTime<Utc>) -> Option<Refused> {
        self.locked_until.filter(|u| *u > now).map(|until| Refused { until })
    }

    /// Counts one attempt in a fixed window: over `max`, refused until the window ends.
    pub fn hit(&mut self, now: DateTime<Utc>, limit: Window) -> Result<(), Refused> {
        if let Some(r) = self.locked(now) {
            return Err(r);
        }
        if now >= self.window_start + limit.window || now < self.window_start {
            *self = Counter::new(now);
        }
        if self.hits >= limit.max {
            let until = self.window_start + limit.window;
            self.locked_until = Some(until);
            return Err(Refused { until });
        }
        self.hits += 1;
        Ok(())
    }

    /// Takes back one counted attempt (a sign-in that succeeded does not count).
    pub fn forgive_one(&mut self) {
        self.hits = (self.hits - 1).max(0);
    }

    /// Counts one sign-in attempt for a user name from one address, before the
    /// password is checked (so parallel guesses cannot slip past the limit). From the
    /// `threshold`-th attempt in a row the pair is locked, with back-off
    /// ([`lock_duration`]); a successful sign-in clears the counter. A streak left
    /// alone for a day starts again.
    pub fn attempt(&mut self, now: DateTime<Utc>, threshold: i64) -> Result<(), Refused> {
        if let Some(r) = self.locked(now) {
            return Err(r);
        }
        if now - self.window_start >= Duration::days(1) {
            *self = Counter::new(now);
        }
        self.hits += 1;
        self.locked_until = lock_duration(self.hits, threshold).map(|d| now + d);
        Ok(())
    }

    /// Whether the attempt just counted put a lock in place.
    pub fn refusal(&self, now: DateTime<Utc>) -> Option<Refused> {
        self.locked(now)
    }
}

/// Back-off after the threshold: 1 minute, then doubling per further failure, at most an hour.
pub fn lock_duration(failures: i64, threshold: i64) -> Option<Duration> {
    (failures >= threshold).then(|| Duration::minutes(1i64 << (failures - threshold).min(6)).min(Duration::hours(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_000_000, 0).unwrap()
    }

    #[test]
    fn lockout_backs_off_and_caps_at_an_hour() {
        assert_eq!(lock_duration(4, 5), None);
        assert_eq!(lock_duration(5, 5), Some(Duration::minutes(1)));
        assert_eq!(lock_duration(6, 5), Some(Duration::minutes(2)));
        assert_eq!(lock_duration(8, 5), Some(Duration::minutes(8)));
        assert_eq!(lock_duration(50, 5), Some(Duration::hours(1)));
    }

    #[test]
    fn a_window_refuses_past_its_maximum_until_it_ends() {
        let limit = Window { max: 3, window: Duration::minutes(10) };
        let mut c = Counter::new(t0());
        for i in 0..3 {
            assert_eq!(c.hit(t0() + Duration::seconds(i), limit), Ok(()));
        }
        let refused = c.hit(t0() + Duration::seconds(5), limit).unwrap_err();
        assert_eq!(refused.until, t0() + Duration::minutes(10));
        assert_eq!(refused.retry_after_secs(t0() + Duration::seconds(5)), 595);
        assert!(c.hit(t0() + Duration::minutes(9), limit).is_err());
        // A new window starts afresh.
        assert_eq!(c.hit(t0() + Duration::minutes(10), limit), Ok(()));
        assert_eq!(c.hits, 1);
    }

    #[test]
    fn forgiven_attempts_do_not_count() {
        let limit = Window { max: 2, window: Duration::minutes(10) };
        let mut c = Counter::new(t0());
        for _ in 0..5 {
            c.hit(t0(), limit).unwrap();
            c.forgive_one();
        }
        assert_eq!(c.hits, 0);
    }

    #[test]
    fn attempts_lock_at_the_threshold_and_back_off() {
        let mut c = Counter::new(t0());
        c.attempt(t0(), 3).unwrap();
        c.attempt(t0(), 3).unwrap();
        assert_eq!(c.refusal(t0()), None);
        c.attempt(t0(), 3).unwrap();
        assert_eq!(c.refusal(t0()), Some(Refused { until: t0() + Duration::minutes(1) }));
        assert!(c.attempt(t0() + Duration::seconds(30), 3).is_err());
        // After the lock, the next attempt (a fourth in a row) locks for two minutes.
        let later = t0() + Duration::minutes(1);
        c.attempt(later, 3).unwrap();
        assert_eq!(c.refusal(later), Some(Refused { until: later + Duration::minutes(2) }));
        // A day of quiet starts a new streak.
        let next_day = t0() + Duration::days(2);
        c.attempt(next_day, 3).unwrap();
        assert_eq!((c.hits, c.refusal(next_day)), (1, None));
    }
}
