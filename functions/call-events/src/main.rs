use std::sync::Arc;

use call_events::handler;
use lambda_http::{run, service_fn, tracing, Error, Request};
use maskline::adapters::{aws_config, dynamodb::DynamoStore, eventbridge::EventBridgePublisher};
use maskline::config::Config;
use maskline::ports::SystemClock;
use maskline::services::CallEvents;
use maskline::webhook_config::WebhookConfig;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let webhooks = WebhookConfig::from_env()?;
    let aws = aws_config().await;
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &config.table_name,
    ));
    let events = CallEvents {
        store: store.clone(),
        calls: store,
        publisher: Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            &config.event_bus_name,
        )),
        clock: Arc::new(SystemClock),
        vault: config.vault.clone(),
        config: webhooks,
    };
    let events = &events;
    run(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(events, request).await)
    }))
    .await
}
