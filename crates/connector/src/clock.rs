//! The time a connector reads (a bookmark that cannot be in the future, a token's expiry, a
//! roster sweep that is due): injectable, so tests pin it instead of reading the wall clock.

use chrono::{DateTime, Utc};
use std::fmt;
use std::sync::Arc;

/// What time it is. [`Clock::system`] unless a test injects another. Cheap to clone.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Clock(Arc::new(Utc::now))
    }
    /// Always `at`.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock(Arc::new(move || at))
    }
    /// Whatever `now` returns (a test's settable clock).
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// A clock a test moves by hand: `let (clock, set) = ManualClock::at(t0);`.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<std::sync::Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A manual clock at `t`, and the [`Clock`] that reads it.
    pub fn at(t: DateTime<Utc>) -> (Clock, ManualClock) {
        let m = ManualClock(Arc::new(std::sync::Mutex::new(t)));
        let read = m.clone();
        (Clock::from_fn(move || read.get()), m)
    }
    pub fn get(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
    pub fn advance(&self, d: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += d;
    }
}
