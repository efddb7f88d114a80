//! `PAIR_MODE=single` (Urban Company's model): one VN per order, dialled by both parties; the
//! caller decides the direction.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use maskline::domain::{AllocationPolicy, VirtualNumber};
use maskline::services::Route;
use maskline_tests::fixtures::{
    customer_phone, driver_assigned, driver_assigned_at, driver_phone, order_ended,
};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::world::GRACE_SECONDS;
use maskline_tests::World;
use serde_json::Value;

use crate::backups::operators_of;
use crate::support::{
    allocate_each_at_once, allocate_with, connects_to, numbers_of, order_numbers, release, route,
};

async fn allocate_single(
    world: &World,
    policy: AllocationPolicy,
    bodies: &[String],
) -> Vec<String> {
    allocate_with(&world.single_number_allocator(policy, false), bodies).await
}

/// The one number of a single-number order (both fields equal, or the test fails).
async fn the_number_of(world: &World, order: &str) -> String {
    let (customer_dials, driver_dials) = numbers_of(world, order).await;
    assert_eq!(
        customer_dials, driver_dials,
        "{order}: both parties dial one number"
    );
    customer_dials
}

#[tokio::test]
async fn both_parties_reach_each_other_through_the_one_number_and_nobody_else_does() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let failed = allocate_single(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned("ORD-1", "blr", 1, 1)],
    )
    .await;
    assert!(failed.is_empty(), "{failed:?}");
    let vn = the_number_of(&world, "ORD-1").await;
    let (customer, agent) = (customer_phone(1), driver_phone(1));

    // Each direction rings the other party and shows them the same number to call back on.
    let to_agent = route(&world, &vn, &customer).await;
    assert!(connects_to(&to_agent, &agent, &vn), "{to_agent:?}");
    let to_customer = route(&world, &vn, &agent).await;
    assert!(connects_to(&to_customer, &customer, &vn), "{to_customer:?}");
    // A third party on the number is nobody's caller.
    assert_eq!(
        route(&world, &vn, &customer_phone(99)).await,
        Route::OutOfSession
    );
    // Two bindings on one number, and the announcement shows the same number to both apps.
    let bindings = world.items_with_sk("BIND#").await;
    assert_eq!(bindings.len(), 2);
    assert!(bindings
        .iter()
        .all(|b| b["pk"].as_s().unwrap() == &format!("VN#{vn}")));
    let assigned = world.events.read_of_type("MaskedNumbersAssigned", 1).await;
    assert_eq!(
        assigned[0].detail["customer_dials"],
        Value::from(vn.clone())
    );
    assert_eq!(assigned[0].detail["driver_dials"], Value::from(vn.clone()));
    assert_consistent(&world).await;

    // Delivered: both directions still connect within grace, and neither after it.
    let failed = release(&world, &[order_ended("OrderDelivered", "ORD-1")]).await;
    assert!(failed.is_empty(), "{failed:?}");
    world.clock.advance(Duration::seconds(GRACE_SECONDS - 60));
    assert!(connects_to(
        &route(&world, &vn, &agent).await,
        &customer,
        &vn
    ));
    world.clock.advance(Duration::seconds(120));
    for caller in [&customer, &agent] {
        assert_eq!(route(&world, &vn, caller).await, Route::OutOfSession);
    }
    assert_consistent(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_orders_of_one_agent_get_forty_numbers_and_no_caller_twice_on_one() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 45).await;
    let allocator = world.single_number_allocator(AllocationPolicy::Shared, false);
    let orders = (1..=40).map(|i| driver_assigned(&format!("ORD-{i}"), "blr", i, 7));
    let results = allocate_each_at_once(&allocator, orders).await;
    assert!(results.iter().all(Vec::is_empty), "{results:?}");

    let mut numbers = HashSet::new();
    for i in 1..=40 {
        numbers.insert(the_number_of(&world, &format!("ORD-{i}")).await);
    }
    assert_eq!(
        numbers.len(),
        40,
        "the agent dials a different number per order"
    );
    // One binding per (number, caller): 40 for the agent, 40 for the customers.
    let bindings = world.items_with_sk("BIND#").await;
    assert_eq!(bindings.len(), 80);
    let keys: HashSet<_> = bindings
        .iter()
        .map(|b| {
            (
                b["pk"].as_s().unwrap().clone(),
                b["sk"].as_s().unwrap().clone(),
            )
        })
        .collect();
    assert_eq!(keys.len(), 80);
    assert_consistent(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_exclusive_an_order_holds_one_number_so_a_pool_serves_twice_the_orders() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 10).await;
    let allocator = world.single_number_allocator(AllocationPolicy::Exclusive, false);
    let orders = (1..=12).map(|i| driver_assigned(&format!("ORD-{i}"), "blr", i, i));
    let results = allocate_each_at_once(&allocator, orders).await;
    let served = results.iter().filter(|failed| failed.is_empty()).count();
    assert_eq!(served, 10, "ten numbers, one held whole per order");
    assert_eq!(world.items_with_sk("LOCK").await.len(), 10);
    assert_eq!(world.items_with_sk("BIND#").await.len(), 20);
    assert_consistent(&world).await;
}

#[tokio::test]
async fn a_driver_change_keeps_the_number_while_the_new_agent_can_take_it() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let ten_minutes_ago = Utc::now() - Duration::minutes(10);
    for body in [
        driver_assigned_at("ORD-1", "blr", 1, 1, ten_minutes_ago),
        driver_assigned_at("ORD-1", "blr", 1, 2, Utc::now()),
    ] {
        let failed = allocate_single(&world, AllocationPolicy::Shared, &[body]).await;
        assert!(failed.is_empty(), "{failed:?}");
    }
    let vn = the_number_of(&world, "ORD-1").await;
    let (customer, new_agent, old_agent) = (customer_phone(1), driver_phone(2), driver_phone(1));
    assert!(connects_to(
        &route(&world, &vn, &customer).await,
        &new_agent,
        &vn
    ));
    assert!(connects_to(
        &route(&world, &vn, &new_agent).await,
        &customer,
        &vn
    ));
    assert_eq!(route(&world, &vn, &old_agent).await, Route::OutOfSession);
    assert_eq!(world.items_with_sk("BIND#").await.len(), 2);
    assert_consistent(&world).await;
}

#[tokio::test]
async fn a_new_agent_already_on_the_number_moves_the_order_for_both_parties() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 3).await;
    let earlier = Utc::now() - Duration::minutes(10);
    let first = allocate_single(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned_at("ORD-1", "blr", 1, 1, earlier)],
    )
    .await;
    assert!(first.is_empty());
    let before = the_number_of(&world, "ORD-1").await;
    // Agent 2 gets ORD-2 on the same number (agent 2 and customer 2 are free there)...
    let second = allocate_single(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned("ORD-2", "blr", 2, 2)],
    )
    .await;
    assert!(second.is_empty());
    // ...then takes over ORD-1 too. If ORD-2 landed on ORD-1's number, agent 2 cannot be bound
    // there twice: ORD-1 moves, and both its parties see the new number.
    let take_over = allocate_single(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned_at("ORD-1", "blr", 1, 2, Utc::now())],
    )
    .await;
    assert!(take_over.is_empty());
    let after = the_number_of(&world, "ORD-1").await;
    let ord2 = the_number_of(&world, "ORD-2").await;
    assert_ne!(after, ord2, "agent 2 dials a different number per order");
    if ord2 == before {
        assert_ne!(
            after, before,
            "the order moved off the number agent 2 holds"
        );
    }
    assert!(connects_to(
        &route(&world, &after, &customer_phone(1)).await,
        &driver_phone(2),
        &after
    ));
    assert_consistent(&world).await;
}

#[tokio::test]
async fn failover_moves_both_parties_to_the_backup() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    world.add_pool("blr", "jio", 101, 2).await;
    let failed = allocate_with(
        &world.single_number_allocator(AllocationPolicy::Shared, true),
        &[driver_assigned("ORD-1", "blr", 1, 1)],
    )
    .await;
    assert!(failed.is_empty(), "{failed:?}");
    let (_, before) = order_numbers(&world, "ORD-1").await;
    assert_eq!(before["customer_backup"], before["driver_backup"]);
    let primary = before["customer_dials"].as_str().unwrap().to_string();
    let backup = before["customer_backup"].as_str().unwrap().to_string();
    let operators = operators_of(&world, "blr").await;
    assert_ne!(operators[&primary], operators[&backup]);

    let sick = VirtualNumber::parse(&primary, None).unwrap();
    let report = world.failover(true).mark_unhealthy(&sick).await.unwrap();
    assert_eq!(report.moved.len(), 1);

    let (_, after) = order_numbers(&world, "ORD-1").await;
    assert_eq!(after["customer_dials"].as_str(), Some(backup.as_str()));
    assert_eq!(after["driver_dials"].as_str(), Some(backup.as_str()));
    assert_eq!(after["customer_backup"], after["driver_backup"]);
    let new_backup = after["customer_backup"].as_str().expect("a new backup");
    assert_ne!(operators[&backup], operators[new_backup]);
    let (customer, agent) = (customer_phone(1), driver_phone(1));
    assert!(connects_to(
        &route(&world, &backup, &customer).await,
        &agent,
        &backup
    ));
    assert!(connects_to(
        &route(&world, &backup, &agent).await,
        &customer,
        &backup
    ));
    assert_eq!(route(&world, &primary, &agent).await, Route::OutOfSession);
    assert_consistent(&world).await;
}

#[tokio::test]
async fn one_phone_on_both_sides_is_refused_at_once_and_writes_nothing() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    let items_before = world.all_items().await.len();
    let mut event: Value = serde_json::from_str(&driver_assigned("ORD-1", "blr", 1, 1)).unwrap();
    event["detail"]["driver"]["phone"] = Value::from(customer_phone(1));
    let failed = allocate_single(&world, AllocationPolicy::Shared, &[event.to_string()]).await;
    assert_eq!(failed.len(), 1, "the message fails");
    assert_eq!(world.all_items().await.len(), items_before);
}
