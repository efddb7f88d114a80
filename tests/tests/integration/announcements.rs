//! Announcements leave from the table's stream (a transactional outbox): one event per session
//! change, in version order per order, none lost when the consumer fails mid-batch or the writer
//! never publishes after its commit, and a poisoned record set aside without blocking the records
//! after it; many orders' events share a `PutEvents`, never two of one order. Also: an SDK retry
//! of a committed write still counts as that write.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use maskline::domain::{AllocationPolicy, OrderId, VirtualNumber};
use maskline::ports::{Clock, SessionStore, SessionWrite, WriteError, WriteRejected};
use maskline::services::{Allocator, Announcer, Failover};
use maskline_tests::bus::Received;
use maskline_tests::fixtures::{driver_assigned, order_ended};
use maskline_tests::flaky_bus::FlakyPublisher;
use maskline_tests::put_events::PutEventsCalls;
use maskline_tests::World;

use crate::support::{allocate_ok, allocate_with, numbers_of, release};

async fn order_on_a_number() -> (World, VirtualNumber) {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 8).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    let (customer_dials, _) = numbers_of(&world, "ORD-1").await;
    (world, VirtualNumber::parse(&customer_dials, None).unwrap())
}

/// The session events received, per order: (type, version, state), in arrival order.
fn by_order(events: &[Received]) -> BTreeMap<String, Vec<(String, u64, String)>> {
    let mut orders: BTreeMap<String, Vec<(String, u64, String)>> = BTreeMap::new();
    for event in events
        .iter()
        .filter(|e| e.detail_type.starts_with("MaskedNumbers"))
    {
        orders
            .entry(event.detail["order_id"].as_str().unwrap().to_string())
            .or_default()
            .push((
                event.detail_type.clone(),
                event.detail["version"].as_u64().expect("a version"),
                event.detail["state"].as_str().expect("a state").to_string(),
            ));
    }
    orders
}

fn announcer_on(publisher: FlakyPublisher) -> Announcer {
    Announcer {
        publisher: Arc::new(publisher),
    }
}

/// Assign, move to another agent, fail over, release: four changes of ORD-1; a redelivery in
/// between changes nothing and announces nothing.
async fn four_changes_of_one_order(world: &World) {
    let first = driver_assigned("ORD-1", "blr", 1, 1);
    allocate_ok(world, std::slice::from_ref(&first)).await;
    allocate_ok(world, &[first]).await; // the same message redelivered
    let later = maskline_tests::fixtures::driver_assigned_at(
        "ORD-1",
        "blr",
        1,
        2,
        chrono::Utc::now() + Duration::seconds(5),
    );
    allocate_ok(world, &[later]).await;
    let (customer_dials, _) = numbers_of(world, "ORD-1").await;
    let sick = VirtualNumber::parse(&customer_dials, None).unwrap();
    let report = world.failover(false).mark_unhealthy(&sick).await.unwrap();
    assert_eq!(report.moved.len(), 1);
    assert!(release(world, &[order_ended("OrderDelivered", "ORD-1")])
        .await
        .is_empty());
}

#[tokio::test]
async fn every_session_change_is_announced_once_in_version_order() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 8).await;
    four_changes_of_one_order(&world).await;
    // Released before it was ever assigned: a tombstone, announced as a release with no numbers.
    release(&world, &[order_ended("OrderCancelled", "ORD-2")]).await;

    let events = world.events.read(5).await;
    let orders = by_order(&events);
    let kinds = |order: &str| -> Vec<(&str, u64, &str)> {
        orders[order]
            .iter()
            .map(|(t, v, s)| (t.as_str(), *v, s.as_str()))
            .collect()
    };
    assert_eq!(
        kinds("ORD-1"),
        vec![
            ("MaskedNumbersAssigned", 1, "active"),
            ("MaskedNumbersAssigned", 2, "active"),
            ("MaskedNumbersChanged", 3, "active"),
            ("MaskedNumbersReleased", 4, "released"),
        ],
        "{events:?}"
    );
    assert_eq!(
        kinds("ORD-2"),
        vec![("MaskedNumbersReleased", 1, "released")]
    );
    let changed = events
        .iter()
        .find(|e| e.detail_type == "MaskedNumbersChanged")
        .unwrap();
    let (customer_now, _) = numbers_of(&world, "ORD-1").await;
    assert_eq!(changed.detail["customer_dials"], customer_now.as_str());
    assert_ne!(changed.detail["replaced"], customer_now.as_str());
    // Read again: everything was announced once.
    assert!(world.events.read(0).await.is_empty());
}

#[tokio::test]
async fn a_consumer_failing_mid_batch_resumes_at_the_failed_record_and_loses_nothing() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 12).await;
    for order in ["ORD-1", "ORD-2", "ORD-3"] {
        allocate_ok(&world, &[driver_assigned(order, "blr", 1, 1)]).await;
    }
    for order in ["ORD-1", "ORD-2", "ORD-3"] {
        release(&world, &[order_ended("OrderDelivered", order)]).await;
    }
    // The bus drops the fourth publish: the batch stops there and reports that record.
    let flaky = announcer_on(FlakyPublisher::failing_calls(
        Arc::new(world.publisher()),
        &[4],
    ));
    let stream = world.events.stream();
    let first = stream.deliver(&flaky).await;
    let failed_at = first.failed_at.expect("the failed record is reported");
    // Lambda retries from the reported record: the rest goes out, in order, once.
    let second = stream.deliver(&world.announcer()).await;
    assert_eq!(second.failed_at, None);
    assert!(second.acknowledged > 0, "the retry starts at {failed_at}");

    let events = world.events.read(6).await;
    let orders = by_order(&events);
    for order in ["ORD-1", "ORD-2", "ORD-3"] {
        let kinds: Vec<(&str, u64)> = orders[order]
            .iter()
            .map(|(t, v, _)| (t.as_str(), *v))
            .collect();
        assert_eq!(
            kinds,
            vec![("MaskedNumbersAssigned", 1), ("MaskedNumbersReleased", 2)],
            "{order}: {events:?}"
        );
    }
}

#[tokio::test]
async fn a_poisoned_record_is_set_aside_without_blocking_the_records_after_it() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 8).await;
    allocate_ok(&world, &[driver_assigned("ORD-1", "blr", 1, 1)]).await;
    // A session item no code of ours could read back (a state nobody writes).
    let mut poison = maskline::adapters::dynamodb::items::key("ORDER#ORD-2".into(), "SESSION");
    poison.insert(
        "state".into(),
        aws_sdk_dynamodb::types::AttributeValue::S("sideways".into()),
    );
    world
        .store
        .client()
        .put_item()
        .table_name(&world.table)
        .set_item(Some(poison))
        .send()
        .await
        .unwrap();
    allocate_ok(&world, &[driver_assigned("ORD-3", "blr", 2, 2)]).await;

    let stream = world.events.stream();
    let first = stream.deliver(&world.announcer()).await;
    let poisoned = first
        .failed_at
        .clone()
        .expect("the poisoned record is reported");
    // Retried, then passed over (in AWS: bisected, retried, sent to the on-failure destination).
    let passed_over = world.events.announce_pending().await;
    assert_eq!(passed_over, vec![poisoned]);

    let orders = by_order(&world.events.read(2).await);
    assert_eq!(orders.keys().collect::<Vec<_>>(), ["ORD-1", "ORD-3"]);
    assert_eq!(orders["ORD-3"][0].0, "MaskedNumbersAssigned");
}

#[tokio::test]
async fn a_writer_that_never_publishes_after_its_commit_loses_nothing() {
    let (world, sick) = order_on_a_number().await;
    // The writers' bus is down (or they crash right after the commit): they publish nothing.
    let down = || Arc::new(FlakyPublisher::down(Arc::new(world.publisher())));
    let allocator = Allocator {
        publisher: down(),
        ..world.allocator(AllocationPolicy::Shared)
    };
    let failed = allocate_with(&allocator, &[driver_assigned("ORD-2", "blr", 2, 2)]).await;
    assert!(failed.is_empty(), "the write needs no publish: {failed:?}");
    let failover = Failover {
        publisher: down(),
        ..world.failover(false)
    };
    let report = failover.mark_unhealthy(&sick).await.unwrap();
    assert!(report.moved.iter().any(|o| o.as_str() == "ORD-1"));

    // Every committed change is in the stream, so every one is announced.
    let orders = by_order(&world.events.read(3).await);
    let ord1: Vec<&str> = orders["ORD-1"].iter().map(|e| e.0.as_str()).collect();
    assert_eq!(ord1, ["MaskedNumbersAssigned", "MaskedNumbersChanged"]);
    assert_eq!(orders["ORD-2"][0].0, "MaskedNumbersAssigned");
}

#[tokio::test]
async fn the_same_write_sent_again_succeeds_without_writing_twice() {
    let (world, _) = order_on_a_number().await;
    let order = OrderId::parse("ORD-1").unwrap();
    let record = world.store.load_session(&order).await.unwrap().unwrap();
    let mut refreshed = record.clone();
    refreshed.version += 1;
    refreshed.session.live_until += Duration::minutes(5);
    let write = SessionWrite {
        record: refreshed,
        expected_version: Some(record.version),
        put_bindings: Vec::new(),
        delete_bindings: Vec::new(),
        put_locks: Vec::new(),
        delete_locks: Vec::new(),
        put_slots: Vec::new(),
        delete_slots: Vec::new(),
        newly_claimed: Vec::new(),
    };
    let now = world.clock.now();
    world.store.write_session(&write, now).await.unwrap();
    // The SDK sends the very request again (the reply to the first was lost on the way back):
    // the first did commit, so this is that write, not a conflicting one.
    world
        .store
        .write_session(&write, now)
        .await
        .expect("a repeat of a committed write is that write");
    let stored = world.store.load_session(&order).await.unwrap().unwrap();
    assert_eq!(stored.version, record.version + 1, "written once");
    // A new attempt planned from the same stale read is still refused.
    let replanned = world
        .store
        .write_session(&write, now + Duration::milliseconds(1))
        .await;
    assert!(matches!(
        replanned,
        Err(WriteError::Rejected(WriteRejected::SessionChanged))
    ));
}

#[tokio::test]
async fn many_orders_share_a_put_events_but_an_order_never_appears_twice_in_one() {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 30).await;
    let assignments: Vec<String> = (1..=12)
        .map(|i| driver_assigned(&format!("ORD-{i}"), "blr", i, 100 + i))
        .collect();
    for assignment in &assignments {
        allocate_ok(&world, std::slice::from_ref(assignment)).await;
    }
    assert!(release(&world, &[order_ended("OrderDelivered", "ORD-1")])
        .await
        .is_empty());

    let calls = PutEventsCalls::default();
    let announcer = Announcer {
        publisher: Arc::new(maskline::adapters::eventbridge::EventBridgePublisher::new(
            calls.client(&world.aws),
            &world.events.bus_name,
        )),
    };
    assert!(world.events.stream().drain(&announcer, 0).await.is_empty());

    let calls = calls.calls();
    let sent: usize = calls.iter().map(Vec::len).sum();
    assert_eq!(sent, 13, "twelve assignments and one release: {calls:?}");
    // Twelve different orders then ORD-1 again: ten, two, and the release in a call of its own.
    assert_eq!(calls.len(), 3, "{calls:?}");
    for call in &calls {
        assert!(call.len() <= 10, "PutEvents takes ten entries: {call:?}");
        let mut orders = call.clone();
        orders.sort();
        orders.dedup();
        assert_eq!(
            orders.len(),
            call.len(),
            "an order twice in one call: {call:?}"
        );
    }
    assert_eq!(calls[2], vec!["ORD-1".to_string()]);
    let orders = by_order(&world.events.read(13).await);
    assert_eq!(orders.len(), 12);
    assert_eq!(
        orders["ORD-1"]
            .iter()
            .map(|(kind, _, _)| kind.as_str())
            .collect::<Vec<_>>(),
        ["MaskedNumbersAssigned", "MaskedNumbersReleased"]
    );
}
