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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use rand::seq::SliceRandom;
use rand::Rng;

use super::session::{AssignedNumbers, Side};
use super::{Operator, Provider, VirtualNumber};

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

/// The bindings of an assignment: each side dials its own VN and sees the other side's VN as
/// caller ID, which is exactly the number it would dial to call back. A call placed through a
/// backup shows the other side's backup, so the call-back also avoids the troubled operator.
pub fn bindings_for(numbers: &AssignedNumbers) -> Vec<BindingPlan> {
    let mut plans = Vec::with_capacity(4);
    for caller in [Side::Customer, Side::Driver] {
        let callee = caller.other();
        plans.push(BindingPlan {
            vn: numbers.dialled_by(caller).clone(),
            caller,
            caller_id: numbers.dialled_by(callee).clone(),
        });
        if let Some(backup) = numbers.backup_of(caller) {
            plans.push(BindingPlan {
                vn: backup.clone(),
                caller,
                caller_id: numbers
                    .backup_of(callee)
                    .unwrap_or(numbers.dialled_by(callee))
                    .clone(),
            });
        }
    }
    plans
}

/// The allocatable VNs of a region (with their operators), minus those known to be unusable for
/// a side.
///
/// Picks are uniformly random among what is left, so concurrent claims in one region spread over
/// the pool instead of all racing for its first number.
#[derive(Debug, Clone)]
pub struct Candidates {
    pool: Vec<(VirtualNumber, Operator)>,
    /// The provider of every number of the region (allocatable or not), so a session's kept
    /// numbers are known too.
    providers: HashMap<VirtualNumber, Provider>,
    taken_for: HashMap<Side, HashSet<VirtualNumber>>,
    taken_everywhere: HashSet<VirtualNumber>,
}

impl Candidates {
    pub fn new(pool: Vec<(VirtualNumber, Operator)>) -> Self {
        Candidates {
            pool,
            providers: HashMap::new(),
            taken_for: HashMap::new(),
            taken_everywhere: HashSet::new(),
        }
    }

    pub fn with_providers(mut self, providers: HashMap<VirtualNumber, Provider>) -> Self {
        self.providers = providers;
        self
    }

    /// Adds numbers read later (the next window of the region's pool); one already known is
    /// left as it is, with whatever was learned about it.
    pub fn extend(
        &mut self,
        numbers: impl IntoIterator<Item = (VirtualNumber, Operator, Provider)>,
    ) {
        for (vn, operator, provider) in numbers {
            if !self.contains(&vn) {
                self.providers.insert(vn.clone(), provider);
                self.pool.push((vn, operator));
            }
        }
    }

    /// Records the provider of a number that is not a candidate (a session's current number that
    /// stopped taking new sessions), so the session's record still names it.
    pub fn know_provider(&mut self, vn: VirtualNumber, provider: Provider) {
        self.providers.entry(vn).or_insert(provider);
    }

    /// Whether `vn`'s provider is known (it is a candidate, or was looked up as a current number).
    pub fn knows(&self, vn: &VirtualNumber) -> bool {
        self.providers.contains_key(vn)
    }

    /// The providers of `numbers` that are known.
    pub fn providers_of<'a>(
        &self,
        numbers: impl IntoIterator<Item = &'a VirtualNumber>,
    ) -> BTreeMap<VirtualNumber, Provider> {
        numbers
            .into_iter()
            .filter_map(|vn| Some((vn.clone(), self.providers.get(vn)?.clone())))
            .collect()
    }

    pub fn contains(&self, vn: &VirtualNumber) -> bool {
        self.operator_of(vn).is_some()
    }

    pub fn operator_of(&self, vn: &VirtualNumber) -> Option<&Operator> {
        self.pool.iter().find(|(v, _)| v == vn).map(|(_, op)| op)
    }

    /// The side's caller already has a live binding on `vn`.
    pub fn rule_out_for(&mut self, side: Side, vn: VirtualNumber) {
        self.taken_for.entry(side).or_default().insert(vn);
    }

    /// `vn` cannot be used by this session at all (held exclusively by another session, or no
    /// longer taking sessions).
    pub fn rule_out_everywhere(&mut self, vn: VirtualNumber) {
        self.taken_everywhere.insert(vn);
    }

    pub fn is_usable_for(&self, side: Side, vn: &VirtualNumber) -> bool {
        self.contains(vn)
            && !self.taken_everywhere.contains(vn)
            && !self.taken_for.get(&side).is_some_and(|t| t.contains(vn))
    }

    /// How many VNs `side` could still take, other than those in `besides`.
    pub fn usable_count(&self, side: Side, besides: &[VirtualNumber]) -> usize {
        self.pool
            .iter()
            .filter(|(vn, _)| !besides.contains(vn) && self.is_usable_for(side, vn))
            .count()
    }

    /// Whether every one of `sides` could take `vn` (one number serving both parties).
    pub fn is_usable_for_all(&self, sides: &[Side], vn: &VirtualNumber) -> bool {
        sides.iter().all(|side| self.is_usable_for(*side, vn))
    }

    /// A random usable VN for `side`, other than those in `besides` (the order's other picks: the
    /// numbers of one order always differ so each app shows a distinct contact), and not on
    /// `operator_not` (a backup must not share its primary's operator).
    pub fn pick<R: Rng + ?Sized>(
        &self,
        side: Side,
        besides: &[VirtualNumber],
        operator_not: Option<&Operator>,
        rng: &mut R,
    ) -> Option<VirtualNumber> {
        self.pick_for_all(&[side], besides, operator_not, rng)
    }

    /// As [`Candidates::pick`], for a number every one of `sides` can take.
    pub fn pick_for_all<R: Rng + ?Sized>(
        &self,
        sides: &[Side],
        besides: &[VirtualNumber],
        operator_not: Option<&Operator>,
        rng: &mut R,
    ) -> Option<VirtualNumber> {
        let usable: Vec<&VirtualNumber> = self
            .pool
            .iter()
            .filter(|(vn, op)| {
                !besides.contains(vn)
                    && operator_not != Some(op)
                    && self.is_usable_for_all(sides, vn)
            })
            .map(|(vn, _)| vn)
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
        let numbers = AssignedNumbers::new(vn(1), vn(2));
        let [customer, driver]: [BindingPlan; 2] = bindings_for(&numbers).try_into().unwrap();
        assert_eq!(
            (customer.vn, customer.caller, customer.caller_id),
            (vn(1), Side::Customer, vn(2))
        );
        assert_eq!(
            (driver.vn, driver.caller, driver.caller_id),
            (vn(2), Side::Driver, vn(1))
        );
    }

    fn pool(numbers: &[(u32, &str)]) -> Candidates {
        Candidates::new(
            numbers
                .iter()
                .map(|(i, op)| (vn(*i), Operator::parse(op).unwrap()))
                .collect(),
        )
    }

    #[test]
    fn picks_skip_ruled_out_numbers_and_the_other_sides_pick() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut candidates = pool(&[(1, "airtel"), (2, "airtel"), (3, "airtel")]);
        candidates.rule_out_for(Side::Driver, vn(1));
        candidates.rule_out_everywhere(vn(2));
        for _ in 0..20 {
            assert_eq!(
                candidates.pick(Side::Driver, &[], None, &mut rng),
                Some(vn(3))
            );
            assert_eq!(
                candidates.pick(Side::Customer, &[vn(3)], None, &mut rng),
                Some(vn(1))
            );
        }
        candidates.rule_out_for(Side::Driver, vn(3));
        assert_eq!(candidates.pick(Side::Driver, &[], None, &mut rng), None);
    }

    #[test]
    fn picks_can_avoid_an_operator() {
        let mut rng = StdRng::seed_from_u64(3);
        let candidates = pool(&[(1, "airtel"), (2, "jio"), (3, "airtel")]);
        let airtel = Operator::parse("airtel").unwrap();
        for _ in 0..20 {
            assert_eq!(
                candidates.pick(Side::Customer, &[], Some(&airtel), &mut rng),
                Some(vn(2))
            );
        }
        assert_eq!(
            candidates.pick(Side::Customer, &[vn(2)], Some(&airtel), &mut rng),
            None
        );
    }

    #[test]
    fn picks_spread_over_the_pool() {
        let mut rng = StdRng::seed_from_u64(1);
        let candidates = pool(&(1..=10).map(|i| (i, "airtel")).collect::<Vec<_>>());
        let seen: HashSet<_> = (0..200)
            .filter_map(|_| candidates.pick(Side::Driver, &[], None, &mut rng))
            .collect();
        assert_eq!(seen.len(), 10);
    }
}
