//! Whole-table checks that every test can run after it acts: they prove nothing was half-written.

use std::collections::{HashMap, HashSet};

use maskline::ports::Clock;

use crate::world::{Item, World};

fn s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// A string set attribute (empty when absent).
fn strings<'a>(item: &'a Item, name: &str) -> Vec<&'a str> {
    item.get(name)
        .and_then(|v| v.as_ss().ok())
        .map(|set| set.iter().map(String::as_str).collect())
        .unwrap_or_default()
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
///   claim), and so does every live slot (`MAX_SESSIONS_PER_NUMBER`), each slot a session lists
///   being there, its own and as live as it. Expired items are out of the picture: their
///   numbers are free for others to take.
pub async fn assert_consistent(world: &World) {
    let violations = consistency_violations(world).await;
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// What [`assert_consistent`] checks, as a list of violations (empty when consistent), for
/// callers that count violations instead of stopping at the first (the model test's soak).
pub async fn consistency_violations(world: &World) -> Vec<String> {
    let now = world.clock.now().timestamp_millis();
    consistency_violations_in(&world.all_items().await, now)
}

/// [`consistency_violations`] over items already read (a whole-table scan), at `now` (epoch ms).
pub fn consistency_violations_in(all_items: &[Item], now: i64) -> Vec<String> {
    let items: Vec<&Item> = all_items
        .iter()
        .filter(|i| n(i, "live_until").is_some_and(|t| t > now))
        .collect();
    let sessions: Vec<&Item> = items
        .iter()
        .copied()
        .filter(|i| s(i, "sk") == Some("SESSION"))
        .collect();
    let bindings: HashMap<(String, String), &Item> = items
        .iter()
        .filter(|i| s(i, "sk").is_some_and(|sk| sk.starts_with("BIND#")))
        .map(|i| {
            (
                (
                    s(i, "pk").unwrap_or_default().to_string(),
                    s(i, "sk").unwrap_or_default().to_string(),
                ),
                *i,
            )
        })
        .collect();
    let locks: HashMap<String, &Item> = items
        .iter()
        .filter(|i| s(i, "sk") == Some("LOCK"))
        .map(|i| (s(i, "pk").unwrap_or_default().to_string(), *i))
        .collect();

    let slots: HashMap<(String, String), &Item> = items
        .iter()
        .filter(|i| s(i, "sk").is_some_and(|sk| sk.starts_with("SLOT#")))
        .map(|i| {
            let id = (
                s(i, "pk").unwrap_or_default().to_string(),
                s(i, "sk").unwrap_or_default().to_string(),
            );
            (id, *i)
        })
        .collect();

    let mut violations = Vec::new();
    let mut expected_slots = HashSet::new();
    let mut expected_bindings = HashSet::new();
    let mut expected_locks = HashSet::new();
    for session in &sessions {
        let order = s(session, "order_id").unwrap_or("?");
        let (Some(customer_dials), Some(driver_dials)) =
            (s(session, "customer_dials"), s(session, "driver_dials"))
        else {
            continue; // a tombstone holds nothing
        };
        let (Some(customer_key), Some(driver_key)) =
            (s(session, "customer_key"), s(session, "driver_key"))
        else {
            violations.push(format!(
                "order {order}: a session with numbers lacks a caller key"
            ));
            continue;
        };
        let mut held = vec![(customer_dials, customer_key), (driver_dials, driver_key)];
        if let Some(backup) = s(session, "customer_backup") {
            held.push((backup, customer_key));
        }
        if let Some(backup) = s(session, "driver_backup") {
            held.push((backup, driver_key));
        }
        // Pair mode: four (or two) distinct numbers. Single-number mode (both sides dial the same
        // primary): the sides share their backup too, and the two callers differ, so every
        // (VN, caller) of the order is still distinct.
        let single = customer_dials == driver_dials;
        let distinct: HashSet<&str> = held.iter().map(|(vn, _)| *vn).collect();
        let distinct_pairs: HashSet<(&str, &str)> = held.iter().copied().collect();
        if single {
            if s(session, "customer_backup") != s(session, "driver_backup") {
                violations.push(format!(
                    "order {order}: one number for both sides but two different backups"
                ));
            }
            if distinct_pairs.len() != held.len() || customer_key == driver_key {
                violations.push(format!("order {order}: one caller on both sides of one VN"));
            }
        } else if distinct.len() != held.len() {
            violations.push(format!("order {order}: two of its numbers are the same VN"));
        }
        // While a hash key is rotated out, each binding has a shadow under every older key the
        // caller is known by (the session lists them), held as firmly as the binding itself.
        let shadows: Vec<(&str, &str)> = held
            .iter()
            .flat_map(|&(vn, key)| {
                let older = if key == customer_key {
                    strings(session, "customer_older_keys")
                } else {
                    strings(session, "driver_older_keys")
                };
                older.into_iter().map(move |k| (vn, k))
            })
            .collect();
        for (vn, key) in held.into_iter().chain(shadows) {
            let id = (format!("VN#{vn}"), format!("BIND#{key}"));
            let Some(binding) = bindings.get(&id) else {
                violations.push(format!("order {order}: binding on {vn} missing"));
                continue;
            };
            if s(binding, "order_id") != Some(order) {
                violations.push(format!(
                    "order {order}: binding on {vn} owned by another order ({:?})",
                    s(binding, "order_id")
                ));
            }
            if n(binding, "live_until") != n(session, "live_until") {
                violations.push(format!(
                    "order {order}: binding on {vn} lives apart from its session"
                ));
            }
            expected_bindings.insert(id);
            if s(session, "policy") == Some("exclusive") {
                let lock_id = format!("VN#{vn}");
                match locks.get(&lock_id) {
                    None => {
                        violations.push(format!("order {order}: exclusive lock on {vn} missing"))
                    }
                    Some(lock) if s(lock, "order_id") != Some(order) => violations.push(format!(
                        "order {order}: exclusive lock on {vn} held by {:?}",
                        s(lock, "order_id")
                    )),
                    Some(_) => {}
                }
                expected_locks.insert(lock_id);
            }
        }
    }
    // MAX_SESSIONS_PER_NUMBER: each slot a session lists is there, its own, and as live as it.
    for session in &sessions {
        let order = s(session, "order_id").unwrap_or("?");
        let listed = session.get("slots").and_then(|v| v.as_m().ok());
        for (vn, slot) in listed.into_iter().flatten() {
            let id = (
                format!("VN#{vn}"),
                format!("SLOT#{}", slot.as_n().map(String::as_str).unwrap_or("?")),
            );
            match slots.get(&id) {
                None => violations.push(format!("order {order}: slot {id:?} missing")),
                Some(item) if s(item, "order_id") != Some(order) => violations.push(format!(
                    "order {order}: slot {id:?} held by {:?}",
                    s(item, "order_id")
                )),
                Some(item) if n(item, "live_until") != n(session, "live_until") => violations.push(
                    format!("order {order}: slot {id:?} lives apart from its session"),
                ),
                Some(_) => {}
            }
            expected_slots.insert(id);
        }
    }
    for id in slots.keys() {
        if !expected_slots.contains(id) {
            violations.push(format!("orphan slot {id:?}: no session names it"));
        }
    }
    for id in bindings.keys() {
        if !expected_bindings.contains(id) {
            violations.push(format!("orphan binding {id:?}: no session names it"));
        }
    }
    for id in locks.keys() {
        if !expected_locks.contains(id) {
            violations.push(format!("orphan lock on {id}"));
        }
    }
    violations.sort();
    violations
}

/// No real number appears anywhere in the table: keys are hashes, stored copies are sealed.
pub async fn assert_no_number_stored(world: &World, numbers: &[String]) {
    let dump = format!("{:?}", world.all_items().await);
    for number in numbers {
        let digits = number.trim_start_matches('+');
        assert!(!dump.contains(digits), "a real number is stored in clear");
    }
}
