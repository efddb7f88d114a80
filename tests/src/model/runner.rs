//! Runs schedules: a fresh world per schedule, each step's operations at once, the checks after
//! every step, and a closing that ends every order and lets grace pass.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Duration;
use futures::future::join_all;
use maskline::adapters::dynamodb::PoolEntry;
use maskline::domain::pool::{Health, PoolState};
use maskline::domain::refill_plan::RefillRules;
use maskline::domain::{AllocationPolicy, Operator, Provider, Region};
use maskline::ports::{Clock, PoolStore, SharedPublisher, SharedStore};

use super::check::{self, Orders, Tracked};
use super::exhaustion;
use super::ops::{self, Deployment};
use super::platform::Shape;
use super::reference::{possible_after, OrderInput, OrderState};
use super::report::Stats;
use super::schedule::{generate, Kind, Op, Step, STANDBY, STATIC_ACTIVE, TWILIO_ACTIVE};
use crate::fixtures::{pool_target, vn};
use crate::flaky_bus::FlakyPublisher;
use crate::lagging_indexes::LaggingIndexes;
use crate::world::{World, WorldSettings, GRACE_SECONDS};

/// How a run is chosen, from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `MODEL_SEED`: the first schedule's seed (schedule i uses seed + i); random when unset.
    pub seed: u64,
    pub seed_given: bool,
    /// `MODEL_SCHEDULES`: how many schedules (default 5, about a minute on 2 cores; 1 when `MODEL_SEED` is given).
    pub schedules: usize,
    /// `MODEL_STEPS`: steps per schedule (default 30).
    pub steps: usize,
    /// `MODEL_ALLOCATIONS`: keep running schedules (up to `MODEL_SCHEDULES`) until this many
    /// allocations happened (the soak).
    pub allocations: Option<u64>,
    /// `MODEL_BATCH`: at most this many operations at once (default 4).
    pub batch: usize,
    /// `MODEL_CHECK_EVERY`: resolve every call and read the events every this many steps
    /// (default 1: every step; the closing steps always). The session, table and pool checks run
    /// every step regardless.
    pub check_every: usize,
    /// `MODEL_PARALLEL`: schedules run at once, each on its own table (default 1). The soak runs
    /// more so DynamoDB Local is kept busy while one schedule waits on its checks.
    pub parallel: usize,
}

pub const DEFAULT_SCHEDULES: usize = 5;
pub const DEFAULT_STEPS: usize = 30;
pub const DEFAULT_BATCH: usize = 4;

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    let raw = std::env::var(name).ok()?;
    let value = raw.trim();
    if value.is_empty() {
        return None;
    }
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={raw} is not a number")),
    )
}

impl Settings {
    pub fn from_env() -> Settings {
        let given: Option<u64> = env("MODEL_SEED");
        Settings {
            seed: given.unwrap_or_else(rand::random),
            seed_given: given.is_some(),
            schedules: env("MODEL_SCHEDULES").unwrap_or(if given.is_some() {
                1
            } else {
                DEFAULT_SCHEDULES
            }),
            steps: env("MODEL_STEPS").unwrap_or(DEFAULT_STEPS),
            allocations: env("MODEL_ALLOCATIONS"),
            batch: env("MODEL_BATCH").unwrap_or(DEFAULT_BATCH),
            check_every: env::<usize>("MODEL_CHECK_EVERY").unwrap_or(1).max(1),
            parallel: env::<usize>("MODEL_PARALLEL").unwrap_or(1).max(1),
        }
    }

    /// The environment that replays the schedule of `seed`.
    pub fn replay(&self, seed: u64) -> String {
        let mut replay = format!("MODEL_SEED={seed}");
        if self.steps != DEFAULT_STEPS {
            replay += &format!(" MODEL_STEPS={}", self.steps);
        }
        if self.batch != DEFAULT_BATCH {
            replay += &format!(" MODEL_BATCH={}", self.batch);
        }
        replay
    }
}

/// Refill as the schedules run it: keep the target, give back idle surplus after an hour.
pub fn refill_rules(shape: &Shape) -> RefillRules {
    RefillRules {
        policy: shape.policy,
        backups: shape.backups,
        pair_mode: shape.pair_mode,
        session_cap: shape.session_cap,
        headroom: 0,
        cool_off: Duration::hours(1),
    }
}

/// Runs the schedules `settings` names, `settings.parallel` at a time (each on its own table);
/// every violation is in the returned figures.
pub async fn run_all(settings: &Settings) -> Stats {
    let began = Instant::now();
    let shared = Mutex::new(Stats {
        base_seed: settings.seed,
        ..Stats::default()
    });
    let next = AtomicUsize::new(0);
    let worker = || async {
        loop {
            let wanted_reached = settings
                .allocations
                .is_some_and(|wanted| shared.lock().unwrap().allocations >= wanted);
            let i = next.fetch_add(1, Ordering::SeqCst);
            if wanted_reached || i >= settings.schedules {
                break;
            }
            let seed = settings.seed.wrapping_add(i as u64);
            println!(
                "model: schedule {}/{} seed {seed} (replay with {})",
                i + 1,
                settings.schedules,
                settings.replay(seed)
            );
            let began_schedule = Instant::now();
            let mut own = Stats::default();
            let found = run_schedule(seed, settings, &mut own).await;
            own.schedules = 1;
            let mut stats = shared.lock().unwrap();
            stats.absorb(own);
            println!(
                "model: schedule {} done in {:.1} s, {} violation(s); so far {} allocations, {} violations, {:.0} s",
                i + 1,
                began_schedule.elapsed().as_secs_f64(),
                found.len(),
                stats.allocations,
                stats.violations.len() + found.len(),
                began.elapsed().as_secs_f64()
            );
            if !found.is_empty() {
                stats.failing_seeds.push(seed);
                for v in found {
                    let v = format!("seed {seed} {v} (replay with {})", settings.replay(seed));
                    println!("model: VIOLATION {v}");
                    stats.violations.push(v);
                }
            }
        }
    };
    join_all((0..settings.parallel.max(1)).map(|_| worker())).await;
    let mut stats = shared.into_inner().unwrap();
    stats.elapsed = began.elapsed();
    stats
}

async fn setup(world: &World) {
    world
        .add_pool(
            "blr",
            "airtel",
            *STATIC_ACTIVE.start(),
            STATIC_ACTIVE.clone().count() as u32,
        )
        .await;
    for i in TWILIO_ACTIVE {
        let entry = PoolEntry {
            vn: vn(i),
            region: Region::parse("blr").unwrap(),
            operator: Operator::parse("jio").unwrap(),
            provider: Provider::parse("twilio").unwrap(),
        };
        world
            .store
            .add_number(&entry, PoolState::Active)
            .await
            .expect("add a Twilio number");
    }
    world
        .add_numbers("blr", "airtel", STANDBY, 1, PoolState::Standby)
        .await;
    world
        .store
        .set_target(&pool_target("blr", "airtel", "static", 2))
        .await
        .expect("set the refill target");
}

/// One schedule on a fresh world; returns its violations ("step N: …").
pub async fn run_schedule(seed: u64, settings: &Settings, stats: &mut Stats) -> Vec<String> {
    let schedule = generate(seed, settings.steps, settings.batch);
    let shape = Shape::of(seed);
    println!("model: seed {seed} runs {shape:?}");
    let began = Instant::now();
    let mut world = World::with_outbox_bus(|bus| match shape.flaky_bus {
        Some(period) => Arc::new(FlakyPublisher::every(bus, period)) as SharedPublisher,
        None => bus,
    })
    .await;
    world.settings = WorldSettings {
        pair_mode: shape.pair_mode,
        session_cap: shape.session_cap,
    };
    setup(&world).await;
    let deployment = Deployment {
        shape,
        lagging: shape
            .lagging_indexes
            .then(|| Arc::new(LaggingIndexes::new(world.store.clone(), seed)) as SharedStore),
        start: world.clock.now(),
    };
    let start = deployment.start;
    *stats.phases.entry("new world").or_default() += began.elapsed();
    let mut orders = Orders::new();
    let mut violations = Vec::new();
    for (n, step) in schedule.iter().enumerate() {
        if let Step::Keys { list, .. } = step {
            world.vault = list.vault();
        }
        let full = (n + 1) % settings.check_every == 0;
        for v in run_step(&world, &deployment, step, &mut orders, stats, full).await {
            violations.push(format!("step {n}: {v}"));
        }
    }
    // Closing: every order ends (again, for most), then grace passes: nothing may stay callable.
    let at = (world.clock.now() - start).num_seconds();
    let ends = Step::Batch(
        orders
            .keys()
            .map(|&order| Op::End {
                kind: Kind::Release,
                order,
                delivered: true,
                at,
            })
            .collect(),
    );
    let past_grace = Step::Advance {
        seconds: GRACE_SECONDS + 60,
        label: "jump: past grace",
    };
    for (name, step) in [("closing ends", ends), ("closing grace", past_grace)] {
        for v in run_step(&world, &deployment, &step, &mut orders, stats, true).await {
            violations.push(format!("{name}: {v}"));
        }
    }
    let now = world.clock.now().timestamp_millis();
    for (order, tracked) in &orders {
        if tracked.state.callable_at(now) {
            violations.push(format!(
                "closing: ORD-{order} is still callable after its end and grace ({:?})",
                tracked.state
            ));
        }
    }
    stats.steps += schedule.len();
    world.delete_table().await;
    violations
}

async fn run_step(
    world: &World,
    deployment: &Deployment,
    step: &Step,
    orders: &mut Orders,
    stats: &mut Stats,
    full: bool,
) -> Vec<String> {
    let start = deployment.start;
    let mut violations = Vec::new();
    let ops: &[Op] = match step {
        Step::Advance { seconds, label } => {
            world.clock.advance(Duration::seconds(*seconds));
            *stats.ops.entry(label).or_default() += 1;
            &[]
        }
        // The runner has already deployed the keys (the world's vault): the checks below run
        // with them.
        Step::Keys { label, .. } => {
            *stats.ops.entry(label).or_default() += 1;
            &[]
        }
        Step::Batch(ops) => {
            stats.batches += 1;
            ops
        }
    };
    let mut clock = Instant::now();
    let mut lap = |stats: &mut Stats, phase: &'static str| {
        *stats.phases.entry(phase).or_default() += clock.elapsed();
        clock = Instant::now();
    };
    let before = check::Snapshot::take(world).await;
    lap(stats, "scan before");
    let pool_before = &before.pool;
    let bindings_before = before.live_bindings(world.clock.now().timestamp_millis());
    // VNs that could take no new binding for the whole batch: unhealthy with no "healthy again"
    // in it, or not active with no refill in it (refill may activate or keep a number).
    let refill_runs = ops.iter().any(|op| matches!(op, Op::Refill));
    let off: HashSet<u32> = pool_before
        .iter()
        .filter(|(i, (health, state))| {
            let healed = ops
                .iter()
                .any(|op| matches!(op, Op::Healthy { vn } if vn == *i));
            (*health == Health::Unhealthy && !healed)
                || (*state != PoolState::Active && !refill_runs)
        })
        .map(|(i, _)| *i)
        .collect();

    let done = join_all(ops.iter().map(|op| ops::run(world, deployment, op))).await;
    lap(stats, "operations");
    let judgement = exhaustion::judge_exhaustion(
        ops,
        &done,
        &before,
        world.clock.now().timestamp_millis(),
        deployment.lagging.is_some(),
    );
    stats.exhaustions_judged += judgement.judged as u64;
    violations.extend(judgement.violations);

    let now = world.clock.now();
    // Numbers this batch marked unhealthy for good (not healed in it, no session stranded).
    let marked: HashSet<u32> = ops
        .iter()
        .zip(&done)
        .filter_map(|(op, done)| match op {
            Op::Unhealthy { vn, .. } if done.ok && done.stranded == 0 => Some(*vn),
            _ => None,
        })
        .filter(|vn| {
            !ops.iter()
                .any(|op| matches!(op, Op::Healthy { vn: healed } if healed == vn))
        })
        .collect();
    let mut inputs: BTreeMap<u32, Vec<(OrderInput, bool)>> = BTreeMap::new();
    for (op, done) in ops.iter().zip(&done) {
        let kind = op.kind();
        *stats.ops.entry(kind.name()).or_default() += 1;
        *stats
            .outcomes
            .entry(format!("{} -> {}", kind.name(), done.outcome))
            .or_default() += 1;
        stats.allocations += u64::from(done.allocated);
        stats.moved += done.moved as u64;
        if let Some(problem) = &done.unexpected {
            violations.push(format!("{} {op:?}: {problem}", kind.name()));
        }
        let at = |secs: i64| (start + Duration::seconds(secs)).timestamp_millis();
        let (order, input, customer) = match op {
            Op::Assign {
                order,
                customer,
                driver,
                seq,
                sent,
                at: t,
                ..
            } => (
                *order,
                OrderInput::Assign {
                    driver: *driver,
                    rank: sent.rank(*seq, start + Duration::seconds(*t)),
                    at: at(*t),
                },
                Some(*customer),
            ),
            Op::End { order, at: t, .. } => (*order, OrderInput::End { at: at(*t) }, None),
            _ => continue,
        };
        let tracked = orders.entry(order).or_insert_with(|| Tracked {
            customer: 0,
            state: OrderState::Unseen,
            record: None,
            announced: None,
            released_version: None,
        });
        if let Some(customer) = customer {
            tracked.customer = customer;
        }
        inputs.entry(order).or_default().push((input, done.ok));
    }

    // Each order touched, or still callable (a failover may have moved it), read back.
    let now_ms = now.timestamp_millis();
    let to_read: Vec<u32> = orders
        .iter()
        .filter(|(o, t)| inputs.contains_key(o) || t.state.callable_at(now_ms))
        .map(|(o, _)| *o)
        .collect();
    let records = join_all(to_read.iter().map(|o| check::load(world, *o))).await;
    for (order, record) in to_read.into_iter().zip(records) {
        let tracked = orders.get_mut(&order).expect("tracked above");
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                violations.push(e);
                continue;
            }
        };
        let found = match check::observed(&record) {
            Ok(found) => found,
            Err(e) => {
                violations.push(format!("ORD-{order}: {e}"));
                continue;
            }
        };
        let given: &[(OrderInput, bool)] = inputs.get(&order).map_or(&[], Vec::as_slice);
        let allowed = possible_after(&tracked.state, given, now_ms);
        if !allowed.contains(&found) {
            violations.push(format!(
                "ORD-{order}: the session is {found:?}; from {:?} after {given:?} the model allows {allowed:?}",
                tracked.state
            ));
        }
        if let (Some(record), true) = (&record, tracked.customer != 0) {
            let want = format!("C-{}", tracked.customer);
            if record
                .session
                .customer_id
                .as_ref()
                .is_some_and(|c| c.as_str() != want)
            {
                violations.push(format!("ORD-{order}: the session names another customer"));
            }
        }
        tracked.state = found;
        tracked.record = record;
    }

    lap(stats, "read sessions");
    let after = check::Snapshot::take(world).await;
    violations.extend(after.table(now_ms));
    let bindings_after = after.live_bindings(now_ms);
    violations.extend(check::pool_respected(
        &off,
        &bindings_before,
        &bindings_after,
        &after.pool,
    ));
    violations.extend(check::marked_in_batch(
        &marked,
        &bindings_before,
        &bindings_after,
    ));
    let shape = &deployment.shape;
    if let (Some(cap), AllocationPolicy::Shared) = (shape.session_cap, shape.policy) {
        violations.extend(check::cap_respected(&bindings_after, cap));
    }
    lap(stats, "scan after");
    if !full {
        return violations;
    }
    violations.extend(check::calls(world, orders).await);
    lap(stats, "resolve calls");
    let received = world.events.read(0).await;
    violations.extend(check::events(&received, orders));
    lap(stats, "read events");
    violations
}
