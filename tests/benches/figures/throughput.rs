//! Allocation throughput against the raw transaction it is built on: the same seven-item
//! TransactWriteItems an allocation sends (session put, two conditional binding puts, two
//! allocatable checks, two lock checks), 64 in flight; then the allocate use case, 64 orders in
//! flight. And a hot agent: 20 orders of one agent at once.

use std::sync::Arc;
use std::time::Instant;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use futures::stream::{self, StreamExt};
use maskline::domain::events::{DriverAssigned, OrderEvent};
use maskline::domain::AllocationPolicy;
use maskline::services::Allocator;
use maskline_tests::counting_store::CountingStore;
use maskline_tests::fixtures::{driver_assigned, vn};
use maskline_tests::World;
use rand::seq::SliceRandom;
use serde_json::{json, Value};

const ORDERS: u32 = 1_000;
const IN_FLIGHT: usize = 64;
const POOL: u32 = 1_000;

fn assigned(order: &str, region: &str, customer: u32, driver: u32) -> DriverAssigned {
    match OrderEvent::parse(
        &driver_assigned(order, region, customer, driver),
        Some("IN".parse().unwrap()),
    )
    .unwrap()
    {
        OrderEvent::DriverAssigned(e) => e,
        _ => unreachable!(),
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The transaction an allocation of `order` onto VNs `a` (customer) and `b` (agent) sends, with
/// items of the same size (a sealed number is ~90 characters).
fn allocation_shape(
    table: &str,
    order: u32,
    a: &str,
    b: &str,
    now_ms: i64,
) -> Vec<TransactWriteItem> {
    let sealed = "v2.".to_string() + &"x".repeat(88);
    let live_until = now_ms + 86_400_000;
    let claim = |vn: &str, caller: String, side: &str, caller_id: &str| {
        let item = [
            ("pk", s(format!("VN#{vn}"))),
            ("sk", s(format!("BIND#{caller}"))),
            ("gsi2pk", s(format!("CALLER#{caller}"))),
            ("gsi2sk", s(vn)),
            ("order_id", s(format!("RAW-{order}"))),
            ("caller_side", s(side)),
            ("callee", s(sealed.clone())),
            ("caller_id", s(caller_id)),
            ("provider", s("static")),
            ("live_until", n(live_until)),
            ("ttl", n(live_until / 1000 + 86_400)),
        ];
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(
                        item.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                    ))
                    .condition_expression(
                        "attribute_not_exists(pk) OR live_until <= :now OR order_id = :order",
                    )
                    .expression_attribute_values(":now", n(now_ms))
                    .expression_attribute_values(":order", s(format!("RAW-{order}")))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let check = |vn: &str, sk: &str| {
        let builder = ConditionCheck::builder()
            .table_name(table)
            .key("pk", s(format!("VN#{vn}")))
            .key("sk", s(sk));
        let builder = if sk == "META" {
            builder
                .condition_expression("#health = :healthy AND #state = :active")
                .expression_attribute_names("#health", "health")
                .expression_attribute_names("#state", "pool_state")
                .expression_attribute_values(":healthy", s("healthy"))
                .expression_attribute_values(":active", s("active"))
        } else {
            builder
                .condition_expression(
                    "attribute_not_exists(pk) OR live_until <= :now OR order_id = :order",
                )
                .expression_attribute_values(":now", n(now_ms))
                .expression_attribute_values(":order", s(format!("RAW-{order}")))
        };
        TransactWriteItem::builder()
            .condition_check(builder.build().unwrap())
            .build()
    };
    let session = [
        ("pk", s(format!("ORDER#RAW-{order}"))),
        ("sk", s("SESSION")),
        ("order_id", s(format!("RAW-{order}"))),
        ("state", s("active")),
        ("policy", s("shared")),
        ("version", n(1)),
        ("live_until", n(live_until)),
        ("ttl", n(live_until / 1000 + 21 * 86_400)),
        ("region", s("raw")),
        ("customer_id", s(format!("C-{order}"))),
        ("customer_key", s(format!("ck{order:062}"))),
        ("customer_sealed", s(sealed.clone())),
        ("driver_id", s(format!("D-{order}"))),
        ("driver_key", s(format!("dk{order:062}"))),
        ("driver_sealed", s(sealed.clone())),
        ("customer_dials", s(a)),
        ("driver_dials", s(b)),
        ("assigned_at", s("2026-11-27T10:00:00+00:00")),
    ];
    vec![
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(
                        session
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect(),
                    ))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .unwrap(),
            )
            .build(),
        claim(a, format!("ck{order:062}"), "customer", b),
        claim(b, format!("dk{order:062}"), "driver", a),
        check(a, "META"),
        check(b, "META"),
        check(a, "LOCK"),
        check(b, "LOCK"),
    ]
}

pub async fn measure() -> Value {
    let world = World::new().await;
    world.add_large_pool("raw", 1, POOL).await;
    world.add_large_pool("alloc", 100_001, POOL).await;
    let vns: Vec<String> = (1..=POOL).map(|i| vn(i).to_string()).collect();

    // Raw: the transaction alone. A TransactionConflict (two transactions on one VN at once) is
    // retried, as the allocator retries it.
    let client = world.store.client().clone();
    let table = world.table.clone();
    let conflicts = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let start = Instant::now();
    stream::iter(0..ORDERS)
        .map(|order| {
            let (client, table, vns, conflicts) = (
                client.clone(),
                table.clone(),
                vns.clone(),
                conflicts.clone(),
            );
            async move {
                let pair: Vec<&String> = vns.choose_multiple(&mut rand::thread_rng(), 2).collect();
                loop {
                    let now = chrono::Utc::now().timestamp_millis();
                    let result = client
                        .transact_write_items()
                        .set_transact_items(Some(allocation_shape(
                            &table, order, pair[0], pair[1], now,
                        )))
                        .client_request_token(uuid::Uuid::new_v4().to_string())
                        .send()
                        .await;
                    match result {
                        Ok(_) => break,
                        Err(_) => {
                            conflicts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    let raw_per_second = ORDERS as f64 / start.elapsed().as_secs_f64();

    let allocator = world.allocator(AllocationPolicy::Shared);
    let events: Vec<DriverAssigned> = (0..ORDERS)
        .map(|i| assigned(&format!("TP-{i}"), "alloc", 10_000 + i, 10_000 + i))
        .collect();
    let start = Instant::now();
    let outcomes: Vec<_> = stream::iter(events.iter())
        .map(|event| allocator.assign(event))
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let allocations_per_second = ORDERS as f64 / start.elapsed().as_secs_f64();
    let failed = outcomes.iter().filter(|o| o.is_err()).count();

    // The same without the announcement to the bus (moto here: a Python process on the same
    // cores), to show what the DynamoDB side of an allocation alone sustains.
    let quiet = Allocator {
        publisher: Arc::new(Discard),
        ..world.allocator(AllocationPolicy::Shared)
    };
    let events: Vec<DriverAssigned> = (0..ORDERS)
        .map(|i| assigned(&format!("TQ-{i}"), "alloc", 12_000 + i, 12_000 + i))
        .collect();
    let start = Instant::now();
    stream::iter(events.iter())
        .map(|event| quiet.assign(event))
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    let without_publish = ORDERS as f64 / start.elapsed().as_secs_f64();
    json!({
        "orders": ORDERS,
        "in_flight": IN_FLIGHT,
        "pool": POOL,
        "raw_per_second": raw_per_second,
        "raw_conflicts_retried": conflicts.load(std::sync::atomic::Ordering::Relaxed),
        "allocations_per_second": allocations_per_second,
        "allocations_failed": failed,
        "ratio": allocations_per_second / raw_per_second,
        "allocations_without_publish_per_second": without_publish,
        "ratio_without_publish": without_publish / raw_per_second,
    })
}

struct Discard;

#[async_trait::async_trait]
impl maskline::ports::EventPublisher for Discard {
    async fn publish(
        &self,
        _: &maskline::domain::events::PublishedEvent,
    ) -> Result<(), maskline::ports::PublishError> {
        Ok(())
    }
}

/// One agent with 20 orders assigned at the same moment: every order must get its own VN for the
/// agent's side, so the claims contend on the agent's bindings.
pub async fn hot_agent() -> Value {
    const ORDERS: u32 = 20;
    let world = World::new().await;
    world.add_large_pool("hot", 1, 100).await;
    let counting = Arc::new(CountingStore::new(world.store.clone()));
    let allocator = Allocator {
        store: counting.clone(),
        ..world.allocator(AllocationPolicy::Shared)
    };
    let events: Vec<DriverAssigned> = (0..ORDERS)
        .map(|i| assigned(&format!("HOT-{i}"), "hot", 20_000 + i, 7))
        .collect();
    let outcomes = futures::future::join_all(events.iter().map(|e| allocator.assign(e))).await;
    let completed = outcomes.iter().filter(|o| o.is_ok()).count();
    json!({
        "orders": ORDERS,
        "completed": completed,
        "attempts_per_allocation": counting.writes() as f64 / ORDERS as f64,
    })
}
