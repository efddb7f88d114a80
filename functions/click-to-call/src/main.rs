use click_to_call::handler;
use lambda_http::{service_fn, tracing, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let click_to_call = &maskline::app::functions::click_to_call().await;
    maskline::app::run_http(service_fn(|request: Request| async move {
        Ok::<_, Error>(handler::handle(click_to_call, request).await)
    }))
    .await
}
