//! The whole life of an order: assign -> look up -> call both ways -> release -> grace -> expiry.

use chrono::Duration;
use maskline::domain::AllocationPolicy;
use maskline::services::Route;
use maskline_tests::fixtures::{customer_phone, driver_assigned, driver_phone, order_ended};
use maskline_tests::invariants::{assert_consistent, assert_no_number_stored};
use maskline_tests::world::GRACE_SECONDS;
use maskline_tests::World;

use crate::support::{allocate, allocate_ok, numbers_of, order_numbers, release, route};

fn connects_to(route: &Route, callee: &str, caller_id: &str) -> bool {
    matches!(route, Route::Connect { callee: c, caller_id: id, .. }
        if c.expose() == callee && id.as_str() == caller_id)
}

#[tokio::test]
async fn assign_lookup_call_release_and_expire() {
    let world = World::new().await;
    let pool = world.add_pool("blr", "airtel", 1, 2).await;

    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;

    let (status, view) = order_numbers(&world, "ORD-1").await;
    assert_eq!(status, 200);
    assert_eq!(view["order_id"], "ORD-1");
    assert_eq!(view["state"], "active");
    let (customer_dials, driver_dials) = numbers_of(&world, "ORD-1").await;
    assert_ne!(customer_dials, driver_dials);
    for dials in [&customer_dials, &driver_dials] {
        assert!(
            pool.iter().any(|vn| vn.as_str() == dials),
            "{dials} is not a pool number"
        );
    }
    assert!(view["expires_at"].as_str().is_some());

    // Each side reaches the other and sees the number it would dial to call back.
    let (customer, driver) = (customer_phone(1), driver_phone(1));
    assert!(connects_to(
        &route(&world, &customer_dials, &customer).await,
        &driver,
        &driver_dials
    ));
    assert!(connects_to(
        &route(&world, &driver_dials, &driver).await,
        &customer,
        &customer_dials
    ));
    // A stranger, or a party dialling the other side's VN, learns nothing.
    assert_eq!(
        route(&world, &customer_dials, &customer_phone(99)).await,
        Route::OutOfSession
    );
    assert_eq!(
        route(&world, &driver_dials, &customer).await,
        Route::OutOfSession
    );

    assert_consistent(&world).await;
    assert_no_number_stored(&world, &[customer.clone(), driver.clone()]).await;

    // Delivered: still callable within the grace window (the forgotten item)...
    let failed = release(&world, &[order_ended("OrderDelivered", "ORD-1")]).await;
    assert!(failed.is_empty());
    let (_, view) = order_numbers(&world, "ORD-1").await;
    assert_eq!(view["state"], "released");
    world.clock.advance(Duration::seconds(GRACE_SECONDS - 60));
    assert!(connects_to(
        &route(&world, &customer_dials, &customer).await,
        &driver,
        &driver_dials
    ));
    assert_consistent(&world).await;

    // ...and refused once it has passed, even though TTL has not deleted anything yet.
    world.clock.advance(Duration::seconds(120));
    assert_eq!(
        route(&world, &customer_dials, &customer).await,
        Route::OutOfSession
    );
    assert_eq!(
        route(&world, &driver_dials, &driver).await,
        Route::OutOfSession
    );
    let (_, view) = order_numbers(&world, "ORD-1").await;
    assert_eq!(view["state"], "expired");

    // Expired bindings free their numbers: the same pair can start a new order on the same two VNs.
    let failed = allocate(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned("ORD-2", "blr", 1, 1)],
    )
    .await;
    assert!(
        failed.is_empty(),
        "expired bindings were not reusable: {failed:?}"
    );
    let (c2, d2) = numbers_of(&world, "ORD-2").await;
    assert!(connects_to(
        &route(&world, &c2, &customer).await,
        &driver,
        &d2
    ));
}

#[tokio::test]
async fn two_numbers_serve_two_concurrent_orders_of_the_same_pair_but_not_three() {
    // The allocation rule: only (VN, caller) must be unique, so a pool of two VNs carries two live
    // orders between the same customer and agent (sides swapped), and a third has nowhere to go.
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    for order in ["ORD-A", "ORD-B"] {
        let failed = allocate(
            &world,
            AllocationPolicy::Shared,
            &[driver_assigned(order, "blr", 1, 1)],
        )
        .await;
        assert!(failed.is_empty(), "{order}: {failed:?}");
    }
    let (ca, da) = numbers_of(&world, "ORD-A").await;
    let (cb, db) = numbers_of(&world, "ORD-B").await;
    assert_eq!(
        (ca.clone(), da.clone()),
        (db.clone(), cb.clone()),
        "sides must swap VNs"
    );

    let failed = allocate(
        &world,
        AllocationPolicy::Shared,
        &[driver_assigned("ORD-C", "blr", 1, 1)],
    )
    .await;
    assert_eq!(failed, vec!["m0".to_string()]);
    let (status, _) = order_numbers(&world, "ORD-C").await;
    assert_eq!(
        status, 404,
        "a refused allocation must leave no session behind"
    );

    // Calls still resolve to the right order: each VN knows who is calling.
    let customer = customer_phone(1);
    let Route::Connect { order_id, .. } = route(&world, &ca, &customer).await else {
        panic!()
    };
    assert_eq!(order_id.as_str(), "ORD-A");
    let Route::Connect { order_id, .. } = route(&world, &cb, &customer).await else {
        panic!()
    };
    assert_eq!(order_id.as_str(), "ORD-B");
    assert_consistent(&world).await;
}

#[tokio::test]
async fn unknown_order_is_a_404_json_and_a_bad_id_a_400() {
    let world = World::new().await;
    let (status, body) = order_numbers(&world, "ORD-404").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "unknown order");
    let (status, body) = order_numbers(&world, "ORD%23X").await;
    assert_eq!(status, 400, "{body}");
}
