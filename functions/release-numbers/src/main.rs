use std::sync::Arc;

use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use maskline::adapters::sqs_batch::Redelivery;
use maskline::adapters::{aws_config, dynamodb::DynamoStore, eventbridge::EventBridgePublisher};
use maskline::config::Config;
use maskline::ports::SystemClock;
use maskline::services::Releaser;
use maskline::startup::or_exit;
use release_numbers::handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = or_exit(Config::from_env());
    let aws = aws_config().await;
    let releaser = Releaser {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&aws),
            &config.table_name,
        )),
        publisher: Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            &config.event_bus_name,
        )),
        clock: Arc::new(SystemClock),
        grace: config.release_grace,
        session_max: config.session_max,
    };
    let redelivery = &Redelivery::from_env(aws_sdk_sqs::Client::new(&aws));
    let releaser = &releaser;
    run(service_fn(|event: LambdaEvent<_>| async move {
        Ok::<_, Error>(handler::handle(releaser, redelivery, event.payload).await)
    }))
    .await
}
