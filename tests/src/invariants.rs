//! Whole-table checks that every test can run after it acts: they prove nothing was half-written.

use std::collections::{HashMap, HashSet};

use maskline::ports::Clock;

use crate::world::{Item, World};

fn s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// Live sessions and live bindings (and exclusive locks) agree exactly:
/// - every live session with numbers has all its bindings (two, or four with backups), owned by
///   it and live as long as it is, each on a different VN;
/// - every live binding and lock belongs to a session that names it (no orphan from a failed
///   claim). Expired items are out of the picture: their numbers are free for others to take.
pub async fn assert_consistent(world: &World) {
    let now = world.clock.now().timestamp_millis();
    let items: Vec<Item> = world
        .all_items()
        .await
        .into_iter()
        .filter(|i| n(i, "live_until").is_some_and(|t| t > now))
        .collect();
    let sessions: Vec<&Item> = items
        .iter()
        .filter(|i| s(i, "sk") == Some("SESSION"))
        .collect();
    let bindings: HashMap<(String, String), &Item> = items
        .iter()
        .filter(|i| s(i, "sk").is_some_and(|sk| sk.starts_with("BIND#")))
        .map(|i| {
            (
                (
                    s(i, "pk").unwrap().to_string(),
                    s(i, "sk").unwrap().to_string(),
                ),
                i,
            )
        })
        .collect();
    let locks: HashMap<String, &Item> = items
        .iter()
        .filter(|i| s(i, "sk") == Some("LOCK"))
        .map(|i| (s(i, "pk").unwrap().to_string(), i))
        .collect();

    let mut expected_bindings = HashSet::new();
    let mut expected_locks = HashSet::new();
    for session in &sessions {
        let order = s(session, "order_id").unwrap();
        let (Some(customer_dials), Some(driver_dials)) =
            (s(session, "customer_dials"), s(session, "driver_dials"))
        else {
            continue; // a tombstone holds nothing
        };
        let (customer_key, driver_key) = (
            s(session, "customer_key").unwrap(),
            s(session, "driver_key").unwrap(),
        );
        let mut held = vec![(customer_dials, customer_key), (driver_dials, driver_key)];
        if let Some(backup) = s(session, "customer_backup") {
            held.push((backup, customer_key));
        }
        if let Some(backup) = s(session, "driver_backup") {
            held.push((backup, driver_key));
        }
        let distinct: HashSet<&str> = held.iter().map(|(vn, _)| *vn).collect();
        assert_eq!(
            distinct.len(),
            held.len(),
            "order {order}: two of its numbers are the same VN"
        );
        for (vn, key) in held {
            let id = (format!("VN#{vn}"), format!("BIND#{key}"));
            let binding = bindings
                .get(&id)
                .unwrap_or_else(|| panic!("order {order}: binding on {vn} missing"));
            assert_eq!(
                s(binding, "order_id"),
                Some(order),
                "binding on {vn} owned by another order"
            );
            assert_eq!(
                n(binding, "live_until"),
                n(session, "live_until"),
                "order {order}: binding on {vn} lives apart from its session"
            );
            expected_bindings.insert(id);
            if s(session, "policy") == Some("exclusive") {
                let lock_id = format!("VN#{vn}");
                let lock = locks
                    .get(&lock_id)
                    .unwrap_or_else(|| panic!("order {order}: exclusive lock on {vn} missing"));
                assert_eq!(s(lock, "order_id"), Some(order));
                expected_locks.insert(lock_id);
            }
        }
    }
    for id in bindings.keys() {
        assert!(
            expected_bindings.contains(id),
            "orphan binding {id:?}: no session names it"
        );
    }
    for id in locks.keys() {
        assert!(expected_locks.contains(id), "orphan lock on {id}");
    }
}

/// No real number appears anywhere in the table: keys are hashes, stored copies are sealed.
pub async fn assert_no_number_stored(world: &World, numbers: &[String]) {
    let dump = format!("{:?}", world.all_items().await);
    for number in numbers {
        let digits = number.trim_start_matches('+');
        assert!(!dump.contains(digits), "a real number is stored in clear");
    }
}
