//! A new agent for the same order: the agent's side moves, the customer keeps their number.

use chrono::{Duration, Utc};
use maskline::services::Route;
use maskline_tests::fixtures::{customer_phone, driver_assigned_at, driver_phone};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::World;

use crate::support::{allocate_ok, numbers_of, route};

/// ORD-1 with agent 1, assigned ten minutes ago from a pool of six; (world, customer dials,
/// agent dials, that assignment's event).
async fn order_with_a_first_agent() -> (World, String, String, String) {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 6).await;
    let first_time = Utc::now() - Duration::minutes(10);
    let first_assignment = driver_assigned_at("ORD-1", "blr", 1, 1, first_time);
    allocate_ok(&world, std::slice::from_ref(&first_assignment)).await;
    let (customer_dials, driver_dials) = numbers_of(&world, "ORD-1").await;
    (world, customer_dials, driver_dials, first_assignment)
}

#[tokio::test]
async fn a_new_agent_takes_over_and_the_old_one_is_cut_off() {
    let (world, customer_dials, old_driver_dials, first_assignment) =
        order_with_a_first_agent().await;

    allocate_ok(
        &world,
        &[driver_assigned_at("ORD-1", "blr", 1, 2, Utc::now())],
    )
    .await;
    let (customer_dials_after, driver_dials) = numbers_of(&world, "ORD-1").await;
    assert_eq!(
        customer_dials_after, customer_dials,
        "the customer keeps their number"
    );

    let (customer, new_driver, old_driver) = (customer_phone(1), driver_phone(2), driver_phone(1));
    // The customer now reaches the new agent, who sees the number to call back on...
    match route(&world, &customer_dials, &customer).await {
        Route::Connect {
            callee, caller_id, ..
        } => {
            assert_eq!(callee.expose(), new_driver);
            assert_eq!(caller_id.as_str(), driver_dials);
        }
        other => panic!("customer not connected: {other:?}"),
    }
    // ...and the new agent reaches the customer.
    assert!(matches!(route(&world, &driver_dials, &new_driver).await,
        Route::Connect { callee, .. } if callee.expose() == customer));
    // The old agent's binding is gone.
    assert_eq!(
        route(&world, &old_driver_dials, &old_driver).await,
        Route::OutOfSession
    );
    assert_eq!(world.items_with_sk("BIND#").await.len(), 2);
    assert_consistent(&world).await;

    // A redelivered, older assignment of the first agent does not move the order back.
    allocate_ok(&world, &[first_assignment]).await;
    assert_eq!(
        numbers_of(&world, "ORD-1").await,
        (customer_dials, driver_dials.clone())
    );
    assert_eq!(
        route(&world, &driver_dials, &old_driver).await,
        Route::OutOfSession
    );

    let moves: Vec<_> = world
        .events
        .read(2)
        .await
        .into_iter()
        .filter(|e| e.detail_type == "MaskedNumbersAssigned")
        .collect();
    assert_eq!(moves.len(), 2, "the apps are told about the move");
    assert!(moves
        .iter()
        .any(|e| e.detail["driver_dials"] == driver_dials.as_str()));
}

#[tokio::test]
async fn a_driver_change_never_keeps_a_number_that_stopped_taking_sessions() {
    use maskline::domain::pool::Health;
    use maskline::domain::{AllocationPolicy, VirtualNumber};
    use maskline::ports::PoolStore;
    use maskline_tests::stale_reads::StaleReads;
    use std::sync::Arc;

    let (world, customer_dials, _, _) = order_with_a_first_agent().await;
    // The customer's number is marked unhealthy (no failover has run yet), and the allocator's
    // read of it is a moment old: it still looks healthy.
    let sick = VirtualNumber::parse(&customer_dials, None).unwrap();
    world
        .store
        .set_health(&sick, Health::Unhealthy)
        .await
        .unwrap();
    let allocator = maskline::services::Allocator {
        store: Arc::new(StaleReads::stale_pool_reads(world.store.clone())),
        ..world.allocator(AllocationPolicy::Shared)
    };
    let failed = crate::support::allocate_with(
        &allocator,
        &[driver_assigned_at("ORD-1", "blr", 1, 2, Utc::now())],
    )
    .await;
    assert!(failed.is_empty(), "{failed:?}");
    let (customer_dials_after, _) = numbers_of(&world, "ORD-1").await;
    assert_ne!(
        customer_dials_after, customer_dials,
        "the new session kept a number that stopped taking sessions"
    );
    assert_consistent(&world).await;
}
