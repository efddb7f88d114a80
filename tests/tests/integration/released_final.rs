//! "Released" is final in the event stream: an app that keeps, per order, the event with the
//! highest version never shows a delivered order's numbers as live again, and two events of one
//! version always describe the same session.

use maskline::domain::VirtualNumber;
use maskline_tests::fixtures::order_ended;
use serde_json::Value;

use crate::support::{release, world_with_order};

/// What an app keeps: the detail of the highest version seen for the order.
fn latest(events: &[&Value]) -> Value {
    events
        .iter()
        .max_by_key(|d| d["version"].as_u64().unwrap())
        .map(|d| (*d).clone())
        .unwrap()
}

#[tokio::test]
async fn a_move_in_the_grace_window_says_the_order_is_released() {
    let (world, customer_dials, _) = world_with_order().await;
    world.add_pool("blr", "airtel", 10, 4).await;
    assert!(release(&world, &[order_ended("OrderDelivered", "ORD-1")])
        .await
        .is_empty());
    // Still in grace, the customer's number turns unhealthy: the session moves, and says so.
    let sick = VirtualNumber::parse(&customer_dials, None).unwrap();
    let report = world.failover(false).mark_unhealthy(&sick).await.unwrap();
    assert_eq!(report.moved.len(), 1);

    let received = world.events.read(3).await;
    let numbers_events: Vec<&Value> = received
        .iter()
        .filter(|e| e.detail_type.starts_with("MaskedNumbers"))
        .map(|e| &e.detail)
        .collect();
    let released = received
        .iter()
        .find(|e| e.detail_type == "MaskedNumbersReleased")
        .expect("released");
    assert_eq!(released.detail["state"], "released");
    let kept = latest(&numbers_events);
    assert!(kept["version"].as_u64() > released.detail["version"].as_u64());
    assert_eq!(
        kept["state"], "released",
        "the newest event of a delivered order says it is live again: {kept}"
    );
    // Every event of one version describes the same state and numbers.
    for a in &numbers_events {
        for b in &numbers_events {
            if a["version"] == b["version"] {
                for field in ["state", "customer_dials", "driver_dials"] {
                    assert_eq!(a[field], b[field], "{field} differs at one version");
                }
            }
        }
    }
}
