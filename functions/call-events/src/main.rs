use call_events::handler;
use lambda_http::{service_fn, tracing, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let callbacks = &maskline::app::functions::call_events().await;
    maskline::app::run_http(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(callbacks, request).await)
    }))
    .await
}
