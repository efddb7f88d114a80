//! The whole city: each region's day simulated once, then replayed under every pooled policy.
//! Seeds are derived per region and per policy, so a region's figures do not depend on how many
//! regions come before it, and one seed gives one plan.

use maskline::domain::Region;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::concurrency::{measure, Concurrency};
use super::day::{simulate_day, PlannedSession};
use super::replay::{replay, Policy, Replayed};
use super::workload::Workload;

pub struct RegionDay {
    pub region: Region,
    pub sessions: Vec<PlannedSession>,
}

pub struct RegionOutcome {
    pub region: Region,
    pub orders: u32,
    pub concurrency: Concurrency,
    /// In `Policy::ALL` order.
    pub replays: Vec<(Policy, Replayed)>,
}

/// Every region's sessions (fast); the replays that follow take the time.
pub fn simulate_days(workload: &Workload, seed: u64) -> Vec<RegionDay> {
    workload
        .region_fractions()
        .into_iter()
        .map(|(region, share)| {
            let mut rng = StdRng::seed_from_u64(derive(seed, &region, 0));
            RegionDay {
                sessions: simulate_day(workload, share, &mut rng),
                region,
            }
        })
        .collect()
}

/// `step` is called once per session replayed (three times per session in all).
pub fn replay_region(
    day: &RegionDay,
    seed: u64,
    mut step: impl FnMut(),
) -> anyhow::Result<RegionOutcome> {
    let mut replays = Vec::with_capacity(Policy::ALL.len());
    for (p, policy) in Policy::ALL.into_iter().enumerate() {
        let mut rng = StdRng::seed_from_u64(derive(seed, &day.region, p as u64 + 1));
        let replayed = replay(&day.sessions, policy, &mut rng, &mut step)
            .map_err(|e| anyhow::anyhow!("region {}: {e}", day.region))?;
        replays.push((policy, replayed));
    }
    Ok(RegionOutcome {
        region: day.region.clone(),
        orders: day.sessions.len() as u32,
        concurrency: measure(&day.sessions),
        replays,
    })
}

/// A stream per (seed, region, use): FNV-1a over the region's name, mixed with the rest.
fn derive(seed: u64, region: &Region, stream: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in region.as_str().bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    seed ^ hash ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}
