//! The plan as a buyer reads it: per region, how many numbers each policy needs and the floor
//! under them; per policy, what renting them costs a month. Field names are stable: scripts read
//! `--json`.

use serde::Serialize;

use super::city::RegionOutcome;
use super::costs::{InfraCost, DAYS_PER_MONTH};
use super::replay::Policy;
use super::timeline::Timeline;
use super::workload::Workload;

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The preset's name or the workload file.
    pub workload: String,
    pub seed: u64,
    pub grace_minutes: f64,
    pub backups: bool,
    pub currency: String,
    pub number_price_per_month: f64,
    /// Orders in the simulated day (the workload's rates, rounded by chance).
    pub orders_per_day: u32,
    pub regions: Vec<RegionPlan>,
    /// Regions added up (each region keeps its own pool).
    pub total: Policies,
    /// Shared, or shared with backups when the workload runs backups.
    pub recommended: Recommendation,
    /// DynamoDB and Lambda; absent when no per-order units were given or measured.
    pub infra: Option<InfraCost>,
    /// Numbers in use over the day, city-wide, per policy (for the chart).
    #[serde(skip)]
    pub in_use: Curves,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionPlan {
    pub region: String,
    pub orders_per_day: u32,
    pub peak_live_sessions: u32,
    /// The most sessions one customer or agent held at once, grace included (k).
    pub busiest_participant_sessions: u32,
    /// max(2, k): the fewest numbers any shared pool can have (k distinct for the busiest caller,
    /// and two per order).
    pub lower_bound: u32,
    /// Twice that, split over two operators.
    pub lower_bound_with_backups: u32,
    /// Plivo's published sizing for its masking API, 2k − 1, for comparison.
    pub plivo_guidance: u32,
    pub policies: Policies,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Policies {
    pub shared: PolicyFigures,
    pub shared_with_backups: PolicyFigures,
    pub exclusive: PolicyFigures,
    /// Shared, one number per order for both parties (`PAIR_MODE=single`).
    pub single_number: PolicyFigures,
    pub one_per_order: PolicyFigures,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PolicyFigures {
    /// The pool to keep: the fewest numbers with which no allocation of the day failed. For one
    /// purchase per order, the most numbers held at once.
    pub numbers: u32,
    /// The most numbers with a live binding at once.
    pub peak_in_use: u32,
    /// Numbers paid for in a month: the pool, or for one purchase per order every pair bought
    /// (a rental is billed at least a month, as providers bill monthly rent).
    pub rentals_per_month: u32,
    pub monthly_cost: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub policy: String,
    pub numbers: u32,
    pub monthly_cost: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Curves {
    pub shared: Timeline,
    pub shared_with_backups: Timeline,
    pub exclusive: Timeline,
    pub single_number: Timeline,
    pub one_per_order: Timeline,
}

pub fn plan(
    label: String,
    seed: u64,
    workload: &Workload,
    outcomes: &[RegionOutcome],
    infra: Option<InfraCost>,
) -> Plan {
    let price = workload.number_price_per_month;
    let pooled = |numbers: u32, in_use: &Timeline| PolicyFigures {
        numbers,
        peak_in_use: in_use.peak(),
        rentals_per_month: numbers,
        monthly_cost: f64::from(numbers) * price,
    };
    let mut regions = Vec::new();
    let mut total = Policies::default();
    let mut curves = Curves::default();
    for outcome in outcomes {
        let c = &outcome.concurrency;
        let k = c.busiest_participant;
        let mut policies = Policies::default();
        for (policy, replayed) in &outcome.replays {
            let figures = pooled(replayed.numbers, &replayed.in_use);
            let (slot, curve) = match policy {
                Policy::Shared => (&mut policies.shared, &mut curves.shared),
                Policy::SharedWithBackups => (
                    &mut policies.shared_with_backups,
                    &mut curves.shared_with_backups,
                ),
                Policy::Exclusive => (&mut policies.exclusive, &mut curves.exclusive),
                Policy::SingleNumber => (&mut policies.single_number, &mut curves.single_number),
            };
            *slot = figures;
            curve.add(&replayed.in_use);
        }
        // A fresh pair per order, held until grace ends: two numbers per live session, and two
        // purchases per order.
        let pairs = c.live_sessions.times(2);
        let rentals = (2.0 * f64::from(outcome.orders) * DAYS_PER_MONTH).round() as u32;
        policies.one_per_order = PolicyFigures {
            numbers: pairs.peak(),
            peak_in_use: pairs.peak(),
            rentals_per_month: rentals,
            monthly_cost: f64::from(rentals) * price,
        };
        curves.one_per_order.add(&pairs);
        add(&mut total, &policies);
        regions.push(RegionPlan {
            region: outcome.region.to_string(),
            orders_per_day: outcome.orders,
            peak_live_sessions: c.peak_live_sessions,
            busiest_participant_sessions: k,
            lower_bound: k.max(2),
            lower_bound_with_backups: 2 * k.max(2),
            plivo_guidance: (2 * k).saturating_sub(1),
            policies,
        });
    }
    // Regions peak at about the same hours, but not in the same slot: the city's peak in use is
    // that of the summed curves, not the sum of the regions' peaks.
    total.shared.peak_in_use = curves.shared.peak();
    total.shared_with_backups.peak_in_use = curves.shared_with_backups.peak();
    total.exclusive.peak_in_use = curves.exclusive.peak();
    total.single_number.peak_in_use = curves.single_number.peak();
    total.one_per_order.peak_in_use = curves.one_per_order.peak();
    let (policy, chosen) = if workload.backups {
        ("shared_with_backups", &total.shared_with_backups)
    } else {
        ("shared", &total.shared)
    };
    let recommended = Recommendation {
        policy: policy.to_string(),
        numbers: chosen.numbers,
        monthly_cost: chosen.monthly_cost,
    };
    Plan {
        workload: label,
        seed,
        grace_minutes: workload.grace_minutes,
        backups: workload.backups,
        currency: workload.currency.clone(),
        number_price_per_month: price,
        orders_per_day: outcomes.iter().map(|o| o.orders).sum(),
        regions,
        total,
        recommended,
        infra,
        in_use: curves,
    }
}

fn add(total: &mut Policies, region: &Policies) {
    for (sum, one) in [
        (&mut total.shared, &region.shared),
        (&mut total.shared_with_backups, &region.shared_with_backups),
        (&mut total.exclusive, &region.exclusive),
        (&mut total.single_number, &region.single_number),
        (&mut total.one_per_order, &region.one_per_order),
    ] {
        sum.numbers += one.numbers;
        sum.rentals_per_month += one.rentals_per_month;
        sum.monthly_cost += one.monthly_cost;
    }
}
