//! One test's world: a fresh table on DynamoDB Local, a fresh bus and queue on moto, a manual
//! clock, and the services wired by the functions' own composition root (`maskline::app`).

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use maskline::adapters::dynamodb::{schema, DynamoStore, PoolEntry};
use maskline::adapters::eventbridge::EventBridgePublisher;
use maskline::app::{Ports, Wiring};
use maskline::config::{ClickToCallMode, Config};
use maskline::domain::pool::PoolState;
use maskline::domain::refill_plan::RefillRules;
use maskline::domain::{AllocationPolicy, Operator, PairMode, Provider, Region, VirtualNumber};
use maskline::ports::{CallDialer, NumberProvider, SharedPublisher, SharedStore};
use maskline::privacy::NumberVault;
use maskline::services::{
    Allocator, CallEvents, CallRouter, ClickToCall, Failover, NumberHealth, OrderNumbers, Refill,
    Releaser, ResolveCall, Sessions,
};
use maskline::webhook_config::WebhookConfig;

use crate::bus::PublishedEvents;
use crate::clock::ManualClock;
use crate::fixtures::{vn, ENCRYPTION_KEY, HASH_KEY};

pub type Item = std::collections::HashMap<String, AttributeValue>;

pub const GRACE_SECONDS: i64 = 1800;
pub const SESSION_MAX_SECONDS: i64 = 24 * 3600;
/// Failed calls in a row that flag a VN suspect, in tests.
pub const SUSPECT_AFTER: u32 = 3;

/// The settings every test world runs with, read the way a function reads its environment.
fn test_config() -> Config {
    let settings = [
        ("TABLE_NAME", "named-per-world".to_string()),
        ("RELEASE_GRACE_SECONDS", GRACE_SECONDS.to_string()),
        ("SESSION_MAX_SECONDS", SESSION_MAX_SECONDS.to_string()),
        ("SUSPECT_AFTER_FAILED_CALLS", SUSPECT_AFTER.to_string()),
    ];
    Config::from_lookup(|name| {
        settings
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .expect("the test settings are valid")
}

pub struct World {
    pub store: Arc<DynamoStore>,
    pub clock: Arc<ManualClock>,
    pub events: PublishedEvents,
    pub vault: NumberVault,
    pub table: String,
    /// The SDK settings every client of the world is built from (the local endpoints).
    pub aws: aws_config::SdkConfig,
    /// Set by [`World::meter`]: services then use the metered store.
    metered: bool,
    /// Settings every function of this world runs with, as one deployment's environment
    /// would give them (the model draws them per schedule).
    pub settings: WorldSettings,
}

/// The deployment-wide settings a test world may change from the defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorldSettings {
    pub pair_mode: PairMode,
    pub session_cap: Option<u32>,
}

fn require_env(name: &str, what: &str) {
    if std::env::var(name).map_or(true, |v| v.is_empty()) {
        panic!(
            "{name} is not set, so there is no {what} to test against. \
             Run the tests with `make test`, which installs and starts DynamoDB Local and moto."
        );
    }
}

impl World {
    pub async fn new() -> World {
        World::with_outbox_bus(|bus| bus).await
    }

    /// A world whose stream consumer publishes through `bus` wrapped around the world's bus (a
    /// bus that refuses some calls, for the model).
    pub async fn with_outbox_bus(bus: impl FnOnce(SharedPublisher) -> SharedPublisher) -> World {
        require_env("AWS_ENDPOINT_URL_DYNAMODB", "DynamoDB Local");
        require_env(
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
            "DynamoDB Local's table streams (same port as DynamoDB Local)",
        );
        require_env("AWS_ENDPOINT_URL_EVENTBRIDGE", "moto (local EventBridge)");
        require_env("AWS_ENDPOINT_URL_SQS", "moto (local SQS)");
        let config = maskline::adapters::aws_config().await;
        let name = format!("t-{}", uuid::Uuid::new_v4().simple());
        let client = aws_sdk_dynamodb::Client::new(&config);
        schema::create_table(&client, &name)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot create a table on DynamoDB Local ({e:#}); is `make test` running it?"
                )
            });
        let events = PublishedEvents::create(&config, &name)
            .await
            .unwrap_or_else(|e| panic!("cannot set up the bus on moto ({e:#})"));
        let world = World {
            store: Arc::new(DynamoStore::new(client, &name)),
            clock: Arc::new(ManualClock::starting_now()),
            events,
            vault: NumberVault::from_base64(HASH_KEY, ENCRYPTION_KEY).expect("test keys are valid"),
            table: name,
            aws: config,
            metered: false,
            settings: WorldSettings::default(),
        };
        // Session events leave through the table's stream, as the announce function sends them.
        let mut announcer = world.announcer();
        announcer.publisher = bus(announcer.publisher);
        world.events.announce_from(world.stream(), announcer);
        world
    }

    /// Deletes the world's table. A test process ends before the tables pile up, but the soak
    /// runs hundreds of schedules on one DynamoDB Local, which slowed about tenfold by its
    /// hundredth table (2.2 allocations/s over the first ten schedules, 0.25 after a hundred).
    pub async fn delete_table(&self) {
        self.store
            .client()
            .delete_table()
            .table_name(&self.table)
            .send()
            .await
            .expect("delete the world's table on DynamoDB Local");
    }

    /// The table's stream, read from its start (each reader keeps its own position) with the
    /// announce function's role, as its event source mapping reads it.
    pub fn stream(&self) -> crate::stream::TableStream {
        crate::stream::TableStream::new(
            crate::iam::clients_of(&self.aws, "announce").streams,
            aws_sdk_dynamodb::Client::new(&self.aws),
            &self.table,
        )
    }

    /// The announce use case as the function wires it (its role held to the template's).
    pub fn announcer(&self) -> maskline::services::Announcer {
        self.wiring_of("announce").announcer()
    }

    /// From now on every request the world's services make to the table is metered: the store
    /// is replaced by one on a client that asks DynamoDB for each request's consumed capacity.
    pub fn meter(&mut self) -> Arc<crate::capacity_meter::CapacityMeter> {
        let (client, meter) = crate::capacity_meter::metered_client(&self.aws);
        self.store = Arc::new(DynamoStore::new(client, &self.table));
        self.metered = true;
        meter
    }

    /// Adds `count` active VNs (`first..`) to `region`, alternating two operators, in bulk: for
    /// pools of tens of thousands.
    pub async fn add_large_pool(&self, region: &str, first: u32, count: u32) {
        let entries: Vec<PoolEntry> = (first..first + count)
            .map(|i| PoolEntry {
                vn: vn(i),
                region: Region::parse(region).unwrap(),
                operator: Operator::parse(if i % 2 == 0 { "airtel" } else { "jio" }).unwrap(),
                provider: Provider::parse("static").unwrap(),
            })
            .collect();
        self.store
            .add_numbers_in_bulk(&entries, PoolState::Active)
            .await
            .expect("bulk pool load");
    }

    /// Adds VNs `first..first+count` to `region` under `operator`, active.
    pub async fn add_pool(
        &self,
        region: &str,
        operator: &str,
        first: u32,
        count: u32,
    ) -> Vec<VirtualNumber> {
        self.add_numbers(region, operator, first, count, PoolState::Active)
            .await
    }

    /// Adds VNs `first..first+count` (provider `static`) in the given state.
    pub async fn add_numbers(
        &self,
        region: &str,
        operator: &str,
        first: u32,
        count: u32,
        state: PoolState,
    ) -> Vec<VirtualNumber> {
        let mut added = Vec::new();
        for i in first..first + count {
            let entry = PoolEntry {
                vn: vn(i),
                region: Region::parse(region).unwrap(),
                operator: Operator::parse(operator).unwrap(),
                provider: Provider::parse("static").unwrap(),
            };
            self.store
                .add_number(&entry, state)
                .await
                .expect("add pool number");
            added.push(entry.vn);
        }
        added
    }

    /// The production wiring (`maskline::app`) of `function` over this world's table, bus and
    /// clock, with the test settings: every service below is built by it, so the tests run what
    /// the functions run. Its AWS clients hold each call to the function's role in the template
    /// (`crate::iam`), as AWS would; a metered world (benches) measures instead.
    pub fn wiring_of(&self, function: &'static str) -> Wiring {
        let mut config = test_config();
        config.table_name = self.table.clone();
        config.event_bus_name = self.events.bus_name.clone();
        config.pair_mode = self.settings.pair_mode;
        config.session_cap = self.settings.session_cap;
        let ports = if self.metered {
            Ports::on_table(
                self.store.clone(),
                Arc::new(self.publisher()),
                self.clock.clone(),
            )
        } else {
            let clients = crate::iam::clients_of(&self.aws, function);
            Ports::on_table(
                Arc::new(DynamoStore::new(clients.dynamodb, &self.table)),
                Arc::new(EventBridgePublisher::new(
                    clients.eventbridge,
                    &self.events.bus_name,
                )),
                self.clock.clone(),
            )
        };
        Wiring { config, ports }
    }

    /// [`World::wiring_of`] with `change` applied to its settings.
    fn wired_with(&self, function: &'static str, change: impl FnOnce(&mut Config)) -> Wiring {
        let mut wiring = self.wiring_of(function);
        change(&mut wiring.config);
        wiring
    }

    pub fn allocator(&self, policy: AllocationPolicy) -> Allocator {
        self.wired_with("allocate-numbers", |c| c.policy = policy)
            .allocator(self.vault.clone())
    }

    /// An allocator that also gives each side a backup VN on another operator.
    pub fn allocator_with_backups(&self, policy: AllocationPolicy) -> Allocator {
        self.wired_with("allocate-numbers", |c| {
            c.policy = policy;
            c.backups = true;
        })
        .allocator(self.vault.clone())
    }

    /// An allocator in single-number mode (`PAIR_MODE=single`): one VN per order for both sides.
    pub fn single_number_allocator(&self, policy: AllocationPolicy, backups: bool) -> Allocator {
        self.wired_with("allocate-numbers", |c| {
            c.policy = policy;
            c.backups = backups;
            c.pair_mode = PairMode::Single;
        })
        .allocator(self.vault.clone())
    }

    /// An allocator under `MAX_SESSIONS_PER_NUMBER=cap` (shared policy), in `mode`.
    pub fn capped_allocator(&self, cap: u32, mode: PairMode) -> Allocator {
        self.wired_with("allocate-numbers", |c| {
            c.session_cap = Some(cap);
            c.pair_mode = mode;
        })
        .allocator(self.vault.clone())
    }

    /// Failover as number-health reports run it (call-events).
    pub fn failover(&self, backups: bool) -> Failover {
        self.wired_with("call-events", |c| c.backups = backups)
            .failover()
    }

    /// Failover under `MAX_SESSIONS_PER_NUMBER=cap`.
    pub fn capped_failover(&self, cap: u32) -> Failover {
        self.wired_with("call-events", |c| c.session_cap = Some(cap))
            .failover()
    }

    pub fn number_health(&self, config: WebhookConfig) -> NumberHealth {
        self.wiring_of("call-events").number_health(config)
    }

    /// Refill over the test table with the given number sources (plus `static`, always).
    pub fn refill(&self, rules: RefillRules, sources: Vec<Arc<dyn NumberProvider>>) -> Refill {
        self.wired_with("refill-pool", |c| {
            c.policy = rules.policy;
            c.backups = rules.backups;
            c.refill.headroom = rules.headroom;
            c.refill.cool_off = rules.cool_off;
            c.pair_mode = rules.pair_mode;
            c.session_cap = rules.session_cap;
        })
        .refill(sources)
    }

    pub fn click_to_call(
        &self,
        dialers: Vec<(&str, Arc<dyn CallDialer>)>,
        mode: ClickToCallMode,
    ) -> ClickToCall {
        let dialers = dialers
            .into_iter()
            .map(|(p, d)| (Provider::parse(p).unwrap(), d))
            .collect();
        self.wired_with("click-to-call", |c| c.click_to_call = mode)
            .click_to_call(dialers, self.vault.seal_keys().clone(), 1800)
    }

    pub fn releaser(&self) -> Releaser {
        self.wiring_of("release-numbers").releaser()
    }

    pub fn order_numbers(&self) -> OrderNumbers {
        self.wiring_of("order-numbers").order_numbers()
    }

    /// The sessions API's use case (`/v1/sessions`), under the sessions function's role.
    pub fn sessions(&self) -> Sessions {
        self.wiring_of("sessions").sessions(self.vault.clone())
    }

    pub fn router(&self) -> CallRouter {
        self.wiring_of("resolve-call")
            .call_router(self.vault.clone())
    }

    /// The resolve-call use case over `store` (the table itself, or a counting wrapper of it).
    pub fn resolver(&self, store: SharedStore, config: WebhookConfig) -> ResolveCall {
        let mut wiring = self.wiring_of("resolve-call");
        wiring.ports.sessions = store;
        wiring.resolve_call(config, self.vault.clone())
    }

    pub fn call_events(&self, store: SharedStore, config: WebhookConfig) -> CallEvents {
        let mut wiring = self.wiring_of("call-events");
        wiring.ports.sessions = store;
        wiring.call_events(config, self.vault.caller_keys().clone())
    }

    /// The publisher every service of the world uses: the test's bus on moto.
    pub fn publisher(&self) -> EventBridgePublisher {
        EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&self.aws),
            &self.events.bus_name,
        )
    }

    /// Points the binding `side` of `order` holds on `vn` at `to_order`, as if `to_order` had
    /// claimed that (VN, caller) after `order`'s binding expired (or a writer whose clock ran
    /// ahead thought so).
    pub async fn hand_binding_over(&self, vn: &str, side: &str, order: &str, to_order: &str) {
        let binding = self
            .items_with_sk("BIND#")
            .await
            .into_iter()
            .find(|item| {
                item["pk"].as_s().unwrap() == &format!("VN#{vn}")
                    && item["order_id"].as_s().unwrap() == order
                    && item["caller_side"].as_s().unwrap() == side
            })
            .unwrap_or_else(|| panic!("no {side} binding of {order} on {vn}"));
        let mut taken = binding.clone();
        taken.insert("order_id".into(), AttributeValue::S(to_order.into()));
        self.store
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(taken))
            .send()
            .await
            .expect("re-point the binding");
    }

    /// Every item in the table. A Scan, which only tests may use: it inspects the whole state to
    /// prove nothing was half-written.
    pub async fn all_items(&self) -> Vec<Item> {
        self.store
            .client()
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("scan the test table")
    }

    /// Items whose sort key starts with `prefix` (`SESSION`, `BIND#`, `LOCK`).
    pub async fn items_with_sk(&self, prefix: &str) -> Vec<Item> {
        self.all_items()
            .await
            .into_iter()
            .filter(|item| {
                item.get("sk")
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|sk| sk.starts_with(prefix))
            })
            .collect()
    }
}
