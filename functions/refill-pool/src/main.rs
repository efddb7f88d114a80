use lambda_runtime::{service_fn, tracing, Error, LambdaEvent};
use refill_pool::handler;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let app = &maskline::app::functions::refill_pool().await;
    maskline::app::run(service_fn(|event: LambdaEvent<Value>| async move {
        handler::handle(&app.refill, &app.redelivery, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
