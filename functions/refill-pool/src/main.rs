use std::collections::HashMap;
use std::sync::Arc;

use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};
use maskline::adapters::provider_api::{TwilioApi, TwilioNumbers};
use maskline::adapters::static_numbers::StaticNumbers;
use maskline::adapters::{aws_config, dynamodb::DynamoStore};
use maskline::config::Config;
use maskline::domain::refill_plan::RefillRules;
use maskline::ports::{NumberProvider, SystemClock};
use maskline::services::Refill;
use refill_pool::handler;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let aws = aws_config().await;
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &config.table_name,
    ));
    let mut sources: Vec<Arc<dyn NumberProvider>> = vec![Arc::new(StaticNumbers {
        pool: store.clone(),
    })];
    if let Some(twilio) = TwilioApi::from_env() {
        let country = std::env::var("TWILIO_NUMBER_COUNTRY")
            .ok()
            .or_else(|| std::env::var("DEFAULT_COUNTRY").ok())
            .unwrap_or_else(|| "US".into());
        let webhook_base = std::env::var("PUBLIC_WEBHOOK_BASE_URL")
            .ok()
            .filter(|v| !v.trim().is_empty());
        sources.push(Arc::new(TwilioNumbers::new(twilio?, country, webhook_base)));
    }
    let providers: HashMap<_, _> = sources.into_iter().map(|s| (s.provider(), s)).collect();
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
    let refill = &refill;
    run(service_fn(|event: LambdaEvent<Value>| async move {
        handler::handle(refill, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
