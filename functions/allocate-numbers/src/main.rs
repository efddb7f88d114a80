use std::sync::Arc;

use allocate_numbers::handler;
use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use maskline::adapters::settings::Settings;
use maskline::adapters::sqs_batch::Redelivery;
use maskline::adapters::{aws_config, dynamodb::DynamoStore, eventbridge::EventBridgePublisher};
use maskline::config::Config;
use maskline::ports::SystemClock;
use maskline::privacy::NumberVault;
use maskline::services::Allocator;
use maskline::startup::or_exit;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let aws = aws_config().await;
    let settings = or_exit(Settings::load(&aws).await);
    let config = or_exit(Config::from_lookup(settings.lookup()));
    let vault = or_exit(NumberVault::from_lookup(settings.lookup()));
    let allocator = Allocator {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&aws),
            &config.table_name,
        )),
        publisher: Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            &config.event_bus_name,
        )),
        clock: Arc::new(SystemClock),
        vault,
        policy: config.policy,
        backups: config.backups,
        session_max: config.session_max,
    };
    let redelivery = &Redelivery::from_env(aws_sdk_sqs::Client::new(&aws));
    let allocator = &allocator;
    run(service_fn(|event: LambdaEvent<_>| async move {
        Ok::<_, Error>(
            handler::handle(allocator, config.default_country, redelivery, event.payload).await,
        )
    }))
    .await
}
