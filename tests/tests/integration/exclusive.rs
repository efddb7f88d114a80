//! The exclusive policy: a VN serves one live session at a time.

use std::collections::HashSet;

use chrono::Duration;
use futures::future::join_all;
use maskline::domain::AllocationPolicy;
use maskline_tests::fixtures::{driver_assigned, order_ended};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::world::GRACE_SECONDS;
use maskline_tests::World;

use crate::support::{allocate, numbers_of, release};

const EXCLUSIVE: AllocationPolicy = AllocationPolicy::Exclusive;

#[tokio::test]
async fn each_live_session_holds_its_numbers_alone_until_grace_ends() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    for (order, party) in [("ORD-1", 1), ("ORD-2", 2)] {
        let failed = allocate(
            &world,
            EXCLUSIVE,
            &[driver_assigned(order, "blr", party, party)],
        )
        .await;
        assert!(failed.is_empty(), "{order}: {failed:?}");
    }
    let (c1, d1) = numbers_of(&world, "ORD-1").await;
    let (c2, d2) = numbers_of(&world, "ORD-2").await;
    let used: HashSet<_> = [&c1, &d1, &c2, &d2].into_iter().collect();
    assert_eq!(used.len(), 4, "no VN may serve two sessions");
    assert_eq!(world.items_with_sk("LOCK").await.len(), 4);

    // Different people entirely, yet no room: the shared policy would have fitted them.
    let failed = allocate(&world, EXCLUSIVE, &[driver_assigned("ORD-3", "blr", 3, 3)]).await;
    assert_eq!(failed.len(), 1);
    assert_consistent(&world).await;

    // Released numbers stay held through the grace window, then serve the next order.
    assert!(release(&world, &[order_ended("OrderDelivered", "ORD-1")])
        .await
        .is_empty());
    assert_eq!(
        allocate(&world, EXCLUSIVE, &[driver_assigned("ORD-3", "blr", 3, 3)])
            .await
            .len(),
        1
    );
    world.clock.advance(Duration::seconds(GRACE_SECONDS + 1));
    let failed = allocate(&world, EXCLUSIVE, &[driver_assigned("ORD-3", "blr", 3, 3)]).await;
    assert!(failed.is_empty(), "{failed:?}");
    let (c3, d3) = numbers_of(&world, "ORD-3").await;
    assert_eq!(
        HashSet::from([c3, d3]),
        HashSet::from([c1, d1]),
        "ORD-3 must reuse ORD-1's expired numbers"
    );
    assert_consistent(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_exclusive_claims_never_share_a_number() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 10).await;
    let results = join_all((1..=8).map(|i| {
        let world = &world;
        async move {
            allocate(
                world,
                EXCLUSIVE,
                &[driver_assigned(&format!("ORD-{i}"), "blr", i, i)],
            )
            .await
            .is_empty()
        }
    }))
    .await;
    assert_eq!(
        results.iter().filter(|ok| **ok).count(),
        5,
        "ten VNs hold five exclusive sessions"
    );
    assert_eq!(world.items_with_sk("LOCK").await.len(), 10);
    assert_consistent(&world).await;
}

#[tokio::test]
async fn a_shared_claim_respects_an_exclusive_hold() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    assert!(
        allocate(&world, EXCLUSIVE, &[driver_assigned("ORD-1", "blr", 1, 1)])
            .await
            .is_empty()
    );
    // ALLOCATION_POLICY switched to shared (or a rolling deploy runs both) while ORD-1 is live:
    // other people's bindings on ORD-1's numbers would break its exclusive hold.
    let failed = allocate(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned("ORD-2", "blr", 2, 2)],
    )
    .await;
    assert_eq!(failed.len(), 1, "both numbers are held exclusively");
    assert_eq!(world.items_with_sk("BIND#").await.len(), 2);
    assert_consistent(&world).await;
}
