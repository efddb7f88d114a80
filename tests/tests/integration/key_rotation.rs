//! Rotating `NUMBER_HASH_KEY` and `NUMBER_ENCRYPTION_KEY` drops no call: with the new key listed
//! before the old, sessions written under the old keys keep connecting, new sessions are keyed
//! and sealed with the new ones, a participant's numbers stay apart across both, and
//! `maskctl keys status`'s counts show when the old keys can be dropped.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Duration;
use maskline::domain::AllocationPolicy;
use maskline::privacy::{seal_key_ids, CallerKeys, KeyId, KeyUsage, NumberVault};
use maskline::services::{Allocator, Route};
use maskline_tests::fixtures::{
    customer_phone, driver_assigned, driver_phone, order_ended, ENCRYPTION_KEY, HASH_KEY,
};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::stale_reads::StaleReads;
use maskline_tests::world::GRACE_SECONDS;
use maskline_tests::World;

use maskline::providers::ProviderKind;
use maskline_tests::webhooks::config;
use serde_json::Value;

use crate::call_log::{log, status};
use crate::support::{
    allocate_ok, allocate_with, callbacks, connects_to, numbers_of, release, route,
};

/// The keys rotated in (test keys, base64 of 32 bytes).
const NEW_HASH_KEY: &str = "bmV3LWhhc2gta2V5LWZvci1yb3RhdGlvbi10ZXN0cyE=";
const NEW_ENCRYPTION_KEY: &str = "bmV3LWVuY3J5cHRpb24ta2V5LWZvci1yb3RhdGlvbiE=";

fn rotating() -> NumberVault {
    NumberVault::from_base64(
        &format!("{NEW_HASH_KEY},{HASH_KEY}"),
        &format!("{NEW_ENCRYPTION_KEY},{ENCRYPTION_KEY}"),
    )
    .unwrap()
}

fn rotated() -> NumberVault {
    NumberVault::from_base64(NEW_HASH_KEY, NEW_ENCRYPTION_KEY).unwrap()
}

fn hash_id(key: &str) -> Option<KeyId> {
    Some(CallerKeys::from_base64(key).unwrap().current_id().clone())
}

fn seal_id(key: &str) -> Option<KeyId> {
    Some(seal_key_ids(key).unwrap().remove(0))
}

/// (live sessions, live bindings) under the old hash key, then under the old encryption key.
fn under_old_keys(usage: &KeyUsage) -> [(u64, u64); 2] {
    let count = |map: &maskline::privacy::CountByKey, id| map.get(&id).copied().unwrap_or(0);
    [
        (
            count(&usage.sessions_by_hash_key, hash_id(HASH_KEY)),
            count(&usage.bindings_by_hash_key, hash_id(HASH_KEY)),
        ),
        (
            count(&usage.sessions_by_seal_key, seal_id(ENCRYPTION_KEY)),
            count(&usage.bindings_by_seal_key, seal_id(ENCRYPTION_KEY)),
        ),
    ]
}

async fn usage(world: &World) -> KeyUsage {
    world
        .store
        .key_usage(maskline::ports::Clock::now(world.clock.as_ref()))
        .await
        .unwrap()
}

/// Both directions of `order`'s session connect the right people with the right caller IDs.
async fn assert_connects(world: &World, order: &str, customer: u32, driver: u32) {
    let (customer_dials, driver_dials) = numbers_of(world, order).await;
    let (customer, driver) = (customer_phone(customer), driver_phone(driver));
    let to_driver = route(world, &customer_dials, &customer).await;
    assert!(
        connects_to(&to_driver, &driver, &driver_dials),
        "{order}: the customer's call: {to_driver:?}"
    );
    let to_customer = route(world, &driver_dials, &driver).await;
    assert!(
        connects_to(&to_customer, &customer, &customer_dials),
        "{order}: the agent's call: {to_customer:?}"
    );
}

#[tokio::test]
async fn rotating_both_keys_mid_session_drops_no_call_and_the_census_says_when_the_old_can_go() {
    let mut world = World::new().await;
    world.add_pool("blr", "airtel", 1, 6).await;
    // Before the rotation: agent 1 on five orders holds five of the six numbers.
    for i in 1..=5 {
        allocate_ok(&world, &[driver_assigned(&format!("ORD-{i}"), "blr", i, 1)]).await;
    }

    world.vault = rotating();
    for i in 1..=5 {
        assert_connects(&world, &format!("ORD-{i}"), i, 1).await;
    }
    // A new session for the same agent: its binding is under the new key, yet must not sit on a
    // number where the agent's old-key bindings are, which leaves exactly one number.
    allocate_ok(&world, &[driver_assigned("ORD-6", "blr", 6, 1)]).await;
    let mut agent_dials = HashSet::new();
    for i in 1..=6 {
        let (_, driver_dials) = numbers_of(&world, &format!("ORD-{i}")).await;
        assert!(
            agent_dials.insert(driver_dials.clone()),
            "ORD-{i}: the agent dials {driver_dials} for two orders"
        );
        assert_connects(&world, &format!("ORD-{i}"), i, 1).await;
    }
    assert_consistent(&world).await;
    assert_eq!(
        under_old_keys(&usage(&world).await),
        [(5, 10), (5, 10)],
        "five sessions (two bindings each) still need the old keys"
    );
    let counts = usage(&world).await;
    assert_eq!(counts.sessions_by_hash_key[&hash_id(NEW_HASH_KEY)], 1);
    assert_eq!(counts.bindings_by_seal_key[&seal_id(NEW_ENCRYPTION_KEY)], 2);

    // The old sessions end; once past grace nothing live needs the old keys.
    for i in 1..=5 {
        assert!(release(
            &world,
            &[order_ended("OrderDelivered", &format!("ORD-{i}"))]
        )
        .await
        .is_empty());
    }
    world.clock.advance(Duration::seconds(GRACE_SECONDS + 1));
    assert_eq!(under_old_keys(&usage(&world).await), [(0, 0), (0, 0)]);

    // Dropped: the current session still connects, with no old key to fall back on.
    world.vault = rotated();
    assert_connects(&world, "ORD-6", 6, 1).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    assert_eq!(
        route(&world, &customer_dials, &customer_phone(1)).await,
        Route::OutOfSession
    );
}

#[tokio::test]
async fn the_write_itself_keeps_a_participant_apart_from_its_old_key_bindings() {
    // With the caller index blind (as just after another write), only the transaction's check of
    // the old-key item can refuse the number the agent already dials for the other order. Each
    // round leaves one right choice out of two; a write that ignored old keys would take the
    // wrong one about half the time.
    for round in 0..6 {
        let mut world = World::new().await;
        world.add_pool("blr", "airtel", 1, 2).await;
        allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
        world.vault = rotating();
        let blind = Allocator {
            store: Arc::new(StaleReads::blind_caller_index(world.store.clone())),
            ..world.allocator(AllocationPolicy::Shared)
        };
        let failed = allocate_with(&blind, &[driver_assigned("ORD-2", "blr", 2, 1)]).await;
        assert!(failed.is_empty(), "round {round}: ORD-2 was not allocated");
        let (_, first) = numbers_of(&world, "ORD-1").await;
        let (_, second) = numbers_of(&world, "ORD-2").await;
        assert_ne!(
            first, second,
            "round {round}: the agent dials one number for two orders"
        );
        assert_connects(&world, "ORD-1", 1, 1).await;
        assert_connects(&world, "ORD-2", 2, 1).await;
    }
}

#[tokio::test]
async fn a_call_report_for_a_session_keyed_before_the_rotation_is_still_logged() {
    // Plivo's reports are attributed by looking the caller up, as a call is routed.
    let mut world = World::new().await;
    world.add_pool("blr", "airtel", 1, 4).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;

    world.vault = rotating();
    let events = callbacks(&world, config());
    let (code, body) = status(
        &events,
        ProviderKind::Plivo,
        "CA-rotated",
        &customer_phone(1),
        &customer_dials,
        &[("CallStatus", "completed"), ("Duration", "7")],
    )
    .await;
    assert_eq!(
        (code, &body["recorded"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
    let (_, log) = log(&events, "ORD-1").await;
    assert_eq!(log["calls"][0]["call_id"], "CA-rotated", "{log}");
}

#[tokio::test]
async fn a_failover_during_the_rotation_never_binds_a_caller_twice_on_a_number() {
    // Issue 20, finding 1. ORD-1 is written before the rotation, so it knows its agent by the old
    // key only; ORD-2 and ORD-3 of the same agent are written after it. The agent then dials each
    // of the three numbers for one order. When ORD-1's number fails, no number is left that the
    // agent does not already dial: the failover must strand ORD-1, not put the agent's old-key
    // binding beside a new-key one (dialling it would then ring another order's customer).
    let mut world = World::new().await;
    world.add_pool("blr", "airtel", 1, 3).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    world.vault = rotating();
    allocate_ok(&world, &[driver_assigned("ORD-2", "blr", 2, 1)]).await;
    allocate_ok(&world, &[driver_assigned("ORD-3", "blr", 3, 1)]).await;

    let (_, failing) = numbers_of(&world, "ORD-1").await;
    let failing = maskline::domain::VirtualNumber::parse(&failing, None).unwrap();
    let report = world
        .failover(false)
        .mark_unhealthy(&failing)
        .await
        .unwrap();
    assert!(
        report.stranded.iter().any(|o| o.as_str() == "ORD-1"),
        "ORD-1 had nowhere to go, yet: {report:?}"
    );
    let mut agent_dials = HashSet::new();
    for i in 1..=3 {
        let order = format!("ORD-{i}");
        let (_, driver_dials) = numbers_of(&world, &order).await;
        assert!(
            agent_dials.insert(driver_dials.clone()),
            "{order}: the agent dials {driver_dials} for two orders"
        );
        assert_connects(&world, &order, i, 1).await;
    }
    assert_consistent(&world).await;
}
