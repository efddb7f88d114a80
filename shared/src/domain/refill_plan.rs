//! How many numbers a region and operator need, and which ones can go back: pure arithmetic over
//! the pool, its live usage and the operators' targets, so refill's decisions are testable alone.
//!
//! Demand follows the allocation rule. Under `shared` a VN serves any number of sessions as long
//! as no caller repeats on it, so a region needs as many VNs as its busiest participant holds,
//! plus room for that participant's next session. Under `exclusive` every live binding holds a
//! whole VN. Demand is spread evenly over the region's targeted operators, so losing one operator
//! leaves the others able to carry backups and failover.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use super::pool::{PoolNumber, PoolState, PoolTarget};
use super::CallerKey;
use super::{AllocationPolicy, Operator, PairMode, VirtualNumber};

/// What is happening on one VN right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VnUsage {
    /// Callers with a live binding on the VN.
    pub live_callers: Vec<CallerKey>,
    /// Held whole by a live exclusive session.
    pub locked: bool,
    /// Distinct orders with a live binding on the VN (what `MAX_SESSIONS_PER_NUMBER` caps).
    pub live_sessions: u32,
    /// The latest deadline of any binding still stored on the VN (live or recently expired).
    pub last_bound_until: Option<DateTime<Utc>>,
}

/// The inputs refill decides from.
#[derive(Debug, Clone)]
pub struct RefillRules {
    pub policy: AllocationPolicy,
    /// Each side also holds a backup VN, so a session needs twice the numbers.
    pub backups: bool,
    /// Under `single` both sides dial the same numbers, so a new order needs half as many.
    pub pair_mode: PairMode,
    /// `MAX_SESSIONS_PER_NUMBER`: the live sessions must fit on the numbers at this many each.
    pub session_cap: Option<u32>,
    /// Spare numbers kept above demand, so a burst does not wait for a purchase.
    pub headroom: u32,
    /// A surplus number goes back only after it has been idle this long.
    pub cool_off: Duration,
}

/// What refill should do for one (region, operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorPlan {
    pub target: PoolTarget,
    /// The count refill aims for: the larger of the operator's minimum and its share of demand.
    pub wanted: u32,
    /// Healthy active numbers now.
    pub healthy: u32,
    /// Numbers to acquire.
    pub deficit: u32,
    /// Idle surplus numbers, longest idle first, to give back.
    pub give_back: Vec<VirtualNumber>,
    /// Numbers an earlier give-back left retiring (it stopped, or the provider's answer was
    /// ambiguous): they take no sessions until a run finishes or undoes the give-back.
    pub retiring: Vec<VirtualNumber>,
}

/// Figures per (region, operator) for dashboards.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OperatorFigures {
    /// Numbers in the pool that are not on standby.
    pub pool_size: u32,
    pub healthy: u32,
    pub standby: u32,
    pub live_bindings: u32,
    /// The most live bindings any one participant holds on this operator's numbers.
    pub largest_per_participant: u32,
}

/// The region's demand in VNs under the rules.
pub fn region_demand(rules: &RefillRules, usage: &HashMap<VirtualNumber, VnUsage>) -> u32 {
    let per_side: u32 = if rules.backups { 2 } else { 1 };
    let per_order = match rules.pair_mode {
        PairMode::Pair => 2 * per_side,
        PairMode::Single => per_side,
    };
    let demand = match rules.policy {
        // The busiest participant's next session needs `per_side` more numbers they are not on
        // yet; any order needs `per_order` distinct ones.
        AllocationPolicy::Shared => {
            (largest_per_participant(usage.values()) + per_side).max(per_order)
        }
        // Every held number is held whole: the next order needs all of its numbers free.
        AllocationPolicy::Exclusive => {
            usage.values().filter(|u| u.locked).count() as u32 + per_order
        }
    };
    // Under a cap, the live sessions need their seats, and the next order its numbers besides.
    let seated = match (rules.session_cap, rules.policy) {
        (Some(cap), AllocationPolicy::Shared) => {
            let sessions: u32 = usage.values().map(|u| u.live_sessions).sum();
            sessions.div_ceil(cap) + per_order
        }
        _ => 0,
    };
    demand.max(seated) + rules.headroom
}

/// What to do for each targeted operator of one region.
pub fn plan_region(
    rules: &RefillRules,
    targets: &[PoolTarget],
    numbers: &[PoolNumber],
    usage: &HashMap<VirtualNumber, VnUsage>,
    now: DateTime<Utc>,
) -> Vec<OperatorPlan> {
    if targets.is_empty() {
        return Vec::new();
    }
    let demand = region_demand(rules, usage);
    let share = demand.div_ceil(targets.len() as u32);
    targets
        .iter()
        .map(|target| {
            let wanted = target.min.max(share);
            let mine: Vec<&PoolNumber> = numbers
                .iter()
                .filter(|n| n.operator == target.operator && n.allocatable())
                .collect();
            let healthy = mine.len() as u32;
            let surplus = healthy.saturating_sub(wanted) as usize;
            let mut idle: Vec<(DateTime<Utc>, &VirtualNumber)> = mine
                .iter()
                .filter_map(|n| {
                    let use_ = usage.get(&n.vn);
                    let busy = use_.is_some_and(|u| !u.live_callers.is_empty() || u.locked);
                    let since = use_
                        .and_then(|u| u.last_bound_until)
                        .map_or(n.activated_at, |t| t.max(n.activated_at));
                    (!busy && now - since >= rules.cool_off).then_some((since, &n.vn))
                })
                .collect();
            idle.sort();
            OperatorPlan {
                target: target.clone(),
                wanted,
                healthy,
                deficit: wanted.saturating_sub(healthy),
                give_back: idle
                    .into_iter()
                    .take(surplus)
                    .map(|(_, vn)| vn.clone())
                    .collect(),
                retiring: numbers
                    .iter()
                    .filter(|n| n.operator == target.operator && n.state == PoolState::Retiring)
                    .map(|n| n.vn.clone())
                    .collect(),
            }
        })
        .collect()
}

/// Dashboard figures for every operator that has numbers in the region.
pub fn operator_figures(
    numbers: &[PoolNumber],
    usage: &HashMap<VirtualNumber, VnUsage>,
) -> BTreeMap<Operator, OperatorFigures> {
    let mut figures: BTreeMap<Operator, OperatorFigures> = BTreeMap::new();
    let mut usage_by_operator: BTreeMap<Operator, Vec<&VnUsage>> = BTreeMap::new();
    for number in numbers {
        let f = figures.entry(number.operator.clone()).or_default();
        match number.state {
            super::pool::PoolState::Standby => f.standby += 1,
            _ => f.pool_size += 1,
        }
        if number.allocatable() {
            f.healthy += 1;
        }
        if let Some(u) = usage.get(&number.vn) {
            f.live_bindings += u.live_callers.len() as u32;
            usage_by_operator
                .entry(number.operator.clone())
                .or_default()
                .push(u);
        }
    }
    for (operator, usages) in usage_by_operator {
        if let Some(f) = figures.get_mut(&operator) {
            f.largest_per_participant = largest_per_participant(usages.into_iter());
        }
    }
    figures
}

fn largest_per_participant<'a>(usages: impl Iterator<Item = &'a VnUsage>) -> u32 {
    let mut per_caller: HashMap<&CallerKey, u32> = HashMap::new();
    for u in usages {
        for caller in &u.live_callers {
            *per_caller.entry(caller).or_default() += 1;
        }
    }
    per_caller.into_values().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pool::{Health, PoolState};
    use crate::domain::{Provider, Region};

    fn vn(i: u32) -> VirtualNumber {
        VirtualNumber::parse(&format!("+9180410000{i:02}"), None).unwrap()
    }

    fn number(i: u32, operator: &str, activated_at: DateTime<Utc>) -> PoolNumber {
        PoolNumber {
            vn: vn(i),
            region: Region::parse("blr").unwrap(),
            operator: Operator::parse(operator).unwrap(),
            provider: Provider::parse("static").unwrap(),
            health: Health::Healthy,
            state: PoolState::Active,
            suspect: false,
            provider_ref: None,
            activated_at,
        }
    }

    fn target(operator: &str, min: u32) -> PoolTarget {
        PoolTarget {
            region: Region::parse("blr").unwrap(),
            operator: Operator::parse(operator).unwrap(),
            provider: Provider::parse("static").unwrap(),
            min,
            search: None,
        }
    }

    fn rules(policy: AllocationPolicy, backups: bool) -> RefillRules {
        RefillRules {
            policy,
            backups,
            pair_mode: PairMode::Pair,
            session_cap: None,
            headroom: 1,
            cool_off: Duration::hours(1),
        }
    }

    fn callers(keys: &[&str]) -> VnUsage {
        VnUsage {
            live_callers: keys
                .iter()
                .map(|k| CallerKey::from_stored(k.to_string()))
                .collect(),
            ..VnUsage::default()
        }
    }

    #[test]
    fn shared_demand_follows_the_busiest_participant_not_the_order_count() {
        // 3 VNs, 6 different callers: busiest holds 1 binding. Then one caller on all three.
        let spread = HashMap::from([
            (vn(1), callers(&["a", "b"])),
            (vn(2), callers(&["c", "d"])),
            (vn(3), callers(&["e", "f"])),
        ]);
        assert_eq!(
            region_demand(&rules(AllocationPolicy::Shared, false), &spread),
            2 + 1
        );
        let busy = HashMap::from([
            (vn(1), callers(&["a", "b"])),
            (vn(2), callers(&["a", "d"])),
            (vn(3), callers(&["a", "f"])),
        ]);
        assert_eq!(
            region_demand(&rules(AllocationPolicy::Shared, false), &busy),
            3 + 1 + 1
        );
        assert_eq!(
            region_demand(&rules(AllocationPolicy::Shared, true), &busy),
            3 + 2 + 1
        );
    }

    #[test]
    fn exclusive_demand_counts_every_held_number() {
        let usage: HashMap<_, _> = (1..=5)
            .map(|i| {
                (
                    vn(i),
                    VnUsage {
                        locked: true,
                        ..VnUsage::default()
                    },
                )
            })
            .collect();
        // The next order needs both its numbers free: with no headroom, 5 + 1 would leave it
        // one short, and refill (asked by its PoolExhausted) would find nothing to buy.
        assert_eq!(
            region_demand(&rules(AllocationPolicy::Exclusive, false), &usage),
            5 + 2 + 1
        );
        let single = RefillRules {
            pair_mode: PairMode::Single,
            ..rules(AllocationPolicy::Exclusive, false)
        };
        assert_eq!(region_demand(&single, &usage), 5 + 1 + 1);
    }

    #[test]
    fn a_cap_on_sessions_per_number_grows_demand_once_it_binds() {
        // 12 live sessions on two numbers, the busiest caller on both: uncapped, the busiest's
        // next order needs a third number (+1 headroom).
        let usage: HashMap<_, _> = (1..=2)
            .map(|i| {
                (
                    vn(i),
                    VnUsage {
                        live_sessions: 6,
                        ..callers(&["a", "b"])
                    },
                )
            })
            .collect();
        let capped = |cap| RefillRules {
            session_cap: Some(cap),
            ..rules(AllocationPolicy::Shared, false)
        };
        let uncapped = region_demand(&rules(AllocationPolicy::Shared, false), &usage);
        assert_eq!(uncapped, 2 + 1 + 1);
        assert_eq!(region_demand(&capped(100), &usage), uncapped);
        // At most 3 sessions a number: 12 need 4 numbers, and the next order 2 more.
        assert_eq!(region_demand(&capped(3), &usage), 4 + 2 + 1);
    }

    #[test]
    fn one_number_per_order_needs_half_the_numbers_of_a_quiet_region() {
        let single = |backups| RefillRules {
            pair_mode: PairMode::Single,
            ..rules(AllocationPolicy::Shared, backups)
        };
        let quiet = HashMap::new();
        assert_eq!(region_demand(&single(false), &quiet), 1 + 1);
        assert_eq!(region_demand(&single(true), &quiet), 2 + 1);
        assert_eq!(
            region_demand(&rules(AllocationPolicy::Shared, true), &quiet),
            4 + 1
        );
    }

    #[test]
    fn deficits_use_the_larger_of_minimum_and_share() {
        let now = Utc::now();
        let numbers = vec![number(1, "airtel", now), number(2, "jio", now)];
        let plans = plan_region(
            &rules(AllocationPolicy::Shared, false),
            &[target("airtel", 5), target("jio", 0)],
            &numbers,
            &HashMap::new(),
            now,
        );
        // Demand 2 + 1 headroom = 3 over two operators: a share of 2 each.
        assert_eq!((plans[0].wanted, plans[0].deficit), (5, 4));
        assert_eq!((plans[1].wanted, plans[1].deficit), (2, 1));
    }

    #[test]
    fn surplus_goes_back_only_when_idle_past_the_cool_off() {
        let now = Utc::now();
        let old = now - Duration::hours(3);
        let numbers = vec![
            number(1, "airtel", old),
            number(2, "airtel", old),
            number(3, "airtel", old),
            number(4, "airtel", now - Duration::minutes(5)),
            number(5, "airtel", old),
        ];
        let usage = HashMap::from([
            // Busy now.
            (vn(1), callers(&["a"])),
            // Idle, but its last session ended ten minutes ago.
            (
                vn(2),
                VnUsage {
                    last_bound_until: Some(now - Duration::minutes(10)),
                    ..VnUsage::default()
                },
            ),
            // Idle for two hours.
            (
                vn(3),
                VnUsage {
                    last_bound_until: Some(now - Duration::hours(2)),
                    ..VnUsage::default()
                },
            ),
        ]);
        let plans = plan_region(
            &rules(AllocationPolicy::Shared, false),
            &[target("airtel", 1)],
            &numbers,
            &usage,
            now,
        );
        // Wanted 3 (demand 1 + 1 + 1): surplus 2; idle past cool-off: vn5 (3 h) then vn3 (2 h).
        assert_eq!(plans[0].wanted, 3);
        assert_eq!(plans[0].give_back, vec![vn(5), vn(3)]);
    }

    #[test]
    fn numbers_left_retiring_are_listed_for_their_operator() {
        let now = Utc::now();
        let mut stuck = number(2, "airtel", now);
        stuck.state = PoolState::Retiring;
        let mut other = number(3, "jio", now);
        other.state = PoolState::Retiring;
        let numbers = vec![number(1, "airtel", now), stuck, other];
        let plans = plan_region(
            &rules(AllocationPolicy::Shared, false),
            &[target("airtel", 2)],
            &numbers,
            &HashMap::new(),
            now,
        );
        assert_eq!(plans[0].retiring, vec![vn(2)]);
        // A retiring number takes no sessions, so it does not count as healthy.
        assert_eq!((plans[0].healthy, plans[0].deficit), (1, 2));
    }

    #[test]
    fn figures_count_per_operator() {
        let now = Utc::now();
        let mut standby = number(3, "jio", now);
        standby.state = PoolState::Standby;
        let mut sick = number(2, "airtel", now);
        sick.health = Health::Unhealthy;
        let numbers = vec![number(1, "airtel", now), sick, standby];
        let usage = HashMap::from([(vn(1), callers(&["a", "b"])), (vn(2), callers(&["a"]))]);
        let figures = operator_figures(&numbers, &usage);
        let airtel = &figures[&Operator::parse("airtel").unwrap()];
        assert_eq!(
            (
                airtel.pool_size,
                airtel.healthy,
                airtel.live_bindings,
                airtel.largest_per_participant
            ),
            (2, 1, 3, 2)
        );
        assert_eq!(figures[&Operator::parse("jio").unwrap()].standby, 1);
    }
}
