//! The allocation rule — the heart of Maskline.
//!
//! A call is resolved by (dialled VN, caller) alone, so that pair must be unique among live
//! bindings. Under the `shared` policy that is the only constraint: one VN serves many sessions at
//! once as long as no caller repeats on it, so a region needs about as many VNs as the most
//! concurrent orders any ONE participant has (an agent with 4 batched orders), not as many as the
//! city has orders. `exclusive` (one live session per VN) exists for providers that require it.
//!
//! The store enforces the rule with conditional writes; this module decides which candidates to
//! try and which bindings an assignment needs.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use rand::seq::SliceRandom;
use rand::Rng;

use super::session::{AssignedNumbers, Side};
use super::VirtualNumber;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllocationPolicy {
    /// A VN serves many live sessions, never two for the same caller.
    #[default]
    Shared,
    /// A VN serves one live session at a time.
    Exclusive,
}

impl AllocationPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationPolicy::Shared => "shared",
            AllocationPolicy::Exclusive => "exclusive",
        }
    }
}

impl fmt::Display for AllocationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AllocationPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shared" => Ok(AllocationPolicy::Shared),
            "exclusive" => Ok(AllocationPolicy::Exclusive),
            other => Err(format!(
                "unknown allocation policy {other:?} (expected shared or exclusive)"
            )),
        }
    }
}

/// "When `caller` dials `vn`, ring the other side and show them `caller_id`."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingPlan {
    pub vn: VirtualNumber,
    pub caller: Side,
    /// The VN the callee dials to reach the caller, so a missed call can be returned.
    pub caller_id: VirtualNumber,
}

/// The two bindings of an assignment: each side dials its own VN and sees the other side's VN
/// as caller ID, which is exactly the number it would dial to call back.
pub fn bindings_for(numbers: &AssignedNumbers) -> [BindingPlan; 2] {
    [
        BindingPlan {
            vn: numbers.customer_dials.clone(),
            caller: Side::Customer,
            caller_id: numbers.driver_dials.clone(),
        },
        BindingPlan {
            vn: numbers.driver_dials.clone(),
            caller: Side::Driver,
            caller_id: numbers.customer_dials.clone(),
        },
    ]
}

/// The healthy VNs of a region, minus those known to be unusable for a side.
///
/// Picks are uniformly random among what is left, so concurrent claims in one region spread over
/// the pool instead of all racing for its first number.
#[derive(Debug, Clone)]
pub struct Candidates {
    pool: Vec<VirtualNumber>,
    taken_for: HashMap<Side, HashSet<VirtualNumber>>,
    taken_everywhere: HashSet<VirtualNumber>,
}

impl Candidates {
    pub fn new(pool: Vec<VirtualNumber>) -> Self {
        Candidates {
            pool,
            taken_for: HashMap::new(),
            taken_everywhere: HashSet::new(),
        }
    }

    pub fn contains(&self, vn: &VirtualNumber) -> bool {
        self.pool.contains(vn)
    }

    /// The side's caller already has a live binding on `vn`.
    pub fn rule_out_for(&mut self, side: Side, vn: VirtualNumber) {
        self.taken_for.entry(side).or_default().insert(vn);
    }

    /// `vn` cannot be used by this session at all (held exclusively by another session).
    pub fn rule_out_everywhere(&mut self, vn: VirtualNumber) {
        self.taken_everywhere.insert(vn);
    }

    pub fn is_usable_for(&self, side: Side, vn: &VirtualNumber) -> bool {
        self.pool.contains(vn)
            && !self.taken_everywhere.contains(vn)
            && !self.taken_for.get(&side).is_some_and(|t| t.contains(vn))
    }

    /// A random usable VN for `side`, other than `besides` (the other side's pick: the two
    /// numbers of one order always differ so each app shows a distinct contact).
    pub fn pick<R: Rng + ?Sized>(
        &self,
        side: Side,
        besides: Option<&VirtualNumber>,
        rng: &mut R,
    ) -> Option<VirtualNumber> {
        let usable: Vec<&VirtualNumber> = self
            .pool
            .iter()
            .filter(|vn| Some(*vn) != besides && self.is_usable_for(side, vn))
            .collect();
        usable.choose(rng).map(|vn| (*vn).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn vn(i: u32) -> VirtualNumber {
        VirtualNumber::parse(&format!("+9180410000{i:02}"), None).unwrap()
    }

    #[test]
    fn policy_parses_and_defaults_to_shared() {
        assert_eq!(AllocationPolicy::default(), AllocationPolicy::Shared);
        assert_eq!(
            "EXCLUSIVE".parse::<AllocationPolicy>(),
            Ok(AllocationPolicy::Exclusive)
        );
        assert!("sometimes".parse::<AllocationPolicy>().is_err());
    }

    #[test]
    fn each_side_sees_the_number_it_would_dial_back() {
        let numbers = AssignedNumbers {
            customer_dials: vn(1),
            driver_dials: vn(2),
        };
        let [customer, driver] = bindings_for(&numbers);
        assert_eq!(
            (customer.vn, customer.caller, customer.caller_id),
            (vn(1), Side::Customer, vn(2))
        );
        assert_eq!(
            (driver.vn, driver.caller, driver.caller_id),
            (vn(2), Side::Driver, vn(1))
        );
    }

    #[test]
    fn picks_skip_ruled_out_numbers_and_the_other_sides_pick() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut candidates = Candidates::new(vec![vn(1), vn(2), vn(3)]);
        candidates.rule_out_for(Side::Driver, vn(1));
        candidates.rule_out_everywhere(vn(2));
        for _ in 0..20 {
            assert_eq!(candidates.pick(Side::Driver, None, &mut rng), Some(vn(3)));
            assert_eq!(
                candidates.pick(Side::Customer, Some(&vn(3)), &mut rng),
                Some(vn(1))
            );
        }
        candidates.rule_out_for(Side::Driver, vn(3));
        assert_eq!(candidates.pick(Side::Driver, None, &mut rng), None);
    }

    #[test]
    fn picks_spread_over_the_pool() {
        let mut rng = StdRng::seed_from_u64(1);
        let candidates = Candidates::new((1..=10).map(vn).collect());
        let seen: HashSet<_> = (0..200)
            .filter_map(|_| candidates.pick(Side::Driver, None, &mut rng))
            .collect();
        assert_eq!(seen.len(), 10);
    }
}
