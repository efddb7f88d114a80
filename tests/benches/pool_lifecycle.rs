//! Pool lifecycle costs, in process against DynamoDB Local: prints its figures (`make bench`).
//!
//! 1. Allocation latency per order, primaries only and with backups (four bindings).
//! 2. Failover: moving every live session off one VN (50 and 200 sessions).
//! 3. Refill: the pure plan over a large region, and activating standby numbers.

use maskline::adapters::sqs_batch::Redelivery;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use maskline::domain::pool::{Health, PoolNumber, PoolState, PoolTarget};
use maskline::domain::refill_plan::{plan_region, RefillRules, VnUsage};
use maskline::domain::{AllocationPolicy, Operator, Provider, Region};
use maskline::ports::PoolStore;
use maskline::privacy::CallerKey;
use maskline::services::Allocator;
use maskline_tests::fixtures::{driver_assigned, pool_target, sqs_event, vn};
use maskline_tests::World;

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{label:<46} n={:<5} mean={:>9.1?} p50={:>9.1?} p90={:>9.1?} p99={:>9.1?}",
        samples.len(),
        mean,
        pct(0.5),
        pct(0.9),
        pct(0.99)
    );
}

async fn allocate(allocator: &Allocator, order: &str, customer: u32, driver: u32) {
    let response = allocate_numbers::handler::handle(
        allocator,
        Some("IN".parse().unwrap()),
        &Redelivery::default(),
        sqs_event(&[driver_assigned(order, "blr", customer, driver)]),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
}

async fn allocation_latency() {
    for backups in [false, true] {
        let world = World::new().await;
        world.add_pool("blr", "airtel", 1, 20).await;
        world.add_pool("blr", "jio", 101, 20).await;
        let allocator = if backups {
            world.allocator_with_backups(AllocationPolicy::Shared)
        } else {
            world.allocator(AllocationPolicy::Shared)
        };
        let mut samples = Vec::new();
        for i in 1..=300 {
            let start = Instant::now();
            allocate(&allocator, &format!("ORD-{i}"), i, 1 + i % 30).await;
            samples.push(start.elapsed());
        }
        let label = if backups {
            "allocate, with backups (4 bindings)"
        } else {
            "allocate, primaries only (2 bindings)"
        };
        summary(label, samples);
    }
}

async fn failover(sessions: u32) {
    let world = World::new().await;
    world.add_pool("blr", "airtel", 1, 2).await;
    let allocator = world.allocator(AllocationPolicy::Shared);
    for i in 1..=sessions {
        allocate(&allocator, &format!("ORD-{i}"), i, i).await;
    }
    world.add_pool("blr", "airtel", 3, 20).await;
    let start = Instant::now();
    let report = world.failover(false).mark_unhealthy(&vn(1)).await.unwrap();
    let took = start.elapsed();
    assert_eq!(report.moved.len() as u32, sessions);
    println!(
        "failover of {sessions:>3} live sessions off one VN          total={took:>9.1?} per session={:>9.1?}",
        took / sessions
    );
}

fn refill_plan() {
    let region = Region::parse("blr").unwrap();
    let now = Utc::now();
    let numbers: Vec<PoolNumber> = (1..=2000)
        .map(|i| PoolNumber {
            vn: vn(i),
            region: region.clone(),
            operator: Operator::parse(if i % 2 == 0 { "airtel" } else { "jio" }).unwrap(),
            provider: Provider::parse("static").unwrap(),
            health: Health::Healthy,
            state: PoolState::Active,
            suspect: false,
            provider_ref: None,
            activated_at: now,
        })
        .collect();
    let usage: HashMap<_, _> = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let callers = (0..5)
                .map(|c| CallerKey::from_stored(format!("caller-{}", (i * 5 + c) % 3000)))
                .collect();
            (
                n.vn.clone(),
                VnUsage {
                    live_callers: callers,
                    ..VnUsage::default()
                },
            )
        })
        .collect();
    let targets: Vec<PoolTarget> = ["airtel", "jio"]
        .iter()
        .map(|op| pool_target("blr", op, "static", 100))
        .collect();
    let rules = RefillRules {
        policy: AllocationPolicy::Shared,
        backups: true,
        pair_mode: maskline::domain::PairMode::Pair,
        session_cap: None,
        headroom: 2,
        cool_off: chrono::Duration::hours(6),
    };
    let mut samples = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        std::hint::black_box(plan_region(&rules, &targets, &numbers, &usage, now));
        samples.push(start.elapsed());
    }
    summary("refill plan, 2000 VNs x 5 live callers (pure)", samples);
}

async fn refill_activation() {
    let world = World::new().await;
    world
        .add_numbers("blr", "airtel", 1, 100, PoolState::Standby)
        .await;
    world
        .store
        .set_target(&pool_target("blr", "airtel", "static", 100))
        .await
        .unwrap();
    let refill = world.refill(
        RefillRules {
            policy: AllocationPolicy::Shared,
            backups: false,
            pair_mode: maskline::domain::PairMode::Pair,
            session_cap: None,
            headroom: 0,
            cool_off: chrono::Duration::hours(6),
        },
        vec![],
    );
    let start = Instant::now();
    let done = refill.run_all().await.unwrap();
    let took = start.elapsed();
    assert_eq!(done[0].operators[0].acquired, 100);
    println!("refill run activating 100 standby numbers         total={took:>9.1?}");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    allocation_latency().await;
    failover(50).await;
    failover(200).await;
    refill_plan();
    refill_activation().await;
}
