//! A clock the test moves by hand, so a 30-minute grace window passes in no time.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use maskline::ports::Clock;

#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn starting_now() -> Self {
        ManualClock(Mutex::new(Utc::now()))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
