use std::collections::HashMap;
use std::sync::Arc;

use click_to_call::handler;
use lambda_http::{run, service_fn, tracing, Error, Request};
use maskline::adapters::provider_api::{ExotelApi, ExotelCalls, TwilioApi, TwilioCalls};
use maskline::adapters::settings::Settings;
use maskline::adapters::{aws_config, dynamodb::DynamoStore};
use maskline::config::Config;
use maskline::domain::Provider;
use maskline::ports::{CallDialer, SystemClock};
use maskline::privacy::NumberVault;
use maskline::services::ClickToCall;
use maskline::startup::or_exit;
use maskline::webhook_config::WebhookConfig;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let aws = aws_config().await;
    let settings = or_exit(Settings::load(&aws).await);
    let config = or_exit(Config::from_lookup(settings.lookup()));
    let webhooks = or_exit(WebhookConfig::from_lookup(settings.lookup()));
    let vault = or_exit(NumberVault::from_lookup(settings.lookup()));
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &config.table_name,
    ));
    // Only providers with API credentials can place calls; the others answer 501.
    let mut dialers: HashMap<Provider, Arc<dyn CallDialer>> = HashMap::new();
    if let Some(api) = TwilioApi::from_lookup(settings.lookup()) {
        let mut calls = TwilioCalls::new(api?);
        // With a public base URL, Twilio reports each bridge call to call-events.
        if let Some(base) = &webhooks.public_base_url {
            calls = calls.reporting_to(base);
        }
        dialers.insert(Provider::parse("twilio")?, Arc::new(calls));
    }
    if let Some(api) = ExotelApi::from_lookup(settings.lookup()) {
        dialers.insert(Provider::parse("exotel")?, Arc::new(ExotelCalls::new(api?)));
    }
    let click_to_call = ClickToCall {
        store: store.clone(),
        calls: store.clone(),
        pool: store,
        dialers,
        clock: Arc::new(SystemClock),
        vault,
        mode: config.click_to_call,
        max_call_seconds: webhooks.answer.max_call_seconds,
    };
    let click_to_call = &click_to_call;
    run(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(click_to_call, request).await)
    }))
    .await
}
