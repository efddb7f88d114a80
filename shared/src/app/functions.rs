//! Each Lambda function's services, built from its environment. A `main.rs` calls one of these and
//! hands the result to its handler; nothing else in a function crate wires anything.

use std::collections::HashMap;
use std::sync::Arc;

use crate::adapters::provider_api::{
    ExotelApi, ExotelCalls, TwilioApi, TwilioCalls, TwilioNumbers,
};
use crate::adapters::sqs_batch::Redelivery;
use crate::domain::number::DefaultCountry;
use crate::domain::Provider;
use crate::ports::{CallDialer, NumberProvider};
use crate::privacy::{CallerKeys, NumberVault, SealKeys};
use crate::services::{
    Allocator, Announcer, CallEvents, ClickToCall, NumberHealth, OrderNumbers, Refill, Releaser,
    ResolveCall, Sessions,
};
use crate::startup::or_exit;
use crate::webhook_config::WebhookConfig;

use super::Environment;

/// `allocate-numbers`: DriverAssigned from its queue.
pub struct AllocateNumbers {
    pub allocator: Allocator,
    pub default_country: Option<DefaultCountry>,
    pub redelivery: Redelivery,
}

pub async fn allocate_numbers() -> AllocateNumbers {
    let env = Environment::load("allocate-numbers").await;
    let wiring = env.wiring();
    AllocateNumbers {
        allocator: wiring.allocator(or_exit(NumberVault::from_lookup(env.lookup()))),
        default_country: wiring.config.default_country,
        redelivery: env.redelivery(),
    }
}

/// `release-numbers`: OrderDelivered / OrderCancelled from its queue.
pub struct ReleaseNumbers {
    pub releaser: Releaser,
    pub redelivery: Redelivery,
}

pub async fn release_numbers() -> ReleaseNumbers {
    let env = Environment::load("release-numbers").await;
    ReleaseNumbers {
        releaser: env.wiring().releaser(),
        redelivery: env.redelivery(),
    }
}

/// `order-numbers`: `GET /v1/orders/{order_id}/numbers`.
pub async fn order_numbers() -> OrderNumbers {
    Environment::load("order-numbers")
        .await
        .wiring()
        .order_numbers()
}

/// `sessions`: `/v1/sessions`, the order platform's HTTP door to the allocation use cases.
pub async fn sessions() -> Sessions {
    let env = Environment::load("sessions").await;
    env.wiring()
        .sessions(or_exit(NumberVault::from_lookup(env.lookup())))
}

/// `resolve-call`: the providers' voice webhooks, the call path.
pub async fn resolve_call() -> ResolveCall {
    let env = Environment::load("resolve-call").await;
    env.wiring().resolve_call(
        or_exit(WebhookConfig::from_lookup(env.lookup())),
        or_exit(NumberVault::from_lookup(env.lookup())),
    )
}

/// `call-events`: status callbacks (the call log) and number-health reports (failover).
pub struct CallCallbacks {
    pub events: CallEvents,
    pub health: NumberHealth,
}

pub async fn call_events() -> CallCallbacks {
    let env = Environment::load("call-events").await;
    let wiring = env.wiring();
    let webhooks = or_exit(WebhookConfig::from_lookup(env.lookup()));
    CallCallbacks {
        events: wiring.call_events(
            webhooks.clone(),
            or_exit(CallerKeys::from_lookup(env.lookup())),
        ),
        health: wiring.number_health(webhooks),
    }
}

/// `refill-pool`: the schedule and the refill queue.
pub struct RefillPool {
    pub refill: Refill,
    pub redelivery: Redelivery,
}

pub async fn refill_pool() -> RefillPool {
    let env = Environment::load("refill-pool").await;
    let wiring = env.wiring();
    // Numbers are bought only from providers with API credentials; `static` is always there.
    let mut sources: Vec<Arc<dyn NumberProvider>> = Vec::new();
    if let Some(twilio) = TwilioNumbers::from_lookup(env.lookup()) {
        sources.push(Arc::new(or_exit(twilio)));
    }
    RefillPool {
        refill: wiring.refill(sources),
        redelivery: env.redelivery(),
    }
}

/// `click-to-call`: `POST /v1/orders/{order_id}/calls`.
pub async fn click_to_call() -> ClickToCall {
    let env = Environment::load("click-to-call").await;
    let wiring = env.wiring();
    let webhooks = or_exit(WebhookConfig::from_lookup(env.lookup()));
    // Only providers with API credentials can place calls; the others answer 501.
    let mut dialers: HashMap<Provider, Arc<dyn CallDialer>> = HashMap::new();
    if let Some(api) = TwilioApi::from_lookup(env.lookup()) {
        let mut calls = TwilioCalls::new(or_exit(api));
        // With a public base URL, Twilio reports each bridge call to call-events.
        if let Some(base) = &webhooks.public_base_url {
            calls = calls.reporting_to(base);
        }
        dialers.insert(provider("twilio"), Arc::new(calls));
    }
    if let Some(api) = ExotelApi::from_lookup(env.lookup()) {
        dialers.insert(provider("exotel"), Arc::new(ExotelCalls::new(or_exit(api))));
    }
    // The encryption key alone: the session names both parties (see `ClickToCall::seal_keys`).
    wiring.click_to_call(
        dialers,
        or_exit(SealKeys::from_lookup(env.lookup())),
        webhooks.answer.max_call_seconds,
    )
}

fn provider(id: &'static str) -> Provider {
    Provider::parse(id).expect("a provider id of the code's own")
}

/// `announce`: the table's stream, each session change published as its event.
pub async fn announce() -> Announcer {
    Environment::load("announce").await.wiring().announcer()
}
