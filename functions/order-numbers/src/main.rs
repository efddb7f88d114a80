use std::sync::Arc;

use lambda_http::{run, service_fn, tracing, Error, Request};
use maskline::adapters::{aws_config, dynamodb::DynamoStore};
use maskline::config::Config;
use maskline::ports::SystemClock;
use maskline::services::OrderNumbers;
use maskline::startup::or_exit;
use order_numbers::handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = or_exit(Config::from_env());
    let aws = aws_config().await;
    let numbers = OrderNumbers {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&aws),
            &config.table_name,
        )),
        clock: Arc::new(SystemClock),
    };
    let numbers = &numbers;
    run(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(numbers, request).await)
    }))
    .await
}
