use std::collections::HashMap;
use std::sync::Arc;

use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use maskline::adapters::eventbridge::EventBridgePublisher;
use maskline::adapters::provider_api::TwilioNumbers;
use maskline::adapters::settings::Settings;
use maskline::adapters::sqs_batch::Redelivery;
use maskline::adapters::static_numbers::StaticNumbers;
use maskline::adapters::{aws_config, dynamodb::DynamoStore};
use maskline::config::Config;
use maskline::domain::refill_plan::RefillRules;
use maskline::ports::{NumberProvider, SystemClock};
use maskline::services::{Failover, Refill};
use maskline::startup::or_exit;
use refill_pool::handler;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let aws = aws_config().await;
    let settings = or_exit(Settings::load(&aws).await);
    let config = or_exit(Config::from_lookup(settings.lookup()));
    let store: Arc<DynamoStore> = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &config.table_name,
    ));
    let mut sources: Vec<Arc<dyn NumberProvider>> = vec![Arc::new(StaticNumbers {
        pool: store.clone(),
    })];
    if let Some(twilio) = TwilioNumbers::from_lookup(settings.lookup()) {
        sources.push(Arc::new(or_exit(twilio)));
    }
    let providers: HashMap<_, _> = sources.into_iter().map(|s| (s.provider(), s)).collect();
    let moves = &Failover {
        store: store.clone(),
        pool: store.clone(),
        publisher: Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            &config.event_bus_name,
        )),
        clock: Arc::new(SystemClock),
        backups: config.backups,
    };
    let refill = Refill {
        pool: store,
        providers,
        clock: Arc::new(SystemClock),
        rules: RefillRules {
            policy: config.policy,
            backups: config.backups,
            headroom: config.refill.headroom,
            cool_off: config.refill.cool_off,
        },
    };
    let redelivery = &Redelivery::from_env(aws_sdk_sqs::Client::new(&aws));
    let refill = &refill;
    run(service_fn(|event: LambdaEvent<Value>| async move {
        handler::handle(refill, moves, redelivery, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
