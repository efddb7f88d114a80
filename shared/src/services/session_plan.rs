//! Turns "the session was like this, it must become like that" into the exact set of bindings and
//! locks to write and remove, so every use case changes sessions the same way.

use std::collections::HashSet;

use crate::domain::policy::bindings_for;
use crate::domain::{AllocationPolicy, Side, VirtualNumber};
use crate::ports::{BindingKey, BindingWrite, NumberLock, NumberSlot, SessionRecord, SessionWrite};
use crate::privacy::CallerKey;

/// The bindings a record implies: empty for a tombstone or a record missing a participant.
pub fn bindings_of(record: &SessionRecord) -> Vec<BindingWrite> {
    let (Some(numbers), Some(customer), Some(driver)) =
        (&record.session.numbers, &record.customer, &record.driver)
    else {
        return Vec::new();
    };
    bindings_for(numbers)
        .into_iter()
        .flat_map(|plan| {
            let (caller, callee) = match plan.caller {
                Side::Customer => (customer, driver),
                Side::Driver => (driver, customer),
            };
            let binding = BindingWrite {
                provider: record.providers.get(&plan.vn).cloned(),
                vn: plan.vn,
                caller_side: plan.caller,
                caller_key: caller.key.clone(),
                caller_key_id: caller.key_id.clone(),
                shadow: false,
                callee: callee.sealed.clone(),
                caller_id: plan.caller_id,
            };
            let shadows = shadows_of(&binding, &caller.older_keys);
            std::iter::once(binding).chain(shadows)
        })
        .collect()
}

/// While a hash key is rotated out, the same binding under each older key the caller is known by
/// (see [`BindingWrite::shadow`]).
fn shadows_of(binding: &BindingWrite, older_keys: &[CallerKey]) -> Vec<BindingWrite> {
    older_keys
        .iter()
        .map(|older| BindingWrite {
            caller_key: older.clone(),
            caller_key_id: None,
            shadow: true,
            ..binding.clone()
        })
        .collect()
}

/// The VNs an exclusive record holds whole (backups included), each once: in single-number mode
/// both sides dial the same VNs, and one transaction cannot write one lock item twice. The lock
/// names the first side that dials it.
pub fn locks_of(record: &SessionRecord) -> Vec<NumberLock> {
    match (&record.session.numbers, record.policy) {
        (Some(numbers), AllocationPolicy::Exclusive) => numbers
            .all()
            .map(|vn| NumberLock {
                vn: vn.clone(),
                side: if numbers.all_of(Side::Customer).any(|c| c == vn) {
                    Side::Customer
                } else {
                    Side::Driver
                },
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The slots a capped record holds, one per VN it holds (a slot for a VN it no longer holds is
/// not held).
pub fn slots_of(record: &SessionRecord) -> Vec<NumberSlot> {
    let Some(numbers) = &record.session.numbers else {
        return Vec::new();
    };
    numbers
        .all()
        .filter_map(|vn| {
            let slot = *record.slots.get(vn)?;
            Some(NumberSlot {
                vn: vn.clone(),
                slot,
            })
        })
        .collect()
}

/// The VNs `after` holds that `before` did not: only those must still be taking new sessions.
/// (A number that turned unhealthy keeps serving its existing sessions until failover moves them,
/// so a release or refresh of a session on it must not be refused.)
fn newly_claimed(before: Option<&SessionRecord>, after: &SessionRecord) -> Vec<VirtualNumber> {
    let held: HashSet<&VirtualNumber> = before
        .and_then(|b| b.session.numbers.as_ref())
        .map(|n| n.all().collect())
        .unwrap_or_default();
    after
        .session
        .numbers
        .as_ref()
        .map(|n| n.all().filter(|vn| !held.contains(vn)).cloned().collect())
        .unwrap_or_default()
}

/// Moves a session from `before` (absent for a new order) to `after`: writes every binding and
/// lock of `after` (refreshing owner, callee and deadline) and removes those only `before` had.
pub fn transition(before: Option<&SessionRecord>, after: SessionRecord) -> SessionWrite {
    let newly_claimed = newly_claimed(before, &after);
    let put_bindings = bindings_of(&after);
    let put_locks = locks_of(&after);
    let put_slots = slots_of(&after);
    let delete_slots = before.map_or_else(Vec::new, |before| {
        slots_of(before)
            .into_iter()
            .filter(|slot| !put_slots.contains(slot))
            .collect()
    });
    let (delete_bindings, delete_locks) = match before {
        None => (Vec::new(), Vec::new()),
        Some(before) => {
            let kept: HashSet<BindingKey> = put_bindings.iter().map(BindingWrite::key).collect();
            let kept_locks: HashSet<_> = put_locks.iter().map(|l| l.vn.clone()).collect();
            (
                bindings_of(before)
                    .iter()
                    .map(BindingWrite::key)
                    .filter(|k| !kept.contains(k))
                    .collect(),
                locks_of(before)
                    .into_iter()
                    .map(|l| l.vn)
                    .filter(|vn| !kept_locks.contains(vn))
                    .collect(),
            )
        }
    };
    SessionWrite {
        expected_version: before.map(|b| b.version),
        record: SessionRecord {
            version: before.map_or(1, |b| b.version + 1),
            ..after
        },
        put_bindings,
        delete_bindings,
        put_locks,
        delete_locks,
        put_slots,
        delete_slots,
        newly_claimed,
    }
}
