//! What a schedule's order platform and deployment look like: which ordering fields the
//! platform puts on its `DriverAssigned` events, and the allocation settings Maskline runs with
//! (policy, backups), and the bus it publishes to. Drawn once per schedule from its seed.

use chrono::{DateTime, Duration, Utc};
use maskline::domain::{AllocationPolicy, PairMode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::reference::Rank;

/// The ordering fields one `DriverAssigned` carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Sequence,
    /// `assigned_at` only, to the millisecond (later assignments of one second a millisecond on).
    AssignedAt,
    Both,
    /// Neither field: only the envelope's time orders it.
    Neither,
}

/// How a platform fills the fields: always the same way, or not (a platform mid-migration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    Always(Sent),
    /// Each event carries a random choice of the fields.
    Mixed,
}

/// One schedule's platform and settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub ordering: Ordering,
    pub policy: AllocationPolicy,
    pub backups: bool,
    /// Allocation and failover read the allocation and caller indexes behind
    /// ([`crate::lagging_indexes`]).
    pub lagging_indexes: bool,
    /// The bus refuses every this many-th publish of the table stream's consumer (`None`: it
    /// takes them all): the consumer must still deliver every session change, in order.
    pub flaky_bus: Option<u32>,
    /// `PAIR_MODE`: one number per order for both parties, or one per side.
    pub pair_mode: PairMode,
    /// `MAX_SESSIONS_PER_NUMBER` (acts under `shared` only).
    pub session_cap: Option<u32>,
}

impl Shape {
    /// Drawn from its own stream of the seed, so the steps a seed names do not change with it.
    pub fn of(seed: u64) -> Shape {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x05ea_50f5_ba9e);
        let ordering = match rng.gen_range(0..10) {
            0..=4 => Ordering::Always(Sent::Sequence),
            5 => Ordering::Always(Sent::AssignedAt),
            6 => Ordering::Always(Sent::Both),
            7 => Ordering::Always(Sent::Neither),
            _ => Ordering::Mixed,
        };
        Shape {
            ordering,
            policy: if rng.gen_bool(0.3) {
                AllocationPolicy::Exclusive
            } else {
                AllocationPolicy::Shared
            },
            backups: rng.gen_bool(0.3),
            lagging_indexes: rng.gen_bool(0.7),
            // Never two refusals in a row, so every record goes out within the retries the test
            // world's stream reader allows (a record refused for good would be set aside, as the
            // event source mapping's on-failure destination would take it).
            flaky_bus: rng.gen_bool(0.5).then(|| rng.gen_range(3..=7)),
            // Drawn last, so the shapes earlier seeds named keep their other fields.
            pair_mode: if rng.gen_bool(0.3) {
                PairMode::Single
            } else {
                PairMode::Pair
            },
            session_cap: rng.gen_bool(0.3).then(|| rng.gen_range(1..=3)),
        }
    }

    /// The fields of the next event.
    pub fn sent(&self, rng: &mut StdRng) -> Sent {
        match self.ordering {
            Ordering::Always(sent) => sent,
            Ordering::Mixed => {
                [Sent::Sequence, Sent::AssignedAt, Sent::Both, Sent::Neither][rng.gen_range(0..4)]
            }
        }
    }
}

impl Sent {
    fn assigned_at(seq: u64, time: DateTime<Utc>) -> DateTime<Utc> {
        time + Duration::milliseconds(seq as i64)
    }

    /// The `detail` fields of the event numbered `seq` whose envelope time is `time`.
    pub fn detail(self, seq: u64, time: DateTime<Utc>) -> Value {
        let at = Self::assigned_at(seq, time).to_rfc3339();
        match self {
            Sent::Sequence => json!({ "sequence": seq }),
            Sent::AssignedAt => json!({ "assigned_at": at }),
            Sent::Both => json!({ "sequence": seq, "assigned_at": at }),
            Sent::Neither => json!({}),
        }
    }

    /// Where the product must rank that event.
    pub fn rank(self, seq: u64, time: DateTime<Utc>) -> Rank {
        let at = Some(Self::assigned_at(seq, time).timestamp_millis());
        let (sequence, assigned_at) = match self {
            Sent::Sequence => (Some(seq), None),
            Sent::AssignedAt => (None, at),
            Sent::Both => (Some(seq), at),
            Sent::Neither => (None, None),
        };
        Rank {
            sequence,
            assigned_at,
            time: time.timestamp_millis(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default run (5 schedules from a random seed) and the soak must meet the single-number
    /// mode and the session cap, under the policy where the cap acts, often.
    #[test]
    fn shapes_cover_one_number_per_order_and_capped_shared_numbers() {
        let shapes: Vec<Shape> = (0..100).map(Shape::of).collect();
        let single = shapes
            .iter()
            .filter(|s| s.pair_mode == PairMode::Single)
            .count();
        let capped_shared = shapes
            .iter()
            .filter(|s| s.session_cap.is_some() && s.policy == AllocationPolicy::Shared)
            .count();
        let both = shapes
            .iter()
            .filter(|s| s.pair_mode == PairMode::Single && s.session_cap == Some(1))
            .count();
        assert!(single >= 15, "{single} of 100 in single-number mode");
        assert!(
            capped_shared >= 10,
            "{capped_shared} of 100 capped under shared"
        );
        assert!(both >= 1, "no single-number schedule with a cap of one");
    }
}
