//! One allocation's time and read units at pools of 100 to 50,000 numbers: the allocation index
//! makes both flat.

use std::time::Instant;

use maskline::domain::events::OrderEvent;
use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::driver_assigned;
use maskline_tests::World;
use serde_json::{json, Value};

use crate::report::percentiles;

const ALLOCATIONS: u32 = 40;
/// (numbers, first VN): separate VN ranges, one region each.
const POOLS: [(u32, u32); 4] = [
    (100, 1),
    (1_000, 1_000),
    (10_000, 10_000),
    (50_000, 100_000),
];

pub async fn measure() -> Value {
    let mut world = World::new().await;
    for (numbers, first) in POOLS {
        world
            .add_large_pool(&format!("p{numbers}"), first, numbers)
            .await;
    }
    let meter = world.meter();
    let allocator = world.allocator(AllocationPolicy::Shared);
    let mut pools = Vec::new();
    for (numbers, _) in POOLS {
        let region = format!("p{numbers}");
        let mut times = Vec::new();
        let before = meter.units();
        for i in 0..ALLOCATIONS {
            let party = 30_000 + numbers % 997 * 50 + i;
            let body = driver_assigned(&format!("S-{numbers}-{i}"), &region, party, party);
            let OrderEvent::DriverAssigned(event) =
                OrderEvent::parse(&body, Some("IN".parse().unwrap())).unwrap()
            else {
                unreachable!()
            };
            let start = Instant::now();
            allocator.assign(&event).await.expect("allocation");
            times.push(start.elapsed());
        }
        let used = meter.units() - before;
        let timing = percentiles(times);
        pools.push(json!({
            "numbers": numbers,
            "p50_us": timing["p50_us"],
            "p99_us": timing["p99_us"],
            "read_units": used.read / ALLOCATIONS as f64,
            "write_units": used.write / ALLOCATIONS as f64,
        }));
    }
    let units = |i: usize| pools[i]["read_units"].as_f64().unwrap();
    json!({
        "allocations_per_pool": ALLOCATIONS,
        "read_units_ratio": units(pools.len() - 1) / units(0),
        "pools": pools,
    })
}
