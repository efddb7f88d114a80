//! Which port each use case gets, and which setting: the wiring every function and the test world
//! share. Settings arrive parsed ([`Config`], a vault, webhook settings), so tests can vary them
//! and still build their services here.

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;

use crate::adapters::dynamodb::DynamoStore;
use crate::adapters::eventbridge::EventBridgePublisher;
use crate::adapters::static_numbers::StaticNumbers;
use crate::config::Config;
use crate::domain::refill_plan::RefillRules;
use crate::domain::session_requests::RequestRules;
use crate::domain::Provider;
use crate::ports::{
    CallDialer, NumberProvider, SharedCallLog, SharedClock, SharedPoolStore, SharedPublisher,
    SharedReplayGuard, SharedStore, SystemClock,
};
use crate::privacy::{CallerKeys, NumberVault, SealKeys};
use crate::services::extend::Extender;
use crate::services::{
    Allocator, Announcer, CallEvents, CallRouter, ClickToCall, Failover, NumberHealth,
    OrderNumbers, Refill, Releaser, ResolveCall, Sessions,
};
use crate::webhook_config::WebhookConfig;

/// The outside world as the use cases see it.
#[derive(Clone)]
pub struct Ports {
    pub sessions: SharedStore,
    pub calls: SharedCallLog,
    pub pool: SharedPoolStore,
    pub replays: SharedReplayGuard,
    pub publisher: SharedPublisher,
    pub clock: SharedClock,
}

impl Ports {
    /// Every table port on one DynamoDB store: sessions, the call log, the pool and the replay
    /// guard all live in the one table.
    pub fn on_table(
        table: Arc<DynamoStore>,
        publisher: SharedPublisher,
        clock: SharedClock,
    ) -> Ports {
        Ports {
            sessions: table.clone(),
            calls: table.clone(),
            pool: table.clone(),
            replays: table,
            publisher,
            clock,
        }
    }

    /// The table and bus `config` names, on AWS, and the system clock.
    pub fn on_aws(aws: &SdkConfig, config: &Config) -> Ports {
        Ports::on_aws_table(
            aws,
            table_on_aws(aws, &config.table_name),
            &config.event_bus_name,
        )
    }

    /// `table` (already opened: the operator tools use it beyond the ports), the bus `bus` on
    /// AWS, and the system clock.
    pub fn on_aws_table(aws: &SdkConfig, table: Arc<DynamoStore>, bus: &str) -> Ports {
        let publisher = EventBridgePublisher::new(aws_sdk_eventbridge::Client::new(aws), bus);
        Ports::on_table(table, Arc::new(publisher), Arc::new(SystemClock))
    }
}

/// The table `name` on AWS.
pub fn table_on_aws(aws: &SdkConfig, name: &str) -> Arc<DynamoStore> {
    Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), name))
}

/// The shared settings and the ports: enough to build any use case.
#[derive(Clone)]
pub struct Wiring {
    pub config: Config,
    pub ports: Ports,
}

impl Wiring {
    pub fn allocator(&self, vault: NumberVault) -> Allocator {
        Allocator {
            store: self.ports.sessions.clone(),
            publisher: self.ports.publisher.clone(),
            clock: self.ports.clock.clone(),
            vault,
            policy: self.config.policy,
            backups: self.config.backups,
            pair_mode: self.config.pair_mode,
            session_cap: self.config.session_cap,
            session_max: self.config.session_max,
        }
    }

    pub fn releaser(&self) -> Releaser {
        Releaser {
            store: self.ports.sessions.clone(),
            clock: self.ports.clock.clone(),
            grace: self.config.release_grace,
            session_max: self.config.session_max,
        }
    }

    /// Publishes each session change the table's stream reports.
    pub fn announcer(&self) -> Announcer {
        Announcer {
            publisher: self.ports.publisher.clone(),
        }
    }

    pub fn order_numbers(&self) -> OrderNumbers {
        OrderNumbers {
            store: self.ports.sessions.clone(),
            clock: self.ports.clock.clone(),
        }
    }

    /// The sessions API: the allocation, release and view use cases the events use, plus
    /// extension, reading request bodies with the deployment's settings.
    pub fn sessions(&self, vault: NumberVault) -> Sessions {
        Sessions {
            allocator: self.allocator(vault),
            releaser: self.releaser(),
            numbers: self.order_numbers(),
            extender: Extender {
                store: self.ports.sessions.clone(),
                clock: self.ports.clock.clone(),
                session_max: self.config.session_max,
            },
            rules: RequestRules {
                default_country: self.config.default_country,
                max_lifetime: self.config.session_max,
            },
        }
    }

    pub fn call_router(&self, vault: NumberVault) -> CallRouter {
        CallRouter {
            store: self.ports.sessions.clone(),
            clock: self.ports.clock.clone(),
            vault,
        }
    }

    pub fn resolve_call(&self, webhooks: WebhookConfig, vault: NumberVault) -> ResolveCall {
        let reports = self.call_events(webhooks.clone(), vault.caller_keys().clone());
        ResolveCall {
            router: self.call_router(vault),
            config: webhooks,
            clock: self.ports.clock.clone(),
            replays: self.ports.replays.clone(),
            reports,
        }
    }

    /// Moves sessions off a number that stopped taking calls (number health, refill's late
    /// announcements).
    pub fn failover(&self) -> Failover {
        Failover {
            store: self.ports.sessions.clone(),
            pool: self.ports.pool.clone(),
            publisher: self.ports.publisher.clone(),
            clock: self.ports.clock.clone(),
            backups: self.config.backups,
            session_cap: self.config.session_cap,
        }
    }

    /// Call reports. Only the hash key: call-events attributes calls, it never reads a number.
    pub fn call_events(&self, webhooks: WebhookConfig, caller_keys: CallerKeys) -> CallEvents {
        CallEvents {
            store: self.ports.sessions.clone(),
            calls: self.ports.calls.clone(),
            pool: self.ports.pool.clone(),
            suspect_after: self.config.suspect_after,
            publisher: self.ports.publisher.clone(),
            clock: self.ports.clock.clone(),
            caller_keys,
            config: webhooks,
            replays: self.ports.replays.clone(),
        }
    }

    pub fn number_health(&self, webhooks: WebhookConfig) -> NumberHealth {
        NumberHealth {
            failover: Arc::new(self.failover()),
            replays: self.ports.replays.clone(),
            clock: self.ports.clock.clone(),
            config: webhooks,
        }
    }

    /// Refill over `sources`, plus the `static` source (standby numbers imported by an operator),
    /// which every deployment has.
    pub fn refill(&self, sources: Vec<Arc<dyn NumberProvider>>) -> Refill {
        let static_numbers: Arc<dyn NumberProvider> = Arc::new(StaticNumbers {
            pool: self.ports.pool.clone(),
        });
        let providers = std::iter::once(static_numbers)
            .chain(sources)
            .map(|source| (source.provider(), source))
            .collect();
        Refill {
            pool: self.ports.pool.clone(),
            providers,
            clock: self.ports.clock.clone(),
            rules: RefillRules {
                policy: self.config.policy,
                backups: self.config.backups,
                pair_mode: self.config.pair_mode,
                session_cap: self.config.session_cap,
                headroom: self.config.refill.headroom,
                cool_off: self.config.refill.cool_off,
            },
        }
    }

    pub fn click_to_call(
        &self,
        dialers: HashMap<Provider, Arc<dyn CallDialer>>,
        seal_keys: SealKeys,
        max_call_seconds: u32,
    ) -> ClickToCall {
        ClickToCall {
            store: self.ports.sessions.clone(),
            calls: self.ports.calls.clone(),
            pool: self.ports.pool.clone(),
            dialers,
            clock: self.ports.clock.clone(),
            seal_keys,
            mode: self.config.click_to_call,
            max_call_seconds,
        }
    }
}
