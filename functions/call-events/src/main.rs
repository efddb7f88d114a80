use std::sync::Arc;

use call_events::handler;
use lambda_http::{run, service_fn, tracing, Error, Request};
use maskline::adapters::settings::Settings;
use maskline::adapters::{aws_config, dynamodb::DynamoStore, eventbridge::EventBridgePublisher};
use maskline::config::Config;
use maskline::ports::SystemClock;
use maskline::privacy::CallerKeys;
use maskline::services::{CallEvents, Failover, NumberHealth};
use maskline::startup::or_exit;
use maskline::webhook_config::WebhookConfig;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let aws = aws_config().await;
    let settings = or_exit(Settings::load(&aws).await);
    let config = or_exit(Config::from_lookup(settings.lookup()));
    let webhooks = or_exit(WebhookConfig::from_lookup(settings.lookup()));
    let caller_keys = or_exit(CallerKeys::from_lookup(settings.lookup()));
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &config.table_name,
    ));
    let publisher = Arc::new(EventBridgePublisher::new(
        aws_sdk_eventbridge::Client::new(&aws),
        &config.event_bus_name,
    ));
    let clock = Arc::new(SystemClock);
    let events = CallEvents {
        store: store.clone(),
        calls: store.clone(),
        pool: store.clone(),
        suspect_after: config.suspect_after,
        publisher: publisher.clone(),
        clock: clock.clone(),
        caller_keys,
        config: webhooks.clone(),
    };
    let health = NumberHealth {
        failover: Arc::new(Failover {
            store: store.clone(),
            pool: store.clone(),
            publisher,
            clock: clock.clone(),
            backups: config.backups,
        }),
        replays: store,
        clock,
        config: webhooks,
    };
    let callbacks = &handler::Callbacks { events, health };
    run(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(callbacks, request).await)
    }))
    .await
}
