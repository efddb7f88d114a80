//! An allocation reads the same whether its region has 100 numbers or 10,000: it reads one window
//! of the allocation index from a random place, never the whole pool. Read units are what
//! DynamoDB reports (`ReturnConsumedCapacity=TOTAL`), so this is not a timing test.

use std::sync::Arc;

use maskline::adapters::dynamodb::PoolEntry;
use maskline::domain::events::{DriverAssigned, OrderEvent};
use maskline::domain::pool::PoolState;
use maskline::domain::{AllocationPolicy, Operator, Provider, Region};
use maskline::services::{AllocationOutcome, Allocator};
use maskline_tests::fixtures::{driver_assigned, vn};
use maskline_tests::World;

use crate::support::india;

fn assigned(order: &str, region: &str, party: u32) -> DriverAssigned {
    match OrderEvent::parse(&driver_assigned(order, region, party, party), india()).unwrap() {
        OrderEvent::DriverAssigned(event) => event,
        other => panic!("not a DriverAssigned: {other:?}"),
    }
}

async fn add_region(world: &World, region: &str, first: u32, count: u32) {
    let entries: Vec<PoolEntry> = (first..first + count)
        .map(|i| PoolEntry {
            vn: vn(i),
            region: Region::parse(region).unwrap(),
            // Two operators, so backups (another operator) are on offer in every window.
            operator: Operator::parse(if i % 2 == 0 { "airtel" } else { "jio" }).unwrap(),
            provider: Provider::parse("static").unwrap(),
        })
        .collect();
    world
        .store
        .add_numbers_in_bulk(&entries, PoolState::Active)
        .await
        .unwrap();
}

#[tokio::test]
async fn allocation_reads_do_not_grow_with_the_pool() {
    let world = World::new().await;
    add_region(&world, "small", 1, 100).await;
    add_region(&world, "large", 1_001, 10_000).await;
    let (metered, meter) = world.store.metered();
    for backups in [false, true] {
        let allocator = Allocator {
            store: Arc::new(metered.clone()),
            backups,
            ..world.allocator(AllocationPolicy::Shared)
        };
        let mut units = Vec::new();
        for (party, region) in [(1, "small"), (2, "large")] {
            meter.reset();
            let order = format!("ORD-{region}-{backups}");
            let outcome = allocator
                .assign(&assigned(
                    &order,
                    region,
                    party + if backups { 10 } else { 0 },
                ))
                .await
                .unwrap();
            assert!(
                matches!(outcome, AllocationOutcome::Created(_)),
                "{outcome:?}"
            );
            units.push(meter.units());
        }
        println!(
            "read units of one allocation (backups {backups}): 100 numbers {}, 10,000 numbers {}",
            units[0], units[1]
        );
        assert!(units[0] > 0.0, "the meter saw no reads");
        assert!(
            units[1] <= 2.0 * units[0],
            "an allocation in 10,000 numbers read {} units, in 100 numbers {} (backups {backups})",
            units[1],
            units[0]
        );
    }
}
