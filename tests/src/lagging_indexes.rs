//! The real session store with its two indexes behind, as DynamoDB's GSIs can be: the allocation
//! index (GSI3) may still list a number that left it (marked unhealthy, retired, given back) and
//! may not list one just added; the caller index (GSI2) may answer as it stood a while ago. Reads
//! of items stay exact. For the model checker, whose schedules then show that the writes'
//! conditions, not the reads before them, keep every rule. (`LaggingIndex` does the same for the
//! pool index, GSI1, that refill reads.)

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maskline::domain::{OrderId, Region, VirtualNumber};
use maskline::ports::{
    Allocatable, AllocationWindow, LiveBinding, PoolNumber, SessionRecord, SessionStore,
    SessionWrite, SharedStore, StoreError, StoredBinding, WindowCursor, WriteError,
};
use maskline::privacy::CallerKey;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How often an index read is behind.
const LAGGING: f64 = 0.3;

struct Seen {
    rng: StdRng,
    /// Every number the allocation index ever listed, per region.
    listed: HashMap<String, Vec<Allocatable>>,
    /// Every answer the caller index gave, per caller key.
    answers: HashMap<String, Vec<Vec<LiveBinding>>>,
}

pub struct LaggingIndexes {
    inner: SharedStore,
    seen: Mutex<Seen>,
}

impl LaggingIndexes {
    pub fn new(inner: SharedStore, seed: u64) -> LaggingIndexes {
        let seen = Seen {
            rng: StdRng::seed_from_u64(seed),
            listed: HashMap::new(),
            answers: HashMap::new(),
        };
        LaggingIndexes {
            inner,
            seen: Mutex::new(seen),
        }
    }
}

#[async_trait]
impl SessionStore for LaggingIndexes {
    async fn load_session(&self, order_id: &OrderId) -> Result<Option<SessionRecord>, StoreError> {
        self.inner.load_session(order_id).await
    }

    async fn binding(
        &self,
        vn: &VirtualNumber,
        caller: &CallerKey,
    ) -> Result<Option<StoredBinding>, StoreError> {
        self.inner.binding(vn, caller).await
    }

    async fn allocation_window(
        &self,
        region: &Region,
        cursor: &WindowCursor,
    ) -> Result<AllocationWindow, StoreError> {
        let mut window = self.inner.allocation_window(region, cursor).await?;
        let mut seen = self.seen.lock().expect("not poisoned");
        let Seen { rng, listed, .. } = &mut *seen;
        let listed = listed.entry(region.as_str().to_string()).or_default();
        for number in &window.numbers {
            if !listed.iter().any(|n| n.vn == number.vn) {
                listed.push(number.clone());
            }
        }
        if rng.gen_bool(LAGGING) {
            // Still listed: a number that has left the index since.
            let gone: Vec<&Allocatable> = listed
                .iter()
                .filter(|n| !window.numbers.iter().any(|w| w.vn == n.vn))
                .collect();
            if !gone.is_empty() {
                let stale = gone[rng.gen_range(0..gone.len())].clone();
                window.numbers.push(stale);
            }
        }
        if rng.gen_bool(LAGGING) && !window.numbers.is_empty() {
            // Not listed yet: a number added a moment ago.
            let i = rng.gen_range(0..window.numbers.len());
            window.numbers.remove(i);
        }
        Ok(window)
    }

    async fn held_slots(
        &self,
        vn: &VirtualNumber,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<std::collections::BTreeMap<u32, maskline::domain::OrderId>, StoreError> {
        self.inner.held_slots(vn, now).await
    }

    async fn pool_entries(&self, vns: &[VirtualNumber]) -> Result<Vec<PoolNumber>, StoreError> {
        self.inner.pool_entries(vns).await
    }

    async fn region_exists(&self, region: &Region) -> Result<bool, StoreError> {
        self.inner.region_exists(region).await
    }

    async fn live_numbers_of(
        &self,
        caller: &CallerKey,
        now: DateTime<Utc>,
    ) -> Result<Vec<LiveBinding>, StoreError> {
        let answer = self.inner.live_numbers_of(caller, now).await?;
        let mut seen = self.seen.lock().expect("not poisoned");
        let Seen { rng, answers, .. } = &mut *seen;
        let earlier = answers.entry(caller.as_str().to_string()).or_default();
        earlier.push(answer.clone());
        if rng.gen_bool(LAGGING) {
            // As the index stood at an earlier read.
            return Ok(earlier[rng.gen_range(0..earlier.len())].clone());
        }
        Ok(answer)
    }

    async fn write_session(
        &self,
        write: &SessionWrite,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        self.inner.write_session(write, now).await
    }
}
