use std::sync::Arc;

use lambda_http::{run, service_fn, tracing, Error, Request};
use maskline::adapters::{aws_config, dynamodb::DynamoStore};
use maskline::config::Config;
use maskline::ports::SystemClock;
use maskline::services::{CallRouter, ResolveCall};
use maskline::startup::or_exit;
use maskline::webhook_config::WebhookConfig;
use resolve_call::handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = or_exit(Config::from_env());
    let webhooks = or_exit(WebhookConfig::from_env());
    let aws = aws_config().await;
    let clock = Arc::new(SystemClock);
    let resolver = ResolveCall {
        router: CallRouter {
            store: Arc::new(DynamoStore::new(
                aws_sdk_dynamodb::Client::new(&aws),
                &config.table_name,
            )),
            clock: clock.clone(),
            vault: config.vault.clone(),
        },
        config: webhooks,
        clock,
    };
    let resolver = &resolver;
    run(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(resolver, request).await)
    }))
    .await
}
