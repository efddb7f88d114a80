use std::sync::Arc;

use lambda_http::{run, service_fn, tracing, Error, Request};
use maskline::adapters::settings::Settings;
use maskline::adapters::{aws_config, dynamodb::DynamoStore};
use maskline::config::Config;
use maskline::ports::SystemClock;
use maskline::privacy::NumberVault;
use maskline::services::{CallRouter, ResolveCall};
use maskline::startup::or_exit;
use maskline::webhook_config::WebhookConfig;
use resolve_call::handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let aws = aws_config().await;
    let settings = or_exit(Settings::load(&aws).await);
    let config = or_exit(Config::from_lookup(settings.lookup()));
    let webhooks = or_exit(WebhookConfig::from_lookup(settings.lookup()));
    let vault = or_exit(NumberVault::from_lookup(settings.lookup()));
    let clock = Arc::new(SystemClock);
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &config.table_name,
    ));
    let resolver = ResolveCall {
        router: CallRouter {
            store: store.clone(),
            clock: clock.clone(),
            vault,
        },
        config: webhooks,
        clock,
        replays: store,
    };
    let resolver = &resolver;
    run(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(resolver, request).await)
    }))
    .await
}
