//! An allocation reads the same whether its region has 100 numbers or 10,000: it reads one window
//! of the allocation index from a random place, never the whole pool. Read units are what
//! DynamoDB reports (`ReturnConsumedCapacity=TOTAL`), so this is not a timing test.

use maskline::domain::events::{DriverAssigned, OrderEvent};
use maskline::domain::AllocationPolicy;
use maskline::services::{AllocationOutcome, Allocator};
use maskline_tests::fixtures::driver_assigned;
use maskline_tests::World;

use crate::support::india;

fn assigned(order: &str, region: &str, party: u32) -> DriverAssigned {
    match OrderEvent::parse(&driver_assigned(order, region, party, party), india()).unwrap() {
        OrderEvent::DriverAssigned(event) => event,
        other => panic!("not a DriverAssigned: {other:?}"),
    }
}

#[tokio::test]
async fn allocation_reads_do_not_grow_with_the_pool() {
    let mut world = World::new().await;
    world.add_large_pool("small", 1, 100).await;
    world.add_large_pool("large", 1_001, 10_000).await;
    // Every request from here on reports what it consumed (an SDK interceptor).
    let meter = world.meter();
    for backups in [false, true] {
        let allocator = Allocator {
            backups,
            ..world.allocator(AllocationPolicy::Shared)
        };
        let mut units = Vec::new();
        for (party, region) in [(1, "small"), (2, "large")] {
            let before = meter.units();
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
            units.push((meter.units() - before).read);
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
