//! Counts the read capacity a store's reads consume, as DynamoDB reports it
//! (`ReturnConsumedCapacity=TOTAL`). Off unless asked for: benchmarks and the scale test use it to
//! show what an allocation reads, in units that do not depend on the machine.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::types::ConsumedCapacity;

#[derive(Debug, Default)]
pub struct ReadMeter {
    /// Thousandths of a read capacity unit (eventually consistent reads cost halves).
    milli_units: AtomicU64,
}

impl ReadMeter {
    pub fn add(&self, consumed: Option<&ConsumedCapacity>) {
        if let Some(units) = consumed.and_then(|c| c.capacity_units()) {
            self.milli_units
                .fetch_add((units * 1000.0).round() as u64, Ordering::Relaxed);
        }
    }

    pub fn add_all<'a>(&self, consumed: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        for c in consumed {
            self.add(Some(c));
        }
    }

    /// Read capacity units consumed so far.
    pub fn units(&self) -> f64 {
        self.milli_units.load(Ordering::Relaxed) as f64 / 1000.0
    }

    pub fn reset(&self) {
        self.milli_units.store(0, Ordering::Relaxed);
    }
}
