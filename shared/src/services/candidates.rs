//! The candidates a session may claim, and what a refused claim teaches about them: shared by
//! allocation and failover so both follow the same rule.
//!
//! Candidates are read a window at a time from the region's allocation index, starting at a
//! random place: an allocation reads one small window however large the pool, and widens only
//! while what it has read offers nothing usable for this pair. Exhaustion stays exact: a region
//! is exhausted only once every window has been read.

use chrono::{DateTime, Utc};
use rand::Rng;

use super::retry::jittered_pause;
use crate::domain::choice::choose_numbers;
use crate::domain::policy::Candidates;
use crate::domain::session::AssignedNumbers;
use crate::domain::{OrderId, PairMode, Region, Side};
use crate::ports::{
    AllocationWindow, SessionStore, StoreError, StoredParticipant, WindowCursor, WriteRejected,
};

/// The candidates read so far for one session, and where the next window starts.
pub struct CandidatePool {
    region: Region,
    next: Option<WindowCursor>,
    pub candidates: Candidates,
}

impl CandidatePool {
    /// The first window of the region, minus the VNs where either party already has a live
    /// binding for another order, under any hash key it is known by (a hint; the conditional
    /// write stays the authority). Before each choice the caller adds the session's current
    /// numbers ([`CandidatePool::know_current`]).
    pub async fn open(
        store: &dyn SessionStore,
        region: &Region,
        order_id: &OrderId,
        parties: [(Side, &StoredParticipant); 2],
        now: DateTime<Utc>,
    ) -> Result<CandidatePool, StoreError> {
        let mut pool = CandidatePool {
            region: region.clone(),
            next: Some(WindowCursor::random()),
            candidates: Candidates::new(Vec::new()),
        };
        // Independent reads, sent together: the call's latency is one round trip, not four.
        // (One more read per party for each older hash key listed while rotating.)
        let live_reads = parties.iter().flat_map(|(side, party)| {
            party.every_key().map(move |key| async move {
                Ok::<_, StoreError>((*side, store.live_numbers_of(key, now).await?))
            })
        });
        let (live, window) = futures::try_join!(
            futures::future::try_join_all(live_reads),
            pool.read_next(store),
        )?;
        for (side, bindings) in live {
            for binding in bindings {
                if &binding.order_id != order_id {
                    pool.candidates.rule_out_for(side, binding.vn);
                }
            }
        }
        if let Some(window) = window {
            pool.take(window);
        }
        Ok(pool)
    }

    /// Makes the session's current numbers candidates while they still take sessions (so they
    /// are kept, whatever window they are in). Every one is read again, strongly consistently:
    /// a window of the allocation index may still list a number just marked unhealthy.
    pub async fn know_current(
        &mut self,
        store: &dyn SessionStore,
        current: Option<&AssignedNumbers>,
    ) -> Result<(), StoreError> {
        let held: Vec<_> = current
            .into_iter()
            .flat_map(AssignedNumbers::all)
            .cloned()
            .collect();
        for number in store.pool_entries(&held).await? {
            if number.allocatable() {
                self.candidates
                    .extend([(number.vn, number.operator, number.provider)]);
            } else {
                self.candidates.rule_out_everywhere(number.vn.clone());
                self.candidates.know_provider(number.vn, number.provider);
            }
        }
        Ok(())
    }

    /// Reads the next window into the candidates; false once the whole region has been read.
    pub async fn widen(&mut self, store: &dyn SessionStore) -> Result<bool, StoreError> {
        match self.read_next(store).await? {
            Some(window) => {
                self.take(window);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn read_next(
        &self,
        store: &dyn SessionStore,
    ) -> Result<Option<AllocationWindow>, StoreError> {
        match &self.next {
            Some(cursor) => Ok(Some(store.allocation_window(&self.region, cursor).await?)),
            None => Ok(None),
        }
    }

    fn take(&mut self, window: AllocationWindow) {
        self.candidates.extend(
            window
                .numbers
                .into_iter()
                .map(|n| (n.vn, n.operator, n.provider)),
        );
        self.next = window.next;
    }

    /// The numbers the session should hold next (see `domain::choice`), widening while what was
    /// read has none usable for this pair, or no backup when backups are wanted. `None` only when
    /// the whole region offers nothing.
    pub async fn choose<R: Rng + ?Sized>(
        &mut self,
        store: &dyn SessionStore,
        current: Option<&AssignedNumbers>,
        with_backups: bool,
        mode: PairMode,
        rng: &mut R,
    ) -> Result<Option<AssignedNumbers>, StoreError> {
        loop {
            let chosen = choose_numbers(current, &self.candidates, with_backups, mode, rng);
            let complete = chosen.as_ref().is_some_and(|n| {
                !with_backups || (n.customer_backup.is_some() && n.driver_backup.is_some())
            });
            if complete || !self.widen(store).await? {
                return Ok(chosen);
            }
        }
    }
}

/// Narrows the candidates after a refused write (or waits out contention) before the next try.
pub async fn learn_from(candidates: &mut Candidates, rejected: WriteRejected, attempt: u32) {
    match rejected {
        // Nothing learned about candidates: re-read (or, for a removal, see `owned_write`).
        WriteRejected::SessionChanged
        | WriteRejected::BindingNotOurs(_)
        | WriteRejected::LockNotOurs(_)
        | WriteRejected::SlotNotOurs(_) => {}
        // Which slots are held is read afresh before the next try (`seats::seat`).
        WriteRejected::SlotTaken(_) => jittered_pause(attempt).await,
        WriteRejected::BindingTaken { side, vn } => candidates.rule_out_for(side, vn),
        WriteRejected::LockTaken { vn } | WriteRejected::NumberUnavailable { vn } => {
            candidates.rule_out_everywhere(vn)
        }
        WriteRejected::Contention => jittered_pause(attempt).await,
    }
}
