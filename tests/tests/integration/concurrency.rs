//! Many claims at once on one agent: the pool is shared, (VN, caller) never repeats.

use std::collections::HashSet;

use futures::future::join_all;
use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::driver_assigned;
use maskline_tests::invariants::assert_consistent;
use maskline_tests::World;

use crate::support::{allocate, numbers_of};

/// Runs one allocate-numbers invocation per order, all at once (as parallel Lambdas would).
async fn allocate_concurrently(world: &World, orders: &[(String, u32, u32)]) -> Vec<bool> {
    join_all(orders.iter().map(|(order, customer, driver)| async move {
        allocate(
            world,
            AllocationPolicy::Shared,
            &[driver_assigned(order, "blr", *customer, *driver)],
        )
        .await
        .is_empty()
    }))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_orders_for_one_agent_get_sixty_four_distinct_numbers() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 70).await;
    let orders: Vec<_> = (1..=64).map(|i| (format!("ORD-{i}"), i, 7)).collect();

    let succeeded = allocate_concurrently(&world, &orders).await;
    assert!(
        succeeded.iter().all(|ok| *ok),
        "every order fits in a pool of 70"
    );

    let mut driver_numbers = HashSet::new();
    for (order, _, _) in &orders {
        let (customer_dials, driver_dials) = numbers_of(&world, order).await;
        assert_ne!(customer_dials, driver_dials);
        driver_numbers.insert(driver_dials);
    }
    assert_eq!(
        driver_numbers.len(),
        64,
        "the agent must dial a different VN per order"
    );
    assert_eq!(world.items_with_sk("SESSION").await.len(), 64);
    assert_eq!(world.items_with_sk("BIND#").await.len(), 128);
    assert_consistent(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pool_of_ten_serves_exactly_ten_of_twenty_concurrent_orders_for_one_agent() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 10).await;
    let orders: Vec<_> = (1..=20).map(|i| (format!("ORD-{i}"), i, 7)).collect();

    let succeeded = allocate_concurrently(&world, &orders).await;
    assert_eq!(succeeded.iter().filter(|ok| **ok).count(), 10);

    // The refused half left nothing behind: ten sessions, twenty bindings, all accounted for.
    assert_eq!(world.items_with_sk("SESSION").await.len(), 10);
    assert_eq!(world.items_with_sk("BIND#").await.len(), 20);
    assert_consistent(&world).await;

    let exhausted: Vec<_> = world
        .events
        .read(20)
        .await
        .into_iter()
        .filter(|e| e.detail_type == "PoolExhausted")
        .collect();
    assert!(
        !exhausted.is_empty(),
        "exhaustion must be signalled for refill"
    );
    assert!(exhausted.iter().all(|e| e.detail["region"] == "blr"));
}
