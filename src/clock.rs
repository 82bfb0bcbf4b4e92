//! Every "now" in the application comes from a `Clock`, never from SQL, so tests can move time
//! (release a stage, expire a link) without waiting.

use std::sync::{Arc, Mutex};
use time::{OffsetDateTime, PrimitiveDateTime};

pub trait Clock: Send + Sync + 'static {
    /// The current time in UTC, truncated to whole microseconds (what both databases store).
    fn now(&self) -> PrimitiveDateTime;
}

pub type SharedClock = Arc<dyn Clock>;

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> PrimitiveDateTime {
        truncate(OffsetDateTime::now_utc())
    }
}

/// A clock that stands still until told to move; for tests.
pub struct ManualClock(Mutex<PrimitiveDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Mutex::new(truncate(start)))
    }
    pub fn set(&self, to: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = truncate(to);
    }
    pub fn advance(&self, by: time::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> PrimitiveDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn truncate(t: OffsetDateTime) -> PrimitiveDateTime {
    let t = t.replace_nanosecond(t.microsecond() * 1000).unwrap_or(t);
    PrimitiveDateTime::new(t.date(), t.time())
}
