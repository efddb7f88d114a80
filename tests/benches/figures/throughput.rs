//! Allocation throughput against the raw transaction it is built on, 64 in flight. The contenders
//! take turns in rounds (each round in a different order), so all of them see the same machine —
//! the JVM warming up, moto's backlog, other builds — and the same retry policy: a conflict with
//! another transaction is retried after the product's jittered pause, anything else fails. Only
//! allocations that landed count toward the rate; failures, conflicts and transactions per
//! allocation are reported beside it. The consumer runs three ways: publishing to a bus off this
//! machine (as in AWS), to moto's bus routing to SQS on the same cores, and nowhere, to tell its
//! own cost from the bus's. And a hot agent: 20 orders of one agent at once.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::stream::{self, StreamExt};
use maskline::adapters::eventbridge::EventBridgePublisher;
use maskline::domain::events::{DriverAssigned, OrderEvent, PublishedEvent};
use maskline::domain::AllocationPolicy;
use maskline::ports::{EventPublisher, PartlyPublished, PublishError, SharedPublisher};
use maskline::services::{AllocationOutcome, Allocator, Announcer};
use maskline_tests::counting_store::CountingStore;
use maskline_tests::fixtures::{driver_assigned, vn};
use maskline_tests::remote_bus::RemoteBus;
use maskline_tests::stream::TableStream;
use maskline_tests::World;
use rand::seq::SliceRandom;
use serde_json::{json, Value};

use crate::raw_allocation;

const IN_FLIGHT: usize = 64;
/// Each contender allocates `rounds() × ORDERS_PER_ROUND` orders.
const DEFAULT_ROUNDS: u32 = 16;
const ORDERS_PER_ROUND: u32 = 250;
const POOL: u32 = 1_000;

/// One allocation's transactions: how many were sent, how many a conflict cancelled, and whether
/// one landed in the end.
#[derive(Debug, Default, Clone, Copy)]
pub struct Attempts {
    pub succeeded: bool,
    pub sent: u32,
    pub conflicts: u32,
}

/// A contender's totals over its rounds.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    succeeded: u64,
    failed: u64,
    transactions: u64,
    conflicts: u64,
    /// Events the stream's consumer published during the rounds (one per new session).
    announced: u64,
    /// Deliveries that stopped at a record the consumer could not publish (retried next time).
    failed_deliveries: u64,
    /// Until the round's allocations had all landed (the consumer, if any, still running).
    landed: Duration,
    /// Until the round's work was done, its announcements included.
    elapsed: Duration,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.transactions += other.transactions;
        self.conflicts += other.conflicts;
        self.announced += other.announced;
        self.failed_deliveries += other.failed_deliveries;
        self.landed += other.landed;
        self.elapsed += other.elapsed;
    }

    /// Allocations landed per second, while whatever else the contender runs (its consumer)
    /// shares the machine.
    fn per_second(&self) -> f64 {
        self.succeeded as f64 / self.landed.as_secs_f64()
    }

    /// Allocations per second counted until each was also announced.
    fn announced_per_second(&self) -> f64 {
        self.succeeded as f64 / self.elapsed.as_secs_f64()
    }

    fn report(&self) -> Value {
        json!({
            "per_second": self.per_second(),
            "succeeded": self.succeeded,
            "failed": self.failed,
            "conflicts": self.conflicts,
            "transactions_per_allocation": self.transactions as f64 / self.succeeded.max(1) as f64,
            "announced": self.announced,
            "failed_deliveries": self.failed_deliveries,
            "announced_per_second": self.announced_per_second(),
            "seconds": self.landed.as_secs_f64(),
            "seconds_until_announced": self.elapsed.as_secs_f64(),
        })
    }
}

/// Something that allocates a round of orders, `IN_FLIGHT` at a time, and says how it went. A
/// round ends when its work is done as a client would see it: a contender whose announcements
/// leave through a consumer (the table's stream) waits for that consumer inside its round, and
/// says both when its allocations had landed and when the last was announced.
#[async_trait]
trait Contender: Send + Sync {
    fn name(&self) -> &'static str;
    async fn round(&self, orders: Range<u32>) -> Tally;
}

/// The raw transaction, on two VNs drawn at random from its own pool of `POOL`.
struct RawTransaction {
    client: aws_sdk_dynamodb::Client,
    table: String,
    vns: Vec<String>,
}

#[async_trait]
impl Contender for RawTransaction {
    fn name(&self) -> &'static str {
        "raw"
    }

    async fn round(&self, orders: Range<u32>) -> Tally {
        let start = Instant::now();
        let attempts: Vec<Attempts> = stream::iter(orders)
            .map(|order| {
                let pair: Vec<String> = self
                    .vns
                    .choose_multiple(&mut rand::thread_rng(), 2)
                    .cloned()
                    .collect();
                async move {
                    raw_allocation::allocate(&self.client, &self.table, order, &pair[0], &pair[1])
                        .await
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let elapsed = start.elapsed();
        let succeeded = attempts.iter().filter(|a| a.succeeded).count() as u64;
        Tally {
            succeeded,
            failed: attempts.len() as u64 - succeeded,
            transactions: attempts.iter().map(|a| u64::from(a.sent)).sum(),
            conflicts: attempts.iter().map(|a| u64::from(a.conflicts)).sum(),
            landed: elapsed,
            elapsed,
            ..Tally::default()
        }
    }
}

/// The allocate use case on a pool of `POOL`, its store counted. With an outbox, the round also
/// runs the table stream's consumer (the `announce` handler, publishing where its outbox says)
/// beside the allocations, and ends only when every change of the round has been announced: what
/// a consumer of `MaskedNumbersAssigned` waits for.
struct Allocate {
    name: &'static str,
    allocator: Allocator,
    store: Arc<CountingStore>,
    outbox: Option<Outbox>,
    /// Orders are `<prefix>-<n>` in region `region` (a pool of its own), their parties
    /// `parties + n`: apart from the other contenders'.
    prefix: &'static str,
    region: &'static str,
    parties: u32,
}

/// How often the consumer polls the shard: the event source mapping's base rate, four times a
/// second (AWS Lambda developer guide, "Using Lambda with DynamoDB"), so each batch holds what
/// committed since the last poll, as in AWS.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// The table's stream and the announce use case reading it.
struct Outbox {
    stream: TableStream,
    announcer: Announcer,
    published: Arc<CountingPublisher>,
}

impl Outbox {
    /// Delivers what the stream holds until `allocating` is over and a delivery finds nothing
    /// more; returns the deliveries that stopped at a failed record.
    async fn run_beside(&self, allocating: &AtomicBool) -> u64 {
        let mut failed = 0;
        loop {
            let polled = Instant::now();
            let over = !allocating.load(Ordering::SeqCst);
            let delivery = self.stream.poll(&self.announcer).await;
            failed += u64::from(delivery.failed_at.is_some());
            if over && delivery.acknowledged == 0 && delivery.failed_at.is_none() {
                return failed;
            }
            tokio::time::sleep(POLL_EVERY.saturating_sub(polled.elapsed())).await;
        }
    }
}

#[async_trait]
impl Contender for Allocate {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn round(&self, orders: Range<u32>) -> Tally {
        let events: Vec<DriverAssigned> = orders
            .map(|i| {
                let party = self.parties + i;
                assigned(&format!("{}-{i}", self.prefix), self.region, party, party)
            })
            .collect();
        let (sent, contended) = (self.store.writes(), self.store.contended());
        if let Some(outbox) = &self.outbox {
            // The contenders share the table: what the others wrote since this consumer last
            // ran (the raw transaction's items, the other allocator's sessions) is not this
            // round's to announce, as if its mapping started at LATEST now.
            outbox.stream.skip_pending().await;
        }
        let published = self.outbox.as_ref().map_or(0, |o| o.published.count());
        let allocating = AtomicBool::new(true);
        let start = Instant::now();
        let allocate = async {
            let outcomes: Vec<_> = stream::iter(events)
                .map(|event| async move { self.allocator.assign(&event).await })
                .buffer_unordered(IN_FLIGHT)
                .collect()
                .await;
            allocating.store(false, Ordering::SeqCst);
            (outcomes, start.elapsed())
        };
        let announce = async {
            match &self.outbox {
                Some(outbox) => outbox.run_beside(&allocating).await,
                None => 0,
            }
        };
        let ((outcomes, landed), failed_deliveries) = futures::join!(allocate, announce);
        let elapsed = start.elapsed();
        let succeeded = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(AllocationOutcome::Created(_))))
            .count() as u64;
        Tally {
            succeeded,
            failed: outcomes.len() as u64 - succeeded,
            transactions: (self.store.writes() - sent) as u64,
            conflicts: (self.store.contended() - contended) as u64,
            announced: self.outbox.as_ref().map_or(0, |o| o.published.count()) - published,
            failed_deliveries,
            landed,
            elapsed,
        }
    }
}

/// Counts what the announcer got onto the bus; with no bus, counts what it would have sent (the
/// consumer's cost apart from the bus's, which in AWS is not on the allocation's machine).
struct CountingPublisher {
    inner: Option<SharedPublisher>,
    published: AtomicU64,
}

impl CountingPublisher {
    fn count(&self) -> u64 {
        self.published.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl EventPublisher for CountingPublisher {
    async fn publish(&self, event: &PublishedEvent) -> Result<(), PublishError> {
        if let Some(inner) = &self.inner {
            inner.publish(event).await?;
        }
        self.published.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn publish_all(&self, events: &[PublishedEvent]) -> Result<(), PartlyPublished> {
        let result = match &self.inner {
            Some(inner) => inner.publish_all(events).await,
            None => Ok(()),
        };
        let went_out = result
            .as_ref()
            .map_or_else(|e| e.published, |_| events.len());
        self.published.fetch_add(went_out as u64, Ordering::SeqCst);
        result
    }
}

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

pub async fn measure() -> Value {
    // Every contender on one table: measured, a second table on the same DynamoDB Local served
    // the same allocations at about 0.6 of the first's rate whichever contender had it (no
    // consumer running), which says nothing about the product. The consumer skips what the
    // other contenders wrote before each of its rounds (below).
    let world = World::new().await;
    world.add_large_pool("raw", 1, POOL).await;
    world.add_large_pool("announced", 100_001, POOL).await;
    world.add_large_pool("quiet", 200_001, POOL).await;
    world.add_large_pool("unpublished", 300_001, POOL).await;
    world.add_large_pool("moto", 400_001, POOL).await;
    // EventBridge as AWS runs it, off the consumer's machine: the product's client sends every
    // PutEvents over HTTP to an endpoint that accepts and counts them. moto's bus, routing each
    // event into an SQS queue in Python on the same two cores as the allocations (about 10 ms
    // an event), is measured beside it.
    let remote_bus = RemoteBus::start();

    let counted = |world: &World| {
        let store = Arc::new(CountingStore::new(world.store.clone()));
        let allocator = Allocator {
            store: store.clone(),
            ..world.allocator(AllocationPolicy::Shared)
        };
        (allocator, store)
    };
    let (announcing, announcing_store) = counted(&world);
    let (quiet, quiet_store) = counted(&world);
    let (unpublished, unpublished_store) = counted(&world);
    let (on_moto, on_moto_store) = counted(&world);
    let outbox = |bus: Option<SharedPublisher>| {
        let published = Arc::new(CountingPublisher {
            inner: bus,
            published: AtomicU64::new(0),
        });
        let announcer = Announcer {
            publisher: published.clone(),
        };
        Outbox {
            stream: world.stream(),
            announcer,
            published,
        }
    };
    let contenders: Vec<Box<dyn Contender>> = vec![
        Box::new(RawTransaction {
            client: world.store.client().clone(),
            table: world.table.clone(),
            vns: (1..=POOL).map(|i| vn(i).to_string()).collect(),
        }),
        // The product as deployed: MaskedNumbersAssigned leaves through the table's stream, its
        // consumer (the announce handler and the EventBridge client) running beside the
        // allocations, the bus elsewhere.
        Box::new(Allocate {
            name: "announced",
            allocator: announcing,
            store: announcing_store,
            outbox: Some(outbox(Some(Arc::new(EventBridgePublisher::new(
                remote_bus.client(&world.aws),
                &world.events.bus_name,
            ))))),
            prefix: "TP",
            region: "announced",
            parties: 10_000,
        }),
        // The allocations alone, nothing reading the stream.
        Box::new(Allocate {
            name: "unannounced",
            allocator: quiet,
            store: quiet_store,
            outbox: None,
            prefix: "TQ",
            region: "quiet",
            parties: 12_000,
        }),
        // The same consumer publishing to moto's bus, whose rule routes every event to SQS.
        Box::new(Allocate {
            name: "moto",
            allocator: on_moto,
            store: on_moto_store,
            outbox: Some(outbox(Some(world.announcer().publisher))),
            prefix: "TR",
            region: "moto",
            parties: 16_000,
        }),
        // The same consumer reading the stream and running the handler, its events sent nowhere:
        // what the consumer costs apart from its HTTP calls.
        Box::new(Allocate {
            name: "unpublished",
            allocator: unpublished,
            store: unpublished_store,
            outbox: Some(outbox(None)),
            prefix: "TU",
            region: "unpublished",
            parties: 14_000,
        }),
    ];

    let rounds = rounds();
    // rounds × contenders, so each round's ratio sets a contender beside the raw transaction
    // on the machine as it was in that round.
    let mut by_round = vec![vec![Tally::default(); contenders.len()]; rounds as usize];
    for (round, tallies) in by_round.iter_mut().enumerate() {
        let round = round as u32;
        let orders = round * ORDERS_PER_ROUND..(round + 1) * ORDERS_PER_ROUND;
        // Each round starts with the next contender, so none always runs first.
        for k in 0..contenders.len() {
            let i = (k + round as usize) % contenders.len();
            // As the bus's consumers would: a queue left to grow slows moto's every send.
            world.events.discard_waiting().await;
            tallies[i] = contenders[i].round(orders.clone()).await;
        }
    }
    let index = |name: &str| contenders.iter().position(|c| c.name() == name).unwrap();
    let total = |name: &str| {
        let mut tally = Tally::default();
        by_round.iter().for_each(|r| tally.add(r[index(name)]));
        tally
    };
    let raw = total("raw");
    let per_round = |name: &str| {
        let (i, r) = (index(name), index("raw"));
        spread(
            by_round
                .iter()
                .map(|t| t[i].per_second() / t[r].per_second())
                .collect(),
        )
    };
    let mut report = json!({
        "orders_per_contender": rounds * ORDERS_PER_ROUND,
        "rounds": rounds,
        "in_flight": IN_FLIGHT,
        "pool": POOL,
        "retry": "conflicts only, the product's jittered pause, at most the product's attempts",
        "raw": raw.report(),
        "remote_bus_accepted": remote_bus.accepted(),
    });
    for name in ["announced", "moto", "unpublished", "unannounced"] {
        let tally = total(name);
        report[name] = tally.report();
        report[name]["ratio"] = json!(tally.per_second() / raw.per_second());
        report[name]["ratio_until_announced"] =
            json!(tally.announced_per_second() / raw.per_second());
        report[name]["ratio_by_round"] = per_round(name);
    }
    report
}

/// `THROUGHPUT_ROUNDS` (default 16; one round's ratio ranged 0.47–1.17 here, and eight rounds
/// did not settle a contender's median): more rounds narrow the figure on a noisy machine.
fn rounds() -> u32 {
    std::env::var("THROUGHPUT_ROUNDS")
        .ok()
        .map(|r| r.parse().expect("THROUGHPUT_ROUNDS is a number of rounds"))
        .filter(|&r| r > 0)
        .unwrap_or(DEFAULT_ROUNDS)
}

/// The median and range of a contender's per-round ratios.
fn spread(mut ratios: Vec<f64>) -> Value {
    ratios.sort_by(f64::total_cmp);
    let mid = ratios.len() / 2;
    let median = if ratios.len().is_multiple_of(2) {
        (ratios[mid - 1] + ratios[mid]) / 2.0
    } else {
        ratios[mid]
    };
    json!({
        "median": median,
        "min": ratios.first(),
        "max": ratios.last(),
    })
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
        "conflicts": counting.contended(),
    })
}
