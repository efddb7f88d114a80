//! Refill brings each targeted (region, operator) to its wanted count — from imported standby
//! numbers or by buying from Twilio — gives back idle surplus after the cool-off, and never buys
//! twice for one shortfall.

use maskline::adapters::sqs_batch::Redelivery;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use maskline::adapters::provider_api::TwilioNumbers;
use maskline::domain::pool::{PoolNumber, PoolState, PoolTarget};
use maskline::domain::refill_plan::RefillRules;
use maskline::domain::{AllocationPolicy, Region};
use maskline::ports::{NumberProvider, PoolStore};
use maskline_tests::fake_twilio::FakeTwilio;
use maskline_tests::fixtures::{driver_assigned, pool_target, sqs_event, vn};
use maskline_tests::invariants::assert_consistent;
use maskline_tests::World;
use serde_json::Value;

use crate::support::{allocate, allocate_ok};

pub fn rules() -> RefillRules {
    RefillRules {
        policy: AllocationPolicy::Shared,
        backups: false,
        headroom: 0,
        cool_off: Duration::hours(1),
    }
}

fn target(operator: &str, provider: &str, min: u32) -> PoolTarget {
    pool_target("blr", operator, provider, min)
}

async fn numbers(world: &World) -> Vec<PoolNumber> {
    world
        .store
        .pool_of_region(&Region::parse("blr").unwrap())
        .await
        .unwrap()
}

/// Healthy active numbers per operator.
async fn active_by_operator(world: &World) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for n in numbers(world).await {
        if n.allocatable() {
            *counts.entry(n.operator.to_string()).or_default() += 1;
        }
    }
    counts
}

fn twilio(fake: &FakeTwilio) -> Arc<dyn NumberProvider> {
    Arc::new(TwilioNumbers::new(
        fake.api(),
        "IN",
        "https://calls.example.com",
    ))
}

fn offer(fake: &FakeTwilio, first: u32, count: u32) {
    let offered: Vec<String> = (first..first + count).map(|i| vn(i).to_string()).collect();
    fake.offer(&offered.iter().map(String::as_str).collect::<Vec<_>>());
}

#[tokio::test]
async fn static_refill_activates_standby_numbers_up_to_each_target() {
    let world = World::new().await;
    world
        .add_numbers("blr", "airtel", 1, 10, PoolState::Standby)
        .await;
    world
        .add_numbers("blr", "jio", 101, 10, PoolState::Standby)
        .await;
    world
        .store
        .set_target(&target("airtel", "static", 4))
        .await
        .unwrap();
    world
        .store
        .set_target(&target("jio", "static", 3))
        .await
        .unwrap();
    let refill = world.refill(rules(), vec![]);

    let done = refill
        .run_region(&Region::parse("blr").unwrap())
        .await
        .unwrap();
    let acquired: Vec<u32> = done.operators.iter().map(|o| o.acquired).collect();
    assert_eq!(acquired, vec![4, 3]);
    let active = active_by_operator(&world).await;
    assert_eq!((active["airtel"], active["jio"]), (4, 3));

    // At target, a second run changes nothing.
    world.clock.advance(Duration::seconds(10));
    let again = refill.run_all().await.unwrap();
    assert!(again[0]
        .operators
        .iter()
        .all(|o| o.acquired == 0 && o.given_back == 0));
    assert_eq!(active_by_operator(&world).await, active);
}

#[tokio::test]
async fn twilio_refill_buys_up_to_target_and_gives_back_surplus() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    offer(&fake, 1, 6);
    let mut wanted = target("airtel", "twilio", 3);
    wanted.search = Some("AreaCode=80".into());
    world.store.set_target(&wanted).await.unwrap();
    let refill = world.refill(rules(), vec![twilio(&fake)]);

    let done = refill.run_all().await.unwrap();
    assert_eq!(done[0].operators[0].acquired, 3);
    let bought = fake.bought();
    assert_eq!(bought.len(), 3);
    let pool = numbers(&world).await;
    assert_eq!(pool.len(), 3);
    for number in &pool {
        assert_eq!(number.provider.as_str(), "twilio");
        assert!(number.allocatable());
        let sid = number.provider_ref.as_deref().expect("the PN sid is kept");
        assert!(bought.iter().any(|b| b.sid == sid));
    }
    assert!(fake
        .requests()
        .iter()
        .any(|r| r.path.contains("AvailablePhoneNumbers/IN/Local.json")
            && r.query.get("AreaCode").map(String::as_str) == Some("80")));

    // Numbers bought are allocatable at once.
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;

    // Lower the target: one number is surplus, but only once it has idled past the cool-off.
    world
        .store
        .set_target(&target("airtel", "twilio", 1))
        .await
        .unwrap();
    let early = refill.run_all().await.unwrap();
    assert_eq!(early[0].operators[0].given_back, 0);
    assert!(fake.released().is_empty());

    world.clock.advance(Duration::minutes(90));
    let late = refill.run_all().await.unwrap();
    // Wanted stays 2 (a session needs two distinct numbers); the idle third goes back.
    assert_eq!(
        (late[0].operators[0].wanted, late[0].operators[0].given_back),
        (2, 1)
    );
    assert_eq!(fake.released().len(), 1);
    let left = numbers(&world).await;
    assert_eq!(left.len(), 2);
    assert!(!left
        .iter()
        .any(|n| n.provider_ref.as_deref() == Some(fake.released()[0].as_str())));
}

#[tokio::test]
async fn busy_numbers_are_never_given_back() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 6).await;
    world
        .store
        .set_target(&target("airtel", "static", 2))
        .await
        .unwrap();
    // Three agents' orders keep six numbers busy... or at least some of them.
    for i in 1..=3 {
        allocate_ok(&world, &[driver_assigned(&format!("ORD-{i}"), "blr", i, 1)]).await;
    }
    world.clock.advance(Duration::hours(2));
    let refill = world.refill(rules(), vec![]);
    refill.run_all().await.unwrap();
    // Every number still bound to a live session is active; only idle ones went to standby.
    let bound: Vec<String> = world
        .items_with_sk("BIND#")
        .await
        .iter()
        .map(|b| {
            b["pk"]
                .as_s()
                .unwrap()
                .trim_start_matches("VN#")
                .to_string()
        })
        .collect();
    for number in numbers(&world).await {
        if bound.contains(&number.vn.to_string()) {
            assert_eq!(number.state, PoolState::Active, "{} was busy", number.vn);
        }
    }
    let active = active_by_operator(&world).await["airtel"];
    assert!(
        active >= 4,
        "the agent's three orders plus room for a fourth"
    );
    assert_consistent(&world).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_refills_at_once_do_not_double_buy() {
    let world = World::new().await;
    let fake = FakeTwilio::start();
    offer(&fake, 1, 20);
    world
        .store
        .set_target(&target("airtel", "twilio", 5))
        .await
        .unwrap();
    let first = world.refill(rules(), vec![twilio(&fake)]);
    let second = world.refill(rules(), vec![twilio(&fake)]);
    let blr = Region::parse("blr").unwrap();

    let (a, b) = tokio::join!(first.run_region(&blr), second.run_region(&blr));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(fake.bought().len(), 5, "exactly the shortfall was bought");
    assert_eq!(a.operators[0].acquired + b.operators[0].acquired, 5);
    assert_eq!(active_by_operator(&world).await["airtel"], 5);

    // After the lease, another run sees the target met and buys nothing.
    world.clock.advance(Duration::seconds(10));
    first.run_region(&blr).await.unwrap();
    assert_eq!(fake.bought().len(), 5);
}

#[tokio::test]
async fn exhaustion_signals_refill_and_the_retried_allocation_succeeds() {
    let world = World::new().await;
    // Two active numbers, four on standby, and a target that the demand will outgrow.
    world.add_pool("blr", "airtel", 1, 2).await;
    world
        .add_numbers("blr", "airtel", 3, 4, PoolState::Standby)
        .await;
    world
        .store
        .set_target(&target("airtel", "static", 2))
        .await
        .unwrap();

    // Two VNs carry two orders of one agent; the agent's third order needs a third: exhausted.
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    allocate_ok(&world, &[driver_assigned("ORD-2", "blr", 2, 1)]).await;
    let order_three = driver_assigned("ORD-3", "blr", 3, 1);
    let failed = allocate(
        &world,
        AllocationPolicy::Shared,
        std::slice::from_ref(&order_three),
    )
    .await;
    assert_eq!(failed.len(), 1, "the message goes back to the queue");

    // The PoolExhausted event, as the refill queue delivers it, triggers a refill.
    let signal = world.events.read_of_type("PoolExhausted", 1).await;
    assert_eq!(signal.len(), 1);
    let refill = world.refill(rules(), vec![]);
    let response = refill_pool::handler::handle(
        &refill,
        &world.failover(false),
        &Redelivery::default(),
        serde_json::to_value(sqs_event(&[signal[0].raw.clone()])).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response["batchItemFailures"], Value::Array(vec![]));
    assert!(active_by_operator(&world).await["airtel"] >= 3);

    // SQS redelivers the DriverAssigned: now it fits.
    assert!(allocate(&world, AllocationPolicy::Shared, &[order_three])
        .await
        .is_empty());
    assert_consistent(&world).await;
}

#[tokio::test]
async fn refill_triggers_that_name_no_region_fail_alone() {
    let world = World::new().await;
    let refill = world.refill(rules(), vec![]);
    let good = serde_json::json!({"detail-type": "OrderPlaced", "source": "orders",
                                  "detail": {"order_id": "ORD-9", "region": "blr"}})
    .to_string();
    let event = sqs_event(&["not json".to_string(), good]);
    let response = refill_pool::handler::handle(
        &refill,
        &world.failover(false),
        &Redelivery::default(),
        serde_json::to_value(event).unwrap(),
    )
    .await
    .unwrap();
    let failures = response["batchItemFailures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);

    let scheduled = serde_json::json!({"detail-type": "Scheduled Event", "source": "aws.events",
                                       "detail": {}});
    let response = refill_pool::handler::handle(
        &refill,
        &world.failover(false),
        &Redelivery::default(),
        scheduled,
    )
    .await
    .unwrap();
    assert!(response["regions"].is_array());
    assert!(refill_pool::handler::handle(
        &refill,
        &world.failover(false),
        &Redelivery::default(),
        serde_json::json!({"x": 1})
    )
    .await
    .is_err());
}

#[tokio::test]
async fn an_unhealthy_standby_number_is_never_activated() {
    let world = World::new().await;
    world
        .add_numbers("blr", "airtel", 1, 4, PoolState::Standby)
        .await;
    world
        .store
        .set_health(&vn(1), maskline::domain::pool::Health::Unhealthy)
        .await
        .unwrap();
    world
        .store
        .set_target(&target("airtel", "static", 4))
        .await
        .unwrap();
    let done = world.refill(rules(), vec![]).run_all().await.unwrap();
    assert_eq!(done[0].operators[0].acquired, 3);
    let sick = world.store.pool_number(&vn(1)).await.unwrap().unwrap();
    assert_eq!(
        (sick.state, sick.health),
        (
            PoolState::Standby,
            maskline::domain::pool::Health::Unhealthy
        )
    );
    // The run's figures are returned for the function to emit as metrics.
    let lines = done[0].metric_lines();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains("\"HealthyNumbers\":3"), "{}", lines[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_refills_at_once_never_give_back_below_target() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 10).await;
    world
        .store
        .set_target(&target("airtel", "static", 3))
        .await
        .unwrap();
    world.clock.advance(Duration::hours(2));
    let first = world.refill(rules(), vec![]);
    let second = world.refill(rules(), vec![]);
    let blr = Region::parse("blr").unwrap();
    let (a, b) = tokio::join!(first.run_region(&blr), second.run_region(&blr));
    let given_back = a.unwrap().operators[0].given_back + b.unwrap().operators[0].given_back;
    assert_eq!(given_back, 7);
    assert_eq!(active_by_operator(&world).await["airtel"], 3);
    let standby = numbers(&world)
        .await
        .iter()
        .filter(|n| n.state == PoolState::Standby)
        .count();
    assert_eq!(standby, 7, "static numbers go back to standby, not away");
}
