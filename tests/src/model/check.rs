//! The checks after every step, each returning the violations it found (never panicking, so a
//! soak counts them all):
//! - each order's session is a state the reference model allows;
//! - the whole table is consistent (`invariants::consistency_violations`);
//! - no number was newly bound while unhealthy, retiring or on standby, and no number given back
//!   is still bound;
//! - every (VN, participant) call resolves through the resolve-call use case exactly as the
//!   model says: live sessions both ways to the right person with the right caller ID, anything
//!   else (an old agent, a session past grace or expiry) out of session;
//! - the last event each order published (highest version) carries its current numbers.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::future::join_all;
use maskline::adapters::http::{webhook_reply, webhook_request};
use maskline::domain::pool::{Health, PoolState};
use maskline::domain::{OrderId, SessionState};
use maskline::ports::{SessionRecord, SessionStore};
use maskline::providers::ProviderKind;

use super::reference::{OrderState, Rank};
use super::schedule::{order_id, ALL_VNS, CUSTOMERS, DRIVERS};
use crate::bus::Received;
use crate::fixtures::{customer_phone, driver_phone, vn};
use crate::invariants::consistency_violations_in;
use crate::webhooks::{config, decode, provider_request, Decoded, PUBLIC_BASE};
use crate::world::{Item, World};

/// What the checker knows of one order.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub customer: u32,
    pub state: OrderState,
    /// The session as last read (its numbers are the product's choice).
    pub record: Option<SessionRecord>,
    /// Highest-version MaskedNumbersAssigned/Changed seen: (version, customer_dials, driver_dials).
    pub announced: Option<(u64, String, String)>,
    /// Highest version of a MaskedNumbersReleased seen.
    pub released_version: Option<u64>,
}

pub type Orders = BTreeMap<u32, Tracked>;

/// The session of an order as the model sees it.
pub fn observed(record: &Option<SessionRecord>) -> Result<OrderState, String> {
    let Some(record) = record else {
        return Ok(OrderState::Unseen);
    };
    let session = &record.session;
    let live_until = session.live_until.timestamp_millis();
    if session.numbers.is_none() {
        return Ok(OrderState::Tombstone { live_until });
    }
    let driver = session
        .driver_id
        .as_ref()
        .and_then(|d| d.as_str().strip_prefix("D-")?.parse().ok())
        .ok_or("a session with numbers names no agent")?;
    let stamp = session
        .assignment
        .ok_or("a session with numbers keeps no assignment")?;
    let rank = Rank {
        sequence: stamp.sequence,
        assigned_at: stamp.assigned_at.map(|t| t.timestamp_millis()),
        time: stamp.event_time.timestamp_millis(),
    };
    Ok(OrderState::Live {
        released: session.state == SessionState::Released,
        driver,
        rank,
        live_until,
    })
}

pub async fn load(world: &World, order: u32) -> Result<Option<SessionRecord>, String> {
    let id = OrderId::parse(&order_id(order)).map_err(|e| format!("{e}"))?;
    world
        .store
        .load_session(&id)
        .await
        .map_err(|e| format!("loading ORD-{order}: {e}"))
}

/// One consistent scan of the table, and what the checks read from it.
pub struct Snapshot {
    pub items: Vec<Item>,
    /// Per VN index: (health, pool state).
    pub pool: HashMap<u32, (Health, PoolState)>,
}

impl Snapshot {
    pub async fn take(world: &World) -> Snapshot {
        let items = world.all_items().await;
        let mut pool = HashMap::new();
        for item in &items {
            if text(item, "sk") != Some("META") {
                continue;
            }
            let (Some(index), Some(health), Some(state)) = (
                vn_index(text(item, "pk")),
                text(item, "health").and_then(Health::parse),
                text(item, "pool_state").and_then(PoolState::parse),
            ) else {
                continue;
            };
            pool.insert(index, (health, state));
        }
        Snapshot { items, pool }
    }

    /// Live bindings at `now` (epoch ms): (VN index, binding sort key) -> order.
    pub fn live_bindings(&self, now: i64) -> HashMap<(u32, String), String> {
        let mut found = HashMap::new();
        for item in &self.items {
            let sk = text(item, "sk").unwrap_or_default();
            let live = item
                .get("live_until")
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|t| t > now);
            if !sk.starts_with("BIND#") || !live {
                continue;
            }
            if let Some(index) = vn_index(text(item, "pk")) {
                found.insert(
                    (index, sk.to_string()),
                    text(item, "order_id").unwrap_or_default().to_string(),
                );
            }
        }
        found
    }

    /// The table as a whole.
    pub fn table(&self, now: i64) -> Vec<String> {
        consistency_violations_in(&self.items, now)
    }
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub fn vn_index(pk: Option<&str>) -> Option<u32> {
    IntoIterator::into_iter(ALL_VNS).find(|i| pk == Some(format!("VN#{}", vn(*i)).as_str()))
}

/// No binding appeared on a VN that could take none for the whole batch (`off`), and no VN given
/// back (standby) or on its way back (retiring, once refill is done) is still bound.
pub fn pool_respected(
    off: &HashSet<u32>,
    before: &HashMap<(u32, String), String>,
    after: &HashMap<(u32, String), String>,
    pool_after: &HashMap<u32, (Health, PoolState)>,
) -> Vec<String> {
    let mut violations = Vec::new();
    for (key, order) in after {
        if off.contains(&key.0) && before.get(key) != Some(order) {
            violations.push(format!(
                "VN {} was newly bound for {order} while it could take no session",
                vn(key.0)
            ));
        }
        if let Some((_, state)) = pool_after.get(&key.0) {
            if *state != PoolState::Active {
                violations.push(format!(
                    "VN {} is {state:?} but still bound for {order}",
                    vn(key.0)
                ));
            }
        }
    }
    violations.sort();
    violations.dedup();
    violations
}

/// `MAX_SESSIONS_PER_NUMBER`: no VN carries live bindings of more than `cap` orders.
pub fn cap_respected(live: &HashMap<(u32, String), String>, cap: u32) -> Vec<String> {
    let mut orders_on: BTreeMap<u32, HashSet<&str>> = BTreeMap::new();
    for ((index, _), order) in live {
        orders_on.entry(*index).or_default().insert(order);
    }
    orders_on
        .into_iter()
        .filter(|(_, orders)| orders.len() > cap as usize)
        .map(|(index, orders)| {
            let mut orders: Vec<_> = orders.into_iter().collect();
            orders.sort_unstable();
            format!(
                "VN {} carries {} live sessions over its cap of {cap}: {orders:?}",
                vn(index),
                orders.len()
            )
        })
        .collect()
}

/// A number marked unhealthy in a batch keeps no binding made in that batch (unless the failover
/// stranded sessions on it): a claim that landed before the mark is found by the failover's
/// re-check and moved, and one after it is refused by the claim's own condition check on the
/// number. (A claim can race the mark only inside one batch; `pool_respected` covers later ones.)
pub fn marked_in_batch(
    marked: &HashSet<u32>,
    before: &HashMap<(u32, String), String>,
    after: &HashMap<(u32, String), String>,
) -> Vec<String> {
    let mut violations: Vec<String> = after
        .iter()
        .filter(|(key, order)| marked.contains(&key.0) && before.get(*key) != Some(*order))
        .map(|(key, order)| {
            format!(
                "VN {} was bound for {order} in the batch that marked it unhealthy, and still is",
                vn(key.0)
            )
        })
        .collect();
    violations.sort();
    violations.dedup();
    violations
}

/// Every (VN, participant) pair through the resolve-call use case, against what the model and
/// the sessions' numbers say.
pub async fn calls(world: &World, orders: &Orders) -> Vec<String> {
    let now = maskline::ports::Clock::now(world.clock.as_ref()).timestamp_millis();
    let mut violations = Vec::new();
    // (vn, caller phone) -> (order, callee phone, caller id shown)
    let mut expected: HashMap<(String, String), (u32, String, String)> = HashMap::new();
    for (order, tracked) in orders {
        if !tracked.state.callable_at(now) {
            continue;
        }
        let (Some(driver), Some(numbers)) = (
            tracked.state.driver(),
            tracked
                .record
                .as_ref()
                .and_then(|r| r.session.numbers.as_ref()),
        ) else {
            violations.push(format!("ORD-{order}: callable but has no numbers"));
            continue;
        };
        let (customer, agent) = (customer_phone(tracked.customer), driver_phone(driver));
        let (cd, dd) = (
            numbers.customer_dials.to_string(),
            numbers.driver_dials.to_string(),
        );
        let mut reachable = vec![
            (
                (cd.clone(), customer.clone()),
                (*order, agent.clone(), dd.clone()),
            ),
            (
                (dd.clone(), agent.clone()),
                (*order, customer.clone(), cd.clone()),
            ),
        ];
        // With backups, each side's backup reaches the other party too, showing the other
        // side's backup (or its main number when it has none).
        let (cb, db) = (
            numbers.customer_backup.as_ref().map(|vn| vn.to_string()),
            numbers.driver_backup.as_ref().map(|vn| vn.to_string()),
        );
        if let Some(cb) = &cb {
            let shown = db.clone().unwrap_or(dd.clone());
            reachable.push((
                (cb.clone(), customer.clone()),
                (*order, agent.clone(), shown),
            ));
        }
        if let Some(db) = &db {
            let shown = cb.clone().unwrap_or(cd.clone());
            reachable.push(((db.clone(), agent), (*order, customer, shown)));
        }
        for (key, value) in reachable {
            if let Some(other) = expected.insert(key.clone(), value) {
                violations.push(format!(
                    "ORD-{order} and ORD-{} both expect caller {} on {}",
                    other.0,
                    crate::model::report::masked(&key.1),
                    key.0
                ));
            }
        }
    }
    let phones: Vec<String> = (1..=CUSTOMERS)
        .map(customer_phone)
        .chain((1..=DRIVERS).map(driver_phone))
        .collect();
    let pairs: Vec<(String, String)> = ALL_VNS
        .flat_map(|i| phones.iter().map(move |p| (vn(i).to_string(), p.clone())))
        .collect();
    let resolver = world.resolver(world.store.clone(), config());
    let answers = join_all(pairs.iter().enumerate().map(|(n, (dialled, caller))| {
        let resolver = &resolver;
        async move {
            let request = provider_request(
                ProviderKind::Twilio,
                "voice",
                &format!("CA-model-{n}"),
                caller,
                dialled,
                &[],
            );
            let request = webhook_request(&request, Some(PUBLIC_BASE)).expect("a voice request");
            let reply = webhook_reply(resolver.answer(ProviderKind::Twilio, &request).await);
            (reply.status, decode(ProviderKind::Twilio, &reply.body))
        }
    }))
    .await;
    for ((dialled, caller), (status, answer)) in pairs.iter().zip(answers) {
        let who = crate::model::report::masked(caller);
        let want = expected.get(&(dialled.clone(), caller.clone()));
        match (want, &answer) {
            _ if status != 200 => violations.push(format!(
                "resolve-call answered {status} for {who} dialling {dialled}"
            )),
            (None, Decoded::OutOfSession) => {}
            (
                Some((_, callee, id)),
                Decoded::Connect {
                    callee: c,
                    caller_id,
                },
            ) if c == callee && caller_id == id => {}
            (None, Decoded::Connect { callee, .. }) => violations.push(format!(
                "{who} dialling {dialled} reaches {} but no live session of the model says so",
                crate::model::report::masked(callee)
            )),
            (Some((order, callee, id)), got) => violations.push(format!(
                "ORD-{order}: {who} dialling {dialled} should reach {} showing {id}, got {}",
                crate::model::report::masked(callee),
                match got {
                    Decoded::OutOfSession => "out of session".to_string(),
                    Decoded::Connect { callee, caller_id } => format!(
                        "{} showing {caller_id}",
                        crate::model::report::masked(callee)
                    ),
                }
            )),
        }
    }
    violations
}

/// Folds newly read events into the orders, then checks that the last numbers each order
/// announced are its current ones, and that an ended order announced its end after them.
pub fn events(received: &[Received], orders: &mut Orders) -> Vec<String> {
    let mut violations = Vec::new();
    for event in received {
        let Some(order) = event.detail["order_id"]
            .as_str()
            .and_then(|o| o.strip_prefix("ORD-"))
            .and_then(|o| o.parse::<u32>().ok())
        else {
            continue;
        };
        let Some(tracked) = orders.get_mut(&order) else {
            violations.push(format!("an event for ORD-{order}, which nothing assigned"));
            continue;
        };
        let version = event.detail["version"].as_u64().unwrap_or(0);
        match event.detail_type.as_str() {
            "MaskedNumbersAssigned" | "MaskedNumbersChanged"
                if tracked.announced.as_ref().is_none_or(|a| a.0 <= version) =>
            {
                tracked.announced = Some((
                    version,
                    event.detail["customer_dials"].as_str().unwrap_or("").into(),
                    event.detail["driver_dials"].as_str().unwrap_or("").into(),
                ));
            }
            "MaskedNumbersReleased" => {
                tracked.released_version = tracked.released_version.max(Some(version));
            }
            _ => {}
        }
    }
    for (order, tracked) in orders.iter() {
        let Some(record) = &tracked.record else {
            continue;
        };
        if let Some(numbers) = &record.session.numbers {
            let current = (
                numbers.customer_dials.to_string(),
                numbers.driver_dials.to_string(),
            );
            match &tracked.announced {
                None => violations.push(format!(
                    "ORD-{order} holds {current:?} but never announced numbers"
                )),
                Some((version, cd, dd)) if (cd, dd) != (&current.0, &current.1) => {
                    violations.push(format!(
                        "ORD-{order}: its last announcement (version {version}) says ({cd}, {dd}), \
                         it holds {current:?} (version {})",
                        record.version
                    ))
                }
                Some(_) => {}
            }
        }
        // A failover may move a released session within its grace window: its
        // MaskedNumbersChanged then comes after the release, so only "a release was announced"
        // is required, not that it is the last event.
        if record.session.state == SessionState::Released && tracked.released_version.is_none() {
            violations.push(format!("ORD-{order} ended but never announced its release"));
        }
    }
    violations
}
