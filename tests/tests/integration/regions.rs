//! Regional pools: an order only ever gets numbers of its own region, and the exclusive policy
//! fails over like the shared one.

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::join_all;
use maskline::adapters::dynamodb::DynamoStore;
use maskline::domain::AllocationPolicy;
use maskline::services::Allocator;
use maskline_tests::fixtures::driver_assigned;
use maskline_tests::invariants::assert_consistent;
use maskline_tests::read_consistency::ItemReads;
use maskline_tests::World;

use crate::support::{allocate, allocate_with, numbers_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_only_get_numbers_of_their_region() {
    let world = World::new().await;
    let blr: HashSet<String> = world
        .add_pool("blr", "airtel", 1, 6)
        .await
        .iter()
        .map(ToString::to_string)
        .collect();
    let del: HashSet<String> = world
        .add_pool("del", "airtel", 101, 6)
        .await
        .iter()
        .map(ToString::to_string)
        .collect();
    let orders: Vec<(String, &str)> = (1..=24)
        .map(|i| (format!("ORD-{i}"), if i % 2 == 0 { "blr" } else { "del" }))
        .collect();
    let failed = join_all(orders.iter().map(|(order, region)| {
        let world = &world;
        let i: u32 = order[4..].parse().unwrap();
        async move {
            allocate(
                world,
                AllocationPolicy::Shared,
                &[driver_assigned(order, region, i, 1 + i % 4)],
            )
            .await
        }
    }))
    .await;
    assert!(failed.iter().all(Vec::is_empty), "{failed:?}");
    for (order, region) in &orders {
        let (customer_dials, driver_dials) = numbers_of(&world, order).await;
        let pool = if *region == "blr" { &blr } else { &del };
        assert!(
            pool.contains(&customer_dials) && pool.contains(&driver_dials),
            "{order} in {region} got {customer_dials} / {driver_dials}"
        );
    }
    assert_consistent(&world).await;
}

#[tokio::test]
async fn exclusive_sessions_move_off_an_unhealthy_number_with_their_locks() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 6).await;
    for i in 1..=2 {
        assert!(allocate(
            &world,
            AllocationPolicy::Exclusive,
            &[driver_assigned(&format!("ORD-{i}"), "blr", i, i)]
        )
        .await
        .is_empty());
    }
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    let sick = maskline::domain::VirtualNumber::parse(&customer_dials, None).unwrap();
    let report = world.failover(false).mark_unhealthy(&sick).await.unwrap();
    assert_eq!(report.moved.len(), 1);
    let (moved_to, _) = numbers_of(&world, "ORD-1").await;
    assert_ne!(moved_to, customer_dials);
    // The new number is held whole by ORD-1 and the sick one is free of locks.
    let locks: Vec<String> = world
        .items_with_sk("LOCK")
        .await
        .iter()
        .map(|l| {
            l["pk"]
                .as_s()
                .unwrap()
                .trim_start_matches("VN#")
                .to_string()
        })
        .collect();
    assert!(locks.contains(&moved_to));
    assert!(!locks.contains(&customer_dials));
    assert_eq!(
        locks.len(),
        4,
        "two exclusive sessions hold two numbers each"
    );
    assert_consistent(&world).await;
}

#[tokio::test]
async fn an_unknown_region_is_decided_on_a_consistent_read() {
    // Issue 20, finding 5: an unknown region is final (the message goes to the DLQ at once), so
    // it must not rest on a read that may predate the region's first numbers. DynamoDB Local
    // never answers stale, so the test checks what was asked for: every read of the region
    // registry behind an "unknown region" is consistent.
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    let reads = ItemReads::default();
    let allocator = Allocator {
        store: Arc::new(DynamoStore::new(reads.client(&world.aws), &world.table)),
        ..world.allocator(AllocationPolicy::Shared)
    };
    let failed = allocate_with(&allocator, &[driver_assigned("ORD-1", "atlantis", 1, 1)]).await;
    assert_eq!(failed.len(), 1, "an order of an unknown region is refused");
    let registry = reads.of("REGIONS");
    assert!(!registry.is_empty(), "the region registry was never read");
    assert!(
        registry.iter().all(|read| read.consistent),
        "the region was judged unknown on an eventually consistent read: {registry:?}"
    );
}
